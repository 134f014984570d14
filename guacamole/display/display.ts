/**
 * The remote display as guacd keeps it: the default layer (0) as a Surface, the cursor in a buffer
 * layer, and the frame loop. Protocols draw into it; at `endFrame` the changes go out as
 * `copy` / `size` / `rect`+`cfill` / PNG or JPEG images, closed by `sync`, to every attached user.
 * Frames are paced by the users' `sync` replies: no more than `maxFramesAhead` unanswered frames.
 */
import { encode } from '../protocol/encoder.js';
import { CompositeMode } from '../protocol/instructions.js';
import { encodeJpeg, encodePng, isOpaque, jpegQuality, pngOptimality, solidColor } from './encoders.js';
import { HeatMap } from './heat-map.js';
import { imageInstructions } from './image-stream.js';
import { area, type Rect } from './rect.js';
import { Surface, type RgbaImage } from './surface.js';

export const DEFAULT_LAYER = 0;
/** guacd keeps the cursor in a buffer (negative index). */
export const CURSOR_LAYER = -1;
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
  /** Never send lossy images (VNC `force-lossless`). */
  readonly forceLossless?: boolean;
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
  readonly #jpeg: boolean;
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

  constructor(options: DisplayOptions = {}) {
    this.#jpeg = !options.forceLossless && (options.imageMimetypes ?? []).includes('image/jpeg');
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

  // Drawing, called by protocols.
  resize(width: number, height: number): void {
    this.surface.resize(width, height);
    this.#heat.resize(width, height);
  }
  put(x: number, y: number, image: RgbaImage): void {
    this.surface.put(x, y, image);
  }
  fill(x: number, y: number, width: number, height: number, rgba: readonly [number, number, number, number]): void {
    this.surface.fill(x, y, width, height, rgba);
  }
  copy(sx: number, sy: number, width: number, height: number, dx: number, dy: number): void {
    this.surface.copy(sx, sy, width, height, dx, dy);
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
      let out = encode.size(DEFAULT_LAYER, full.width, full.height);
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
    if (!this.surface.hasChanges && !this.#cursorChanged) return;
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
    if (!this.surface.hasChanges && !this.#cursorChanged) return;
    let out = '';
    const { ops, rects } = this.surface.takeChanges();
    for (const op of ops) {
      out +=
        op.kind === 'copy'
          ? encode.copy(DEFAULT_LAYER, op.sx, op.sy, op.width, op.height, CompositeMode.OVER, DEFAULT_LAYER, op.dx, op.dy)
          : encode.size(DEFAULT_LAYER, op.width, op.height);
    }
    const now = this.#now();
    for (const rect of rects) {
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

  /** One dirty rectangle as `rect`+`cfill` (solid) or an image (JPEG when allowed and fitting, else PNG). */
  #rectInstructions(rect: Rect, allowJpeg: boolean): string {
    const image = this.surface.read(rect);
    const solid = solidColor(image);
    if (solid && solid[3] === 255) {
      return (
        encode.rect(DEFAULT_LAYER, rect.x, rect.y, rect.width, rect.height) +
        encode.cfill(CompositeMode.SRC, DEFAULT_LAYER, solid[0], solid[1], solid[2], solid[3])
      );
    }
    const opaque = isOpaque(image);
    let out = '';
    if (!opaque) {
      // Clear the area first so the transparent parts do not blend with what was there.
      out +=
        encode.rect(DEFAULT_LAYER, rect.x, rect.y, rect.width, rect.height) +
        encode.cfill(CompositeMode.ROUT, DEFAULT_LAYER, 0, 0, 0, 255);
    }
    if (
      allowJpeg &&
      opaque &&
      area(rect) > JPEG_MIN_AREA &&
      this.#heat.framesPerSecond(rect) >= JPEG_MIN_FPS &&
      pngOptimality(image) < 0
    ) {
      const jpeg = encodeJpeg(image, jpegQuality(this.#lagMs));
      return out + imageInstructions(CompositeMode.OVER, DEFAULT_LAYER, 'image/jpeg', rect.x, rect.y, jpeg);
    }
    return out + imageInstructions(CompositeMode.OVER, DEFAULT_LAYER, 'image/png', rect.x, rect.y, encodePng(image, opaque));
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
