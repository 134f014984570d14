/**
 * A test-only model of what guacamole-common-js does with drawing instructions in a browser, written
 * from Client.js / Display.js / Layer.js (guacamole-common-js 1.5.x) and the HTML canvas compositing
 * rules, independently of guacamole/display:
 *
 * - every layer is a canvas allocated in 64-pixel steps (Layer.js CANVAS_SIZE_FACTOR), stored as
 *   8-bit premultiplied RGBA like Chromium's 2D canvas; reading back un-premultiplies (getImageData);
 * - the channel mask is the layer's sticky `globalCompositeOperation` (0xC 'copy', 0xE 'source-over',
 *   0x2 'destination-out', …), set by `img`, `cfill` and `copy` before they draw;
 * - compositing covers the whole canvas: the source is transparent outside the drawn shape, so the
 *   "unbounded" operations ('copy', 'source-in', 'destination-in', 'source-out', 'destination-atop')
 *   clear everything outside it, as Chromium does;
 * - `size` keeps the old pixels only when the layer was drawn on (Layer.js `empty`); buffers
 *   (negative indices) grow to fit what is drawn into them (autosize);
 * - `rect`s build one path until a `cfill` fills it; `copy` reads the source canvas (clipped to it);
 * - `img` streams are PNG or JPEG; `cursor` copies the buffer area into a separate cursor canvas.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Instruction } from '../../guacamole/index.js';

const CANVAS_SIZE_FACTOR = 64;

type CompositeOperation =
  | 'destination-in' | 'destination-out' | 'source-in' | 'source-atop' | 'source-out' | 'destination-atop'
  | 'xor' | 'destination-over' | 'copy' | 'source-over' | 'lighter';

/** Layer.js `compositeOperation`, channel mask → canvas operation. */
const COMPOSITE: Readonly<Record<number, CompositeOperation>> = {
  0x1: 'destination-in', 0x2: 'destination-out', 0x4: 'source-in', 0x6: 'source-atop', 0x8: 'source-out',
  0x9: 'destination-atop', 0xa: 'xor', 0xb: 'destination-over', 0xc: 'copy', 0xe: 'source-over', 0xf: 'lighter',
};

/** Operations whose result outside the source shape is transparent (the HTML spec composites the whole clip region). */
const UNBOUNDED = new Set<CompositeOperation>(['copy', 'source-in', 'destination-in', 'source-out', 'destination-atop']);

/** A straight-alpha RGBA image (a decoded PNG/JPEG, or pixels read back). */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** One canvas: premultiplied 8-bit RGBA, plus the Layer.js state that matters for drawing. */
export class ModelCanvas {
  /** Logical layer size (Layer.width/height). */
  width = 0;
  height = 0;
  /** The backing canvas (multiples of 64, or exact for the cursor canvas). */
  canvasWidth = 0;
  canvasHeight = 0;
  data = new Uint8ClampedArray(0);
  operation: CompositeOperation = 'source-over';
  /** Layer.js `empty`: nothing drawn yet, so a resize keeps nothing. */
  empty = true;
  readonly autosize: boolean;

  constructor(autosize = false) {
    this.autosize = autosize;
  }

