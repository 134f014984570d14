/**
 * A browser stand-in for tests and benchmarks: opens the tunnel WebSocket like Guacamole.WebSocketTunnel
 * (subprotocol "guacamole"), parses what arrives, answers `sync` like Client.js, and records how it closed.
 */
import WebSocket from 'ws';
import { Parser, type Instruction } from '../../../guacamole/index.js';
import { wire } from '../guac-wire.js';

export class GuacWsClient {
  readonly received: Instruction[] = [];
  /** Bytes of text received (the tunnel's wire cost). */
  bytes = 0;
  close: { code: number; reason: string } | undefined;
  readonly #parser = new Parser();
  #waiters: (() => void)[] = [];
  autoSync = true;
  onInstruction: ((i: Instruction) => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length;
      for (const i of this.#parser.push(data)) {
        this.received.push(i);
        this.onInstruction?.(i);
        if (this.autoSync && i.opcode === 'sync') this.send(wire('sync', i.args[0]!));
      }
      this.#notify();
    });
    ws.on('close', (code, reason) => {
      this.close = { code, reason: reason.toString() };
      this.#notify();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<GuacWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['guacamole'], { headers, perMessageDeflate: false });
      const client = new GuacWsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(data: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Resolves with the first matching instruction, or rejects when the socket closes first. */
  waitFor(predicate: (i: Instruction) => boolean, from = 0): Promise<Instruction> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.slice(from).find(predicate);
        if (found) {
          resolve(found);
          return true;
        }
        if (this.close) {
          reject(new Error(`tunnel closed (${this.close.code} ${this.close.reason}) before the instruction arrived`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      this.#waiters.push(waiter);
    });
  }

  closed(): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (this.close) resolve(this.close);
        return this.close !== undefined;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      this.#waiters.push(waiter);
    });
  }

  end(): void {
    this.send(wire('disconnect'));
    this.ws.close();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}
