/**
 * A test-only Guacamole writer and client, independent of guacamole/protocol/encoder.ts:
 * lengths counted with Array.from (code points), elements joined by hand.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Parser, type Instruction } from '../../guacamole/index.js';

/** `['size', 0, 1024]` → `4.size,1.0,4.1024;` */
export function wire(...elements: readonly (string | number)[]): string {
  return elements.map((e) => `${Array.from(String(e)).length}.${String(e)}`).join(',') + ';';
}

/** A raw TCP client that speaks to the daemon and collects what it says. */
export class GuacTestClient {
  readonly received: Instruction[] = [];
  readonly socket: Socket;
  readonly #parser = new Parser();
  #waiters: (() => void)[] = [];
  closed = false;
  /** Answer every `sync` like Client.js does. */
  autoSync = true;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const instruction of this.#parser.push(chunk)) {
        this.received.push(instruction);
        if (this.autoSync && instruction.opcode === 'sync') this.send(wire('sync', instruction.args[0]!));
      }
      this.#notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<GuacTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new GuacTestClient(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Resolves with the first received instruction (from `from` on) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (i: Instruction) => boolean, timeoutMs = 10000, from = 0): Promise<Instruction> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.slice(from).find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        if (this.closed) {
          clearTimeout(timer);
          reject(new Error(`connection closed; got: ${this.received.map((i) => i.opcode).join(' ')}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out; got: ${this.received.map((i) => i.opcode).join(' ')}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.#waiters.push(waiter);
    });
  }

  waitForClose(timeoutMs = 10000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('socket stayed open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Concatenated base64 of every blob on `stream` between `from` and the matching `end`. */
  imageBytes(imgIndex: number): Buffer {
    const img = this.received[imgIndex]!;
    const stream = img.args[0];
    const parts: Buffer[] = [];
    for (let i = imgIndex + 1; i < this.received.length; i++) {
      const ins = this.received[i]!;
      if (ins.args[0] !== stream) continue;
      if (ins.opcode === 'blob') parts.push(Buffer.from(ins.args[1]!, 'base64'));
      if (ins.opcode === 'end') break;
    }
    return Buffer.concat(parts);
  }

  /**
   * The bytes of the stream opened by the instruction at `openIndex` (`clipboard`, `img` …): its blobs up to
   * its `end`; undefined while the `end` has not arrived.
   */
  streamBytes(openIndex: number): Buffer | undefined {
    const stream = this.received[openIndex]!.args[0];
    const parts: Buffer[] = [];
    for (let i = openIndex + 1; i < this.received.length; i++) {
      const ins = this.received[i]!;
      if (ins.args[0] !== stream) continue;
      if (ins.opcode === 'blob') parts.push(Buffer.from(ins.args[1]!, 'base64'));
      if (ins.opcode === 'end') return Buffer.concat(parts);
    }
    return undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/**
 * The handshake as guacamole-lite 1.2.0 sends it: select, then size, audio, video, image, timezone and connect
 * (one value per `args` name, '' for the unset ones). Returns the `args` instruction, or the `error` answering select.
 */
export async function guacdHandshake(
  client: GuacTestClient,
  protocol: string,
  settings: Readonly<Record<string, string>>,
): Promise<Instruction> {
  client.send(wire('select', protocol));
  const args = await client.waitFor((i) => i.opcode === 'args' || i.opcode === 'error');
  if (args.opcode === 'error') return args;
  assert.equal(args.args[0], 'VERSION_1_5_0');
  client.send(wire('size', 1024, 768, 96));
  client.send(wire('audio', 'audio/L16'));
  client.send(wire('video'));
  client.send(wire('image', 'image/png', 'image/jpeg'));
  client.send(wire('timezone'));
  const values = args.args.slice(1).map((name) => settings[name] ?? '');
  client.send(wire('connect', 'VERSION_1_1_0', ...values));
  return args;
}
