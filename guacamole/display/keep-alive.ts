/**
 * guacd's keep-alive: `nop` after 5 s without output (`libguac/socket.c`). guacamole-lite drops a
 * daemon that is silent for 10 s, the browser tunnel after 15 s.
 */
import { encode } from '../protocol/encoder.js';

export const KEEP_ALIVE_MS = 5000;

export class KeepAlive {
  #lastOutput = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (data: string) => void,
    private readonly intervalMs = KEEP_ALIVE_MS,
  ) {}

  /** Notes that something was written just now. */
  touch(): void {
    this.#lastOutput = Date.now();
  }

  start(): void {
    if (this.#timer) return;
    const check = Math.max(50, Math.floor(this.intervalMs / 5));
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastOutput >= this.intervalMs) {
        this.touch();
        this.write(encode.nop());
      }
    }, check);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