  /** Layer.js resize(): a new backing canvas in 64-pixel steps, old pixels kept when drawn on. */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    const cw = Math.ceil(width / CANVAS_SIZE_FACTOR) * CANVAS_SIZE_FACTOR;
    const ch = Math.ceil(height / CANVAS_SIZE_FACTOR) * CANVAS_SIZE_FACTOR;
    if (cw !== this.canvasWidth || ch !== this.canvasHeight) {
      const next = new Uint8ClampedArray(cw * ch * 4);
      if (!this.empty && this.canvasWidth > 0 && this.canvasHeight > 0) {
        const w = Math.min(this.width, width);
        const h = Math.min(this.height, height);
        for (let y = 0; y < h; y++) next.set(this.data.subarray(y * this.canvasWidth * 4, (y * this.canvasWidth + w) * 4), y * cw * 4);
      }
      this.data = next;
      this.canvasWidth = cw;
      this.canvasHeight = ch;
    }
    this.width = width;
    this.height = height;
  }

  /** fitRect(): an autosized buffer grows (never shrinks) to hold the rectangle. */
  fit(x: number, y: number, w: number, h: number): void {
    if (!this.autosize) return;
    const width = Math.max(this.width, x + w);
    const height = Math.max(this.height, y + h);
    if (width !== this.width || height !== this.height) this.resize(width, height);
  }

  /**
   * Composites a source over the whole canvas with the current operation. `src(x, y)` gives the
   * source's premultiplied pixel inside `shape` (transparent outside it).
   */
  composite(shape: { x: number; y: number; width: number; height: number }, src: (x: number, y: number, out: Float64Array) => void): void {
    const op = this.operation;
    const x0 = Math.max(0, shape.x);
    const y0 = Math.max(0, shape.y);
    const x1 = Math.min(this.canvasWidth, shape.x + shape.width);
    const y1 = Math.min(this.canvasHeight, shape.y + shape.height);
    const s = new Float64Array(4);
    const d = new Float64Array(4);
    const zero = new Float64Array(4);
    const unbounded = UNBOUNDED.has(op);
    for (let y = unbounded ? 0 : y0; y < (unbounded ? this.canvasHeight : y1); y++) {
      for (let x = unbounded ? 0 : x0; x < (unbounded ? this.canvasWidth : x1); x++) {
        const inside = x >= x0 && x < x1 && y >= y0 && y < y1;
        if (inside) src(x, y, s);
        else s.set(zero);
        const i = (y * this.canvasWidth + x) * 4;
        for (let c = 0; c < 4; c++) d[c] = this.data[i + c]! / 255;
        const as = s[3]!;
        const ad = d[3]!;
        for (let c = 0; c < 4; c++) {
          const cs = s[c]!;
          const cd = d[c]!;
          let r: number;
          switch (op) {
            case 'source-over': r = cs + cd * (1 - as); break;
            case 'copy': r = cs; break;
            case 'destination-out': r = cd * (1 - as); break;
            case 'destination-in': r = cd * as; break;
            case 'source-in': r = cs * ad; break;
            case 'source-out': r = cs * (1 - ad); break;
            case 'source-atop': r = cs * ad + cd * (1 - as); break;
            case 'destination-atop': r = cd * as + cs * (1 - ad); break;
            case 'xor': r = cs * (1 - ad) + cd * (1 - as); break;
            case 'destination-over': r = cd + cs * (1 - ad); break;
            case 'lighter': r = Math.min(1, cs + cd); break;
          }
          this.data[i + c] = Math.round(r * 255);
        }
      }
    }
    this.empty = false;
  }

  /** context.drawImage(bitmap, x, y) with a straight-alpha bitmap. */
  drawBitmap(x: number, y: number, bitmap: Bitmap, sx = 0, sy = 0, w = bitmap.width, h = bitmap.height): void {
    this.composite({ x, y, width: w, height: h }, (px, py, out) => {
      const i = ((sy + py - y) * bitmap.width + (sx + px - x)) * 4;
      const a = bitmap.data[i + 3]! / 255;
      out[0] = (bitmap.data[i]! / 255) * a;
      out[1] = (bitmap.data[i + 1]! / 255) * a;
      out[2] = (bitmap.data[i + 2]! / 255) * a;
      out[3] = a;
    });
  }

  /** The backing canvas as a straight-alpha bitmap (what drawImage(canvas) reads). */
  snapshot(): Bitmap {
    return { width: this.canvasWidth, height: this.canvasHeight, data: unpremultiply(this.data) };
  }

  /** getImageData(0, 0, width, height) of the logical area: straight alpha, alpha 0 reads as 0,0,0,0. */
  read(): Bitmap {
    const out = new Uint8Array(this.width * this.height * 4);
    const all = unpremultiply(this.data);
    for (let y = 0; y < this.height; y++) out.set(all.subarray(y * this.canvasWidth * 4, (y * this.canvasWidth + this.width) * 4), y * this.width * 4);
    return { width: this.width, height: this.height, data: out };
  }
}

function unpremultiply(data: Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3]!;
    if (a === 0) continue;
    out[i] = Math.min(255, Math.round((data[i]! * 255) / a));
    out[i + 1] = Math.min(255, Math.round((data[i + 1]! * 255) / a));
    out[i + 2] = Math.min(255, Math.round((data[i + 2]! * 255) / a));
    out[i + 3] = a;
  }
  return out;
}

