/**
 * guacamole-lite 1.2.0 parses guacd's stream and sends every instruction as a WebSocket message of its
 * own: a frame of images is hundreds of messages, each with its own frame header, send call and (with
 * permessage-deflate) its own trip through zlib. Guacamole's tunnels carry any number of whole
 * instructions per message, so the text messages sent in one turn of the event loop (guacamole-lite
 * sends everything it parsed from one guacd read at once) go out as one message, in order, at the end
 * of that turn. A close flushes what is waiting first. Binary and fragmented messages pass as they are.
 */
import WebSocket from 'ws';

type SendData = Parameters<WebSocket['send']>[0];
type SendCallback = (err?: Error) => void;
type SendOptions = Exclude<Parameters<WebSocket['send']>[1], SendCallback | undefined>;

export function batchedPerTick(Base: typeof WebSocket): typeof WebSocket {
  return class BatchedPerTick extends Base {
    #texts: string[] = [];
    #callbacks: SendCallback[] = [];
    #scheduled = false;

    override send(data: SendData, options?: SendOptions | SendCallback, cb?: SendCallback): void {
      if (typeof options === 'function') {
        cb = options;
        options = {};
      }
      const batchable = typeof data === 'string' && !options?.binary && options?.fin !== false && options?.compress === undefined;
      if (!batchable) {
        this.#flush();
        super.send(data, options ?? {}, cb);
        return;
      }
      this.#texts.push(data);
      if (cb) this.#callbacks.push(cb);
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#flush());
      }
    }

    override close(code?: number, data?: string | Buffer): void {
      this.#flush();
      super.close(code, data);
    }

    #flush(): void {
      this.#scheduled = false;
      if (this.#texts.length === 0) return;
      const text = this.#texts.length === 1 ? this.#texts[0]! : this.#texts.join('');
      const callbacks = this.#callbacks;
      this.#texts = [];
      this.#callbacks = [];
      if (this.readyState !== WebSocket.OPEN) {
        const err = new Error('WebSocket is not open');
        for (const cb of callbacks) cb(err);
        return;
      }
      super.send(text, {}, (err) => {
        for (const cb of callbacks) cb(err);
      });
    }
  };
}
