/**
 * The remote display as guacd keeps it: the default layer (0) as a Surface, the cursor in a buffer
 * layer, and the frame loop. Protocols draw into it; at `endFrame` the changes go out as
 * `copy` / `size` / `rect`+`cfill` / PNG or JPEG images, closed by `sync`, to every attached user.
 * Frames are paced by the users' `sync` replies: no more than `maxFramesAhead` unanswered frames.
 */
import { encode } from '../protocol/encoder.js';
import { CompositeMode } from '../protocol/instructions.js';
import { decodeImage, ImageDecodeError } from './decoders.js';
import {
  bilevelPalette, encodeJpeg, encodePalettePng, encodePng, encodeTrueColourPng, indexedPalette, isOpaque, jpegQuality, pngOptimality, rgbaOf,
  type ImageMimetype, type Palette,
} from './encoders.js';
import { frameRects } from './dirty.js';
import { HeatMap } from './heat-map.js';
import { imageInstructions } from './image-stream.js';
import { area, type Rect } from './rect.js';
import { Surface, type RgbaImage, type SurfaceOp } from './surface.js';

export const DEFAULT_LAYER = 0;
/** guacd keeps the cursor in a buffer (negative index). */
export const CURSOR_LAYER = -1;
/** Off-screen buffers handed out by `createBuffer` count down from here (−1 is the cursor). */
export const FIRST_BUFFER_LAYER = -2;
/** A rect at least this large, changing at ≥ JPEG_MIN_FPS, may go out as JPEG. */
const JPEG_MIN_AREA = 4096;
const JPEG_MIN_FPS = 3;

/** Where frames go: one per attached user. */
export interface DisplaySink {
  write(data: string): void;
}

export interface DisplayOptions {
  /** Mimetypes the client accepted in `image`; PNG is always assumed. */
  readonly imageMimetypes?: readonly string[];
  /** Unanswered frames allowed before the display holds back (default 2). */
  readonly maxFramesAhead?: number;
  /** After this long without any reply, send the held frame anyway (default 2000 ms). */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

interface Cursor {
  readonly hotX: number;
  readonly hotY: number;
  readonly image: RgbaImage;
}

interface SinkState {
  /** Timestamps of frames sent to this sink and not yet answered, oldest first. */
  unanswered: number[];
}

/** Outcome of a client's `sync` reply; a timestamp never sent is a protocol violation. */
export type SyncReply = 'ok' | 'unknown-timestamp';

export class Display {
  readonly surface = new Surface();
  readonly #heat = new HeatMap();
  readonly #sinks = new Map<DisplaySink, SinkState>();
  /** The client takes JPEG (`image` handshake); `#jpeg` is whether this display may make JPEGs itself. */
  readonly #clientJpeg: boolean;
  /** Reused for the pixels of each dirty rectangle while it is encoded (no garbage per frame). */
  #readScratch: Uint8Array = new Uint8Array(0);
  #jpeg: boolean;
  readonly #maxAhead: number;
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  #cursor: Cursor | undefined;
  #cursorChanged = false;
  #held = false;
  #holdTimer: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  #lastTimestamp = 0;
  #lagMs = 0;
  #frames = 0;
  /** Off-screen buffer layers (negative indices) and their pixels. */
  readonly #buffers = new Map<number, Surface>();
  #nextBuffer = FIRST_BUFFER_LAYER;

