/**
 * What a browser shows of a daemon session: the drawing instructions a GuacTestClient receives, applied in
 * order to a BrowserDisplayModel, one whole frame (up to its `sync`) at a time.
 */
import { BrowserDisplayModel, type Bitmap } from './browser-canvas.js';
import type { GuacTestClient } from './guac-wire.js';

export class GuacScreen {
  readonly model = new BrowserDisplayModel();
  #applied = 0;

  constructor(private readonly client: GuacTestClient) {}

  /** The default layer as it looks after the frames received so far. */
  read(): Bitmap {
    this.#applyReceived();
    return this.model.layer(0).read();
  }

  /**
   * Resolves with the screen of the first frame for which `predicate` holds (checking the frames already
   * received first); rejects after `timeoutMs` with `what` and the last mismatch `predicate` described.
   */
  async waitUntil(what: string, predicate: (screen: Bitmap) => true | string, timeoutMs = 8000): Promise<Bitmap> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no frame yet';
    for (;;) {
      if (this.client.received.slice(this.#applied).some((i) => i.opcode === 'sync')) {
        const screen = this.read();
        const verdict = predicate(screen);
        if (verdict === true) return screen;
        last = verdict;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`the screen never showed ${what}: ${last}`);
      try {
        await this.client.waitFor((i) => i.opcode === 'sync', remaining, this.#applied);
      } catch (err) {
        throw new Error(`the screen never showed ${what}: ${last} (${(err as Error).message.slice(0, 200)})`, { cause: err });
      }
    }
  }

  #applyReceived(): void {
    const received = this.client.received;
    this.model.apply(received.slice(this.#applied));
    this.#applied = received.length;
  }
}

/** RGB of one pixel of a bitmap. */
export function rgbAt(screen: Bitmap, x: number, y: number): [number, number, number] {
  const i = (y * screen.width + x) * 4;
  return [screen.data[i]!, screen.data[i + 1]!, screen.data[i + 2]!];
}