function decode(mimetype: string, bytes: Buffer): Bitmap {
  if (mimetype === 'image/png') {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
  }
  if (mimetype === 'image/jpeg') {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error(`unsupported image ${mimetype}`);
}

/** The browser side of a Guacamole session: layers, buffers, the cursor canvas. */
export class BrowserDisplayModel {
  readonly layers = new Map<number, ModelCanvas>();
  /** Display.js `cursor`: its own canvas, channel mask SRC. */
  readonly cursor = new ModelCanvas();
  cursorHotspot: [number, number] = [0, 0];
  readonly counts = new Map<string, number>();
  #path: { x: number; y: number; width: number; height: number }[] = [];
  #pathLayer: number | undefined;
  #pathClosed = false;
  #streams = new Map<string, { layer: number; x: number; y: number; mimetype: string; parts: Buffer[] }>();

  constructor() {
    this.cursor.operation = 'copy';
  }

  layer(index: number): ModelCanvas {
    let l = this.layers.get(index);
    if (!l) {
      l = new ModelCanvas(index < 0);
      this.layers.set(index, l);
    }
    return l;
  }

  apply(instructions: Iterable<Instruction>): void {
    for (const ins of instructions) this.#one(ins);
  }

  /** RGBA of one pixel of a layer, as getImageData reads it. */
  pixel(layer: number, x: number, y: number): [number, number, number, number] {
    const { width, data } = this.layer(layer).read();
    const i = (y * width + x) * 4;
    return [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
  }

  /** Pixels of the default layer that are not fully opaque. */
  transparentPixels(layer = 0): number {
    const { data } = this.layer(layer).read();
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) n++;
    return n;
  }

  #setMask(layer: ModelCanvas, mask: number): void {
    const op = COMPOSITE[mask];
    if (!op) throw new Error(`channel mask ${mask} is not implemented by guacamole-common-js`);
    layer.operation = op;
  }

  #one(ins: Instruction): void {
    const n = (i: number): number => Number(ins.args[i]);
    this.counts.set(ins.opcode, (this.counts.get(ins.opcode) ?? 0) + 1);
    switch (ins.opcode) {
      case 'size':
        this.layer(n(0)).resize(n(1), n(2));
        // Layer.reset(): a new path.
        if (this.#pathLayer === n(0)) this.#path = [];
        break;
      case 'rect': {
        if (this.#pathClosed || this.#pathLayer !== n(0)) this.#path = [];
        this.#pathClosed = false;
        this.#pathLayer = n(0);
        this.#path.push({ x: n(1), y: n(2), width: n(3), height: n(4) });
        break;
      }
      case 'cfill': {
        const layer = this.layer(n(1));
        this.#setMask(layer, n(0));
        const path = this.#pathLayer === n(1) && !this.#pathClosed ? this.#path : [];
        const a = n(5) / 255;
        const colour = [(n(2) / 255) * a, (n(3) / 255) * a, (n(4) / 255) * a, a];
        if (path.length === 0) {
          // An empty path fills nothing, but an unbounded operation still clears the canvas.
          layer.composite({ x: 0, y: 0, width: 0, height: 0 }, () => {});
        } else {
          const box = path.reduce((b, r) => ({
            x: Math.min(b.x, r.x), y: Math.min(b.y, r.y),
            width: Math.max(b.x + b.width, r.x + r.width) - Math.min(b.x, r.x),
            height: Math.max(b.y + b.height, r.y + r.height) - Math.min(b.y, r.y),
          }));
          const inPath = (x: number, y: number): boolean => path.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height);
          layer.composite(box, (x, y, out) => {
            if (inPath(x, y)) out.set(colour);
            else out.fill(0);
          });
        }
        this.#pathClosed = true;
        break;
      }
      case 'copy': {
        const src = this.layer(n(0));
        const [sx, sy] = [n(1), n(2)];
        let [w, h] = [n(3), n(4)];
        const dst = this.layer(n(6));
        this.#setMask(dst, n(5));
        const [dx, dy] = [n(7), n(8)];
        // Layer.copy(): clipped to the source canvas.
        if (sx >= src.canvasWidth || sy >= src.canvasHeight) break;
        w = Math.min(w, src.canvasWidth - sx);
        h = Math.min(h, src.canvasHeight - sy);
        if (w <= 0 || h <= 0) break;
        dst.fit(dx, dy, w, h);
        dst.drawBitmap(dx, dy, src.snapshot(), sx, sy, w, h);
        break;
      }
      case 'img': {
        const layer = this.layer(n(2));
        this.#setMask(layer, n(1));
        this.#streams.set(ins.args[0]!, { layer: n(2), mimetype: ins.args[3]!, x: n(4), y: n(5), parts: [] });
        break;
      }
      case 'blob':
        this.#streams.get(ins.args[0]!)?.parts.push(Buffer.from(ins.args[1]!, 'base64'));
        break;
      case 'end': {
        const s = this.#streams.get(ins.args[0]!);
        if (!s) break;
        this.#streams.delete(ins.args[0]!);
        const bitmap = decode(s.mimetype, Buffer.concat(s.parts));
        const layer = this.layer(s.layer);
        layer.fit(s.x, s.y, bitmap.width, bitmap.height);
        layer.drawBitmap(s.x, s.y, bitmap);
        break;
      }
      case 'cursor': {
        const [hx, hy, srcIndex, sx, sy, w, h] = [n(0), n(1), n(2), n(3), n(4), n(5), n(6)];
        this.cursorHotspot = [hx, hy];
        this.cursor.resize(w, h);
        this.cursor.drawBitmap(0, 0, this.layer(srcIndex).snapshot(), sx, sy, w, h);
        break;
      }
      default:
        break;
    }
  }

  /** A layer's logical area as PNG bytes (for looking at failures). */
  toPng(index = 0): Buffer {
    const bitmap = this.layer(index).read();
    const png = new PNG({ width: bitmap.width, height: bitmap.height });
    png.data = Buffer.from(bitmap.data);
    return PNG.sync.write(png);
  }
}