  constructor(options: DisplayOptions = {}) {
    this.#clientJpeg = (options.imageMimetypes ?? []).includes('image/jpeg');
    this.#jpeg = this.#clientJpeg;
    this.#maxAhead = options.maxFramesAhead ?? 2;
    this.#maxWaitMs = options.maxWaitMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  /** The last measured client processing lag in ms. */
  get lagMs(): number {
    return this.#lagMs;
  }
  /** Frames sent so far. */
  get frames(): number {
    return this.#frames;
  }
  /** The most frames any user has not answered yet. */
  get framesInFlight(): number {
    let max = 0;
    for (const s of this.#sinks.values()) max = Math.max(max, s.unanswered.length);
    return max;
  }

  /** Never sends lossy images from now on (a protocol's `force-lossless`, as guacd's display->lossless). */
  forceLossless(): void {
    this.#jpeg = false;
  }

  // Drawing, called by protocols.
  resize(width: number, height: number): void {
    this.surface.resize(width, height);
    this.#heat.resize(width, height);
  }
  put(x: number, y: number, image: RgbaImage): void {
    this.surface.put(x, y, image);
  }
  /**
   * A finished, opaque PNG or JPEG of exactly `width`×`height` from the remote server. A client that
   * takes the format gets the bytes as they are (no decoding, no encoding); otherwise it is decoded here.
   */
  putImage(x: number, y: number, width: number, height: number, mimetype: ImageMimetype, data: Uint8Array): void {
    const takes = mimetype === 'image/png' || this.#clientJpeg;
    if (takes && this.surface.putEncoded({ x, y, width, height }, mimetype, data)) return;
    let image: RgbaImage;
    try {
      image = decodeImage(mimetype, data);
    } catch (err) {
      // A broken image leaves the area as it was, as a browser would.
      if (err instanceof ImageDecodeError) return;
      throw err;
    }
    this.surface.put(x, y, image);
  }
  fill(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    this.surface.fill(x, y, width, height, rgba);
  }
  copy(sx: number, sy: number, width: number, height: number, dx: number, dy: number): void {
    this.surface.copy(sx, sy, width, height, dx, dy);
  }
  /** Fills a rectangle of the default layer, sent as `rect`+`cfill` in drawing order (not as a dirty area). */
  paint(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    this.surface.paint(x, y, width, height, rgba);
  }

  // Off-screen buffers: drawn into once (e.g. a glyph cache), then `copy`'d onto the default layer.
  /** Allocates an off-screen buffer layer (−2, −3, …) of the given size; returns its index. */
  createBuffer(width: number, height: number): number {
    const layer = this.#nextBuffer--;
    const surface = new Surface();
    surface.resize(width, height);
    this.#buffers.set(layer, surface);
    return layer;
  }
  /** Resizes a buffer, keeping its pixels (the client's Layer.resize keeps them too). */
  resizeBuffer(layer: number, width: number, height: number): void {
    this.#buffer(layer).resize(width, height);
  }
  /** Draws pixels into a buffer; they go out as a lossless image before the frame's other drawing. */
  putBuffer(layer: number, x: number, y: number, image: RgbaImage): void {
    this.#buffer(layer).put(x, y, image);
  }
  /** Copies an area of a buffer onto the default layer (`copy,<layer>,…,0,dx,dy`). */
  copyFromBuffer(layer: number, sx: number, sy: number, width: number, height: number, dx: number, dy: number): void {
    this.surface.blit(this.#buffer(layer), layer, sx, sy, width, height, dx, dy);
  }

  setCursor(hotX: number, hotY: number, image: RgbaImage): void {
    this.#cursor = { hotX, hotY, image };
    this.#cursorChanged = true;
  }

  // Users.
  /** Attaches a user; with `replay` it first gets the whole current picture (a joining user). */
  attach(sink: DisplaySink, replay = false): void {
    this.#sinks.set(sink, { unanswered: [] });
    if (replay && this.surface.width > 0) {
      const full: Rect = { x: 0, y: 0, width: this.surface.width, height: this.surface.height };
      // Buffers first: later frames copy from them.
      let out = this.#bufferReplay();
      out += encode.size(DEFAULT_LAYER, full.width, full.height);
      out += this.#rectInstructions(full, false);
      if (this.#cursor) out += this.#cursorInstructions(this.#cursor);
      this.#send(out, [sink]);
    }
  }

  detach(sink: DisplaySink): void {
    this.#sinks.delete(sink);
    this.#releaseIfReady();
  }

  /**
   * A user answered `sync,<timestamp>`. Updates the lag and releases a held frame.
   * guacd drops a user whose timestamp is newer than any it sent.
   */
  onSync(sink: DisplaySink, timestamp: number): SyncReply {
    const state = this.#sinks.get(sink);
    if (!state) return 'ok';
    if (timestamp > this.#lastTimestamp) return 'unknown-timestamp';
    const before = state.unanswered.length;
    state.unanswered = state.unanswered.filter((t) => t > timestamp);
    if (state.unanswered.length < before) this.#lagMs = Math.max(0, this.#now() - timestamp);
    this.#releaseIfReady();
    return 'ok';
  }

  /** Runs `callback` once the users have answered enough frames that another may be sent. */
  whenReady(callback: () => void): void {
    if (!this.#held && this.framesInFlight < this.#maxAhead) callback();
    else this.#waiters.push(callback);
  }

  /** Ends a frame: sends the changes now, or holds them until the users catch up. */
  endFrame(): void {
    if (!this.#hasChanges) return;
    if (this.framesInFlight >= this.#maxAhead) {
      this.#hold();
      return;
    }
    this.flush();
  }

  /** Sends every pending change and a `sync`, regardless of pacing. */
  flush(): void {
    this.#held = false;
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    if (!this.#hasChanges) return;
    let out = this.#bufferChanges();
    const { ops, rects } = this.surface.takeChanges();
    for (const op of ops) out += opInstructions(DEFAULT_LAYER, op);
    const now = this.#now();
    for (const rect of frameRects(rects)) {
      out += this.#rectInstructions(rect, this.#jpeg);
      this.#heat.touch(rect, now);
    }
    if (this.#cursorChanged && this.#cursor) out += this.#cursorInstructions(this.#cursor);
    this.#cursorChanged = false;
    const timestamp = Math.max(now, this.#lastTimestamp + 1);
    this.#lastTimestamp = timestamp;
    for (const state of this.#sinks.values()) state.unanswered.push(timestamp);
    this.#frames++;
    this.#send(out + encode.sync(timestamp), [...this.#sinks.keys()]);
  }

  /** Stops timers and forgets the users. */
  dispose(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#sinks.clear();
    this.#waiters = [];
  }

  get #hasChanges(): boolean {
    if (this.surface.hasChanges || this.#cursorChanged) return true;
    for (const b of this.#buffers.values()) if (b.hasChanges) return true;
    return false;
  }

  #buffer(layer: number): Surface {
    const surface = this.#buffers.get(layer);
    if (!surface) throw new RangeError(`no buffer layer ${layer}`);
    return surface;
  }

  /** Every buffer's resizes and new pixels (always lossless). */
  #bufferChanges(): string {
    let out = '';
    for (const [layer, surface] of this.#buffers) {
      if (!surface.hasChanges) continue;
      const { ops, rects } = surface.takeChanges();
      for (const op of ops) out += opInstructions(layer, op);
      for (const rect of rects) {
        const image = surface.read(rect);
        out += imageInstructions(CompositeMode.OVER, layer, 'image/png', rect.x, rect.y, encodePng(image));
      }
    }
    return out;
  }

  /** Every buffer whole, for a joining user. */
  #bufferReplay(): string {
    let out = '';
    for (const [layer, surface] of this.#buffers) {
      out += encode.size(layer, surface.width, surface.height);
      if (surface.width === 0 || surface.height === 0) continue;
      const image = surface.read({ x: 0, y: 0, width: surface.width, height: surface.height });
      out += imageInstructions(CompositeMode.OVER, layer, 'image/png', 0, 0, encodePng(image));
    }
    return out;
  }

  #hold(): void {
    this.#held = true;
    if (this.#holdTimer) return;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      // Nobody answered in time: send anyway rather than freeze.
      for (const state of this.#sinks.values()) state.unanswered = [];
      this.#releaseIfReady();
    }, this.#maxWaitMs);
    this.#holdTimer.unref();
  }

  #releaseIfReady(): void {
    if (this.framesInFlight >= this.#maxAhead) return;
    if (this.#held) this.flush();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #send(data: string, sinks: readonly DisplaySink[]): void {
    for (const sink of sinks) sink.write(data);
  }

  /**
   * One dirty rectangle as `rect`+`cfill` (solid) or an image: JPEG when allowed and fitting (fast-changing,
   * photo-like and more than 256 colours), else PNG. Two colours at most (text) are read where they are.
   */
  #rectInstructions(rect: Rect, allowJpeg: boolean): string {
    const bilevel = bilevelPalette(this.surface.area(rect));
    if (bilevel) return this.#paletteInstructions(rect, bilevel);
    const image = this.surface.read(rect, this.#readScratch);
    this.#readScratch = image.data;
    const palette = indexedPalette(image);
    if (palette) return this.#paletteInstructions(rect, palette);
    const opaque = isOpaque(image);
    // Clear a translucent area first so that it does not blend with what was there.
    const clear = opaque ? '' : this.#clear(rect);
    if (allowJpeg && opaque && area(rect) > JPEG_MIN_AREA && this.#heat.framesPerSecond(rect) >= JPEG_MIN_FPS && pngOptimality(image) < 0) {
      const jpeg = encodeJpeg(image, jpegQuality(this.#lagMs));
      return clear + imageInstructions(CompositeMode.OVER, DEFAULT_LAYER, 'image/jpeg', rect.x, rect.y, jpeg);
    }
    return clear + imageInstructions(CompositeMode.OVER, DEFAULT_LAYER, 'image/png', rect.x, rect.y, encodeTrueColourPng(image, opaque));
  }

  /** A rectangle of at most 256 colours: a fill when it is one opaque colour, else a palettised PNG (always lossless). */
  #paletteInstructions(rect: Rect, palette: Palette): string {
    const solid = palette.colours.length === 1 ? rgbaOf(palette.colours[0]!) : undefined;
    if (solid && solid[3] === 255) {
      return (
        encode.rect(DEFAULT_LAYER, rect.x, rect.y, rect.width, rect.height) +
        encode.cfill(CompositeMode.OVER, DEFAULT_LAYER, solid[0], solid[1], solid[2], solid[3])
      );
    }
    const opaque = palette.colours.every((c) => c >>> 24 === 255);
    const png = encodePalettePng(rect.width, rect.height, palette);
    return (opaque ? '' : this.#clear(rect)) + imageInstructions(CompositeMode.OVER, DEFAULT_LAYER, 'image/png', rect.x, rect.y, png);
  }

  #clear(rect: Rect): string {
    return encode.rect(DEFAULT_LAYER, rect.x, rect.y, rect.width, rect.height) + encode.cfill(CompositeMode.ROUT, DEFAULT_LAYER, 0, 0, 0, 255);
  }

  #cursorInstructions(cursor: Cursor): string {
    const { width, height } = cursor.image;
    return (
      encode.size(CURSOR_LAYER, width, height) +
      imageInstructions(CompositeMode.SRC, CURSOR_LAYER, 'image/png', 0, 0, encodePng(cursor.image, false)) +
      encode.cursor(cursor.hotX, cursor.hotY, CURSOR_LAYER, 0, 0, width, height)
    );
  }
}

/** One queued surface operation of `layer` as instructions. */
function opInstructions(layer: number, op: SurfaceOp): string {
  switch (op.kind) {
    case 'copy':
      return encode.copy(layer, op.sx, op.sy, op.width, op.height, CompositeMode.OVER, layer, op.dx, op.dy);
    case 'size':
      return encode.size(layer, op.width, op.height);
    case 'fill':
      return (
        encode.rect(layer, op.x, op.y, op.width, op.height) +
        encode.cfill(CompositeMode.OVER, layer, op.rgba[0], op.rgba[1], op.rgba[2], op.rgba[3])
      );
    case 'blit':
      return encode.copy(op.srcLayer, op.sx, op.sy, op.width, op.height, CompositeMode.OVER, layer, op.dx, op.dy);
    case 'image':
      return imageInstructions(CompositeMode.OVER, layer, op.mimetype, op.x, op.y, op.data);
  }
}
