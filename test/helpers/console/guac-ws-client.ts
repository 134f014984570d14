/**
 * A browser stand-in for tests and benchmarks: opens the tunnel WebSocket like Guacamole.WebSocketTunnel
 * (subprotocol "guacamole"), parses what arrives, answers `sync` like Client.js, and records how it closed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { type PerMessageDeflateOptions } from 'ws';
import { Parser, type Instruction } from '../../../guacamole/index.js';
import { wire } from '../guac-wire.js';

export class GuacWsClient {
  readonly received: Instruction[] = [];
  /** Bytes of text received, as the messages' payloads (decompressed). */
  bytes = 0;
  /** The server's 101 response headers. */
  upgradeHeaders: IncomingHttpHeaders = {};
  #socket: Socket | undefined;
  #upgradeBytes = 0;
  close: { code: number; reason: string } | undefined;
  readonly #parser = new Parser();
  #waiters: (() => void)[] = [];
  autoSync = true;
  onInstruction: ((i: Instruction) => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.once('upgrade', (res) => {
      this.upgradeHeaders = res.headers;
      this.#socket = res.socket as Socket;
      // The tunnel writes nothing after its 101 before guacd answers, so this read ends with the response.
      this.#upgradeBytes = this.#socket.bytesRead;
    });
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

  /** Offers no permessage-deflate unless `perMessageDeflate` says so (true: as ws offers it, like Chromium). */
  static open(url: string, headers: Record<string, string> = {}, perMessageDeflate: boolean | PerMessageDeflateOptions = false): Promise<GuacWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['guacamole'], { headers, perMessageDeflate });
      const client = new GuacWsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Bytes read from the TCP socket since the 101 response: frames as they crossed the wire. */
  wireBytesIn(): number {
    return (this.#socket?.bytesRead ?? 0) - this.#upgradeBytes;
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
