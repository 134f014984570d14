/**
 * A test-only Guacamole client canvas: replays drawing instructions (size, img+blob+end as PNG,
 * rect+cfill, copy) into RGBA layers, independently of guacamole/display, so tests can check the
 * pixels a browser would show. Only the composite modes the daemon uses (SRC 0xC, OVER 0xE on
 * opaque data, ROUT 0x2 as a clear) are supported; anything else throws. Images replace pixels.
 */
import { PNG } from 'pngjs';
import type { Instruction } from '../../guacamole/index.js';

export interface CanvasLayer {
  width: number;
  height: number;
  data: Uint8Array;
}

export class GuacCanvas {
  readonly layers = new Map<number, CanvasLayer>();
  readonly counts = new Map<string, number>();
  #path: { layer: number; x: number; y: number; width: number; height: number } | undefined;
  #streams = new Map<string, { layer: number; x: number; y: number; mimetype: string; parts: Buffer[] }>();

  layer(index: number): CanvasLayer {
    let l = this.layers.get(index);
    if (!l) {
      l = { width: 0, height: 0, data: new Uint8Array(0) };
      this.layers.set(index, l);
    }
    return l;
  }

  apply(instructions: readonly Instruction[]): void {
    for (const ins of instructions) this.#one(ins);
  }

  /** RGBA of one pixel of a layer. */
  pixel(layer: number, x: number, y: number): [number, number, number, number] {
    const l = this.layer(layer);
    const i = (y * l.width + x) * 4;
    return [l.data[i]!, l.data[i + 1]!, l.data[i + 2]!, l.data[i + 3]!];
  }

  #one(ins: Instruction): void {
    const n = (i: number): number => Number(ins.args[i]);
    this.counts.set(ins.opcode, (this.counts.get(ins.opcode) ?? 0) + 1);
    switch (ins.opcode) {
      case 'size': {
        const l = this.layer(n(0));
        const width = n(1);
        const height = n(2);
        const data = new Uint8Array(width * height * 4);
        for (let y = 0; y < Math.min(height, l.height); y++) {
          data.set(l.data.subarray(y * l.width * 4, y * l.width * 4 + Math.min(width, l.width) * 4), y * width * 4);
        }
        Object.assign(l, { width, height, data });
        break;
      }
      case 'rect':
        this.#path = { layer: n(0), x: n(1), y: n(2), width: n(3), height: n(4) };
        break;
      case 'cfill': {
        const mask = n(0);
        // ROUT (0x2) with an opaque colour clears the area to transparent.
        if (mask !== 0xc && mask !== 0x2 && !(mask === 0xe && n(5) === 255)) throw new Error(`unsupported cfill mask ${mask}`);
        const p = this.#path;
        if (!p || p.layer !== n(1)) throw new Error('cfill without a rect on its layer');
        const l = this.layer(p.layer);
        const colour = mask === 0x2 ? [0, 0, 0, 0] : [n(2), n(3), n(4), n(5)];
        for (let y = p.y; y < p.y + p.height && y < l.height; y++) {
          for (let x = p.x; x < p.x + p.width && x < l.width; x++) l.data.set(colour, (y * l.width + x) * 4);
        }
        this.#path = undefined;
        break;
      }
      case 'copy': {
        const src = this.layer(n(0));
        const [sx, sy, w, h, mask, dst, dx, dy] = [n(1), n(2), n(3), n(4), n(5), n(6), n(7), n(8)];
        if (mask !== 0xc && mask !== 0xe) throw new Error(`unsupported copy mask ${mask}`);
        const d = this.layer(dst);
        const rows: Uint8Array[] = [];
        for (let y = 0; y < h; y++) rows.push(src.data.slice(((sy + y) * src.width + sx) * 4, ((sy + y) * src.width + sx + w) * 4));
        rows.forEach((row, y) => {
          if (dy + y < d.height) d.data.set(row.subarray(0, Math.max(0, Math.min(w, d.width - dx)) * 4), ((dy + y) * d.width + dx) * 4);
        });
        break;
      }
      case 'img':
        this.#streams.set(ins.args[0]!, { layer: n(2), mimetype: ins.args[3]!, x: n(4), y: n(5), parts: [] });
        break;
      case 'blob':
        this.#streams.get(ins.args[0]!)?.parts.push(Buffer.from(ins.args[1]!, 'base64'));
        break;
      case 'end': {
        const s = this.#streams.get(ins.args[0]!);
        if (!s) break;
        this.#streams.delete(ins.args[0]!);
        if (s.mimetype !== 'image/png') throw new Error(`unsupported image ${s.mimetype}`);
        const png = PNG.sync.read(Buffer.concat(s.parts));
        const l = this.layer(s.layer);
        for (let y = 0; y < png.height; y++) {
          if (s.y + y >= l.height) break;
          const w = Math.min(png.width, l.width - s.x);
          l.data.set(png.data.subarray(y * png.width * 4, (y * png.width + w) * 4), ((s.y + y) * l.width + s.x) * 4);
        }
        break;
      }
      default:
        break;
    }
  }

  /** A layer as PNG bytes (for looking at failures). */
  toPng(index = 0): Buffer {
    const l = this.layer(index);
    const png = new PNG({ width: l.width, height: l.height });
    png.data = Buffer.from(l.data);
    return PNG.sync.write(png);
  }
}
