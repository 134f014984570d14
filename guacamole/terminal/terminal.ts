/**
 * A terminal on a Guacamole display, knowing nothing of SSH: bytes from the remote go in with
 * `write`, bytes for the remote come out as `data` events (keys, paste, terminal replies).
 * @xterm/headless parses the escape sequences and keeps the screen and scrollback; the renderer
 * draws its cells through the glyph cache; frames close like guacd's terminal (at most 40 ms,
 * or 10 ms after output stops) and wait for the client to keep up.
 */
import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';
import type { Display } from '../display/display.js';
import { parseColorScheme, type ColorScheme } from './colors.js';
import { DEFAULT_FONT_NAME, DEFAULT_FONT_SIZE, TerminalFont } from './font.js';
import { DEFAULT_GLYPH_CAPACITY, GlyphCache, type GlyphCacheStats } from './glyph-cache.js';
import { isModifier, Keysym, keysymToSequence } from './keys.js';
import { TerminalRenderer, type Highlight, type RenderStats } from './renderer.js';
import { rowFrom, type Cell } from './screen.js';
import { Selection } from './selection.js';

const { Terminal: XTerm } = xterm;
type XTermInstance = InstanceType<typeof XTerm>;

export const DEFAULT_SCROLLBACK = 1000;
/** guacd's limits: at most 1024×1024 cells. */
export const MAX_DIMENSION = 1024;
export const FRAME_MS = 40;
export const QUIET_MS = 10;
/** Unparsed bytes above which `write` asks the source to pause. */
const HIGH_WATER = 1024 * 1024;
const WHEEL_LINES = 3;

const enum Button {
  LEFT = 1,
  MIDDLE = 2,
  WHEEL_UP = 8,
  WHEEL_DOWN = 16,
}

export interface TerminalOptions {
  readonly display: Display;
  /** Display size in pixels. */
  readonly width: number;
  readonly height: number;
  readonly dpi?: number;
  readonly fontName?: string;
  readonly fontSize?: number;
  /** guacd's `color-scheme` value. */
  readonly colorScheme?: string;
  readonly scrollback?: number;
  /** The byte BackSpace sends (127 by default). */
  readonly backspace?: number;
  readonly glyphCapacity?: number;
  /** xterm's TERM-independent answerback and replies go out as `data` unless false. */
  readonly replies?: boolean;
}

export interface TerminalSize {
  readonly cols: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
}

export interface TerminalEventMap {
  /** Bytes for the remote side. */
  data: [Buffer];
  /** The window title (OSC 0/2). */
  title: [string];
  /** Text the user selected, for the clipboard. */
  clipboard: [string];
  /** The grid changed size (the remote side should be told). */
  resize: [TerminalSize];
  /** Unparsed input fell below the high-water mark again. */
  drain: [];
}

export class GuacTerminal extends EventEmitter<TerminalEventMap> {
  readonly display: Display;
  readonly font: TerminalFont;
  readonly scheme: ColorScheme;
  readonly glyphs: GlyphCache;
  readonly renderer: TerminalRenderer;
  readonly #xterm: XTermInstance;
  readonly #selection = new Selection();
  readonly #backspace: number;
  #width: number;
  #height: number;
  #cursorVisible = true;
  #mods = { shift: false, ctrl: false, alt: false };
  #buttons = 0;
  #clipboard = '';
  #pending = 0;
  #paused = false;
  #frameStart = 0;
  #lastOutput = 0;
  #timer: NodeJS.Timeout | undefined;
  #renderQueued = false;
  #fullRepaint = true;
  #closed = false;
  #settleWaiters: (() => void)[] = [];

  constructor(options: TerminalOptions) {
    super();
    this.display = options.display;
    this.font = new TerminalFont(options.fontName ?? DEFAULT_FONT_NAME, options.fontSize ?? DEFAULT_FONT_SIZE, options.dpi ?? 96);
    this.scheme = parseColorScheme(options.colorScheme);
    this.#backspace = options.backspace ?? 127;
    this.glyphs = new GlyphCache(this.display, this.font, options.glyphCapacity ?? DEFAULT_GLYPH_CAPACITY);
    this.renderer = new TerminalRenderer(this.display, this.glyphs);
    this.#width = options.width;
    this.#height = options.height;
    const { cols, rows } = this.#grid(options.width, options.height);
    this.#xterm = new XTerm({ cols, rows, scrollback: options.scrollback ?? DEFAULT_SCROLLBACK, allowProposedApi: true });
    this.display.resize(options.width, options.height);
    this.#xterm.onTitleChange((title) => this.emit('title', title));
    if (options.replies !== false) {
      this.#xterm.onData((data) => this.emit('data', Buffer.from(data, 'utf8')));
      this.#xterm.onBinary((data) => this.emit('data', Buffer.from(data, 'latin1')));
    }
    // DECTCEM (show/hide cursor): watched, then left to xterm's own handler.
    this.#xterm.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => this.#cursorMode(params, true));
    this.#xterm.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => this.#cursorMode(params, false));
  }

  get cols(): number {
    return this.#xterm.cols;
  }
  get rows(): number {
    return this.#xterm.rows;
  }
  get glyphStats(): GlyphCacheStats {
    return this.glyphs.stats;
  }
  get renderStats(): RenderStats {
    return this.renderer.stats;
  }
  /** True while the remote should stop sending (unparsed input above the high-water mark). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Output from the remote side. Returns false when the caller should pause until `drain`. */
  write(data: Uint8Array | string): boolean {
    if (this.#closed) return true;
    const size = data.length;
    this.#pending += size;
    this.#xterm.write(data, () => {
      this.#pending -= size;
      this.#outputArrived();
      if (this.#paused && this.#pending < HIGH_WATER / 2) {
        this.#paused = false;
        this.emit('drain');
      }
      if (this.#pending === 0) for (const w of this.#settleWaiters.splice(0)) w();
    });
    if (this.#pending > HIGH_WATER) this.#paused = true;
    return !this.#paused;
  }

  /** Resolves once everything written so far has been parsed. */
  settled(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settleWaiters.push(resolve));
  }

  /** A key from the user (X11 keysym). */
  key(keysym: number, pressed: boolean): void {
    if (isModifier(keysym)) {
      if (keysym === Keysym.Shift_L || keysym === Keysym.Shift_R) this.#mods.shift = pressed;
      else if (keysym === Keysym.Control_L || keysym === Keysym.Control_R) this.#mods.ctrl = pressed;
      else if (keysym >= Keysym.Meta_L && keysym <= Keysym.Alt_R) this.#mods.alt = pressed;
      return;
    }
    if (!pressed) return;
    // Ctrl+Shift+V pastes the clipboard, as in guacd's terminal.
    if (this.#mods.ctrl && this.#mods.shift && (keysym === 0x56 || keysym === 0x76)) {
      this.paste(this.#clipboard);
      return;
    }
    const sequence = keysymToSequence(keysym, this.#mods, {
      applicationCursor: this.#xterm.modes.applicationCursorKeysMode,
      backspace: this.#backspace,
    });
    if (sequence === undefined) return;
    this.#toBottom();
    this.emit('data', Buffer.from(sequence, 'utf8'));
  }

  /** Pointer input: left drag selects (and copies), middle pastes, the wheel scrolls back. */
  mouse(x: number, y: number, mask: number): void {
    const pressed = mask & ~this.#buttons;
    const released = this.#buttons & ~mask;
    this.#buttons = mask;
    const at = {
      col: Math.max(0, Math.min(this.cols - 1, Math.floor(x / this.font.cellWidth))),
      row: this.#xterm.buffer.active.viewportY + Math.max(0, Math.min(this.rows - 1, Math.floor(y / this.font.cellHeight))),
    };
    if (pressed & Button.WHEEL_UP) this.#wheel(-WHEEL_LINES);
    if (pressed & Button.WHEEL_DOWN) this.#wheel(WHEEL_LINES);
    if (pressed & Button.MIDDLE) this.paste(this.#clipboard);
    if (pressed & Button.LEFT) {
      const had = this.#selection.active;
      this.#selection.start(at);
      if (had) this.#changed();
    } else if (mask & Button.LEFT) {
      if (this.#selection.extend(at)) this.#changed();
    }
    if (released & Button.LEFT && this.#selection.dragging) {
      if (this.#selection.finish()) this.emit('clipboard', this.selectedText());
      this.#changed();
    }
  }

  /** Text currently selected ('' when none). */
  selectedText(): string {
    return this.#selection.text(this.#xterm.buffer.active, this.cols);
  }

  /** Sets what middle-click and Ctrl+Shift+V paste (the client's clipboard). */
  setClipboard(text: string): void {
    this.#clipboard = text;
  }

  /** Types text into the remote as a paste (bracketed when the application asked for it). */
  paste(text: string): void {
    if (text === '') return;
    const body = text.replace(/\r?\n/g, '\r');
    const data = this.#xterm.modes.bracketedPasteMode ? `\x1b[200~${body}\x1b[201~` : body;
    this.#toBottom();
    this.emit('data', Buffer.from(data, 'utf8'));
  }

  /** The browser window changed size: resize the display and the grid. */
  resize(width: number, height: number): void {
    if (width <= 0 || height <= 0) return;
    this.#width = width;
    this.#height = height;
    this.display.resize(width, height);
    const { cols, rows } = this.#grid(width, height);
    if (cols !== this.cols || rows !== this.rows) {
      this.#xterm.resize(cols, rows);
      this.emit('resize', this.size());
    }
    this.#fullRepaint = true;
    this.#changed();
  }

  size(): TerminalSize {
    return { cols: this.cols, rows: this.rows, width: this.#width, height: this.#height };
  }

  /** The visible screen as resolved cells (no cursor or selection drawn). */
  cells(): Cell[][] {
    const buffer = this.#xterm.buffer.active;
    const scratch = buffer.getNullCell();
    const out: Cell[][] = [];
    for (let y = 0; y < this.rows; y++) out.push(rowFrom(buffer.getLine(buffer.viewportY + y), this.cols, this.scheme, scratch));
    return out;
  }

  /** The visible screen as text, one string per row, trailing blanks trimmed. */
  text(): string[] {
    const buffer = this.#xterm.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.rows; y++) out.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return out;
  }

  /** Cursor position on the screen and whether it is shown. */
  cursor(): { x: number; y: number; visible: boolean } {
    const b = this.#xterm.buffer.active;
    return { x: b.cursorX, y: b.cursorY, visible: this.#cursorVisible };
  }

  /** Scrollback position: 0 at the bottom, n when scrolled n lines back. */
  get scrolledBack(): number {
    const b = this.#xterm.buffer.active;
    return b.baseY - b.viewportY;
  }

  /** Draws the current state into the display now (the frame is not ended). */
  render(): void {
    if (this.#fullRepaint) {
      this.#fullRepaint = false;
      this.renderer.invalidate();
      const bg = this.scheme.background;
      this.display.paint(0, 0, this.#width, this.#height, [bg[0], bg[1], bg[2], 255]);
    }
    const rows = this.cells();
    this.renderer.render(rows, this.#highlight(rows));
  }

  /** Renders and ends the frame now (tests, tools). */
  flush(): void {
    this.render();
    this.display.flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#xterm.dispose();
    this.removeAllListeners();
  }

  #grid(width: number, height: number): { cols: number; rows: number } {
    const clamp = (n: number): number => Math.max(1, Math.min(MAX_DIMENSION, n));
    return { cols: clamp(Math.floor(width / this.font.cellWidth)), rows: clamp(Math.floor(height / this.font.cellHeight)) };
  }

  /** Cells drawn inverted: the selection, and the cursor when the view is at the bottom. */
  #highlight(rows: readonly (readonly Cell[])[]): Highlight {
    const buffer = this.#xterm.buffer.active;
    const top = buffer.viewportY;
    let cursorX = -1;
    let cursorY = -1;
    if (this.#cursorVisible && top === buffer.baseY) {
      cursorY = buffer.cursorY;
      cursorX = Math.min(buffer.cursorX, this.cols - 1);
      // On the right half of a wide character the cursor covers the whole character.
      if (rows[cursorY]?.[cursorX]?.width === 0 && cursorX > 0) cursorX--;
    }
    const selection = this.#selection.active ? this.#selection : undefined;
    return (x, y) => (x === cursorX && y === cursorY) !== (selection?.contains(x, top + y) ?? false);
  }

  #cursorMode(params: readonly (number | number[])[], on: boolean): boolean {
    if (params.includes(25)) {
      this.#cursorVisible = on;
    }
    return false;
  }

  #wheel(lines: number): void {
    const buffer = this.#xterm.buffer.active;
    if (buffer.type === 'alternate') {
      // No scrollback on the alternate screen: the application gets arrow keys instead.
      const seq = keysymToSequence(lines < 0 ? Keysym.Up : Keysym.Down, undefined, {
        applicationCursor: this.#xterm.modes.applicationCursorKeysMode,
        backspace: this.#backspace,
      })!;
      this.emit('data', Buffer.from(seq.repeat(Math.abs(lines)), 'utf8'));
      return;
    }
    this.#xterm.scrollLines(lines);
    this.#changed();
  }

  #toBottom(): void {
    const b = this.#xterm.buffer.active;
    if (b.viewportY !== b.baseY) {
      this.#xterm.scrollToBottom();
      this.#changed();
    }
  }

  /** Something local changed the picture (scroll, selection, resize): draw it soon. */
  #changed(): void {
    this.#outputArrived();
  }

  /** guacd's terminal frame: ends 10 ms after the last output, or 40 ms after it began. */
  #outputArrived(): void {
    if (this.#closed) return;
    const now = Date.now();
    this.#lastOutput = now;
    if (this.#timer || this.#renderQueued) return;
    this.#frameStart = now;
    this.#timer = setTimeout(this.#tick, QUIET_MS);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const quiet = now - this.#lastOutput;
    if (quiet < QUIET_MS && now - this.#frameStart < FRAME_MS) {
      this.#timer = setTimeout(this.#tick, Math.min(QUIET_MS - quiet, FRAME_MS - (now - this.#frameStart)));
      return;
    }
    this.#renderQueued = true;
    // A client that lags holds the frame; the terminal keeps absorbing output meanwhile.
    this.display.whenReady(() => {
      this.#renderQueued = false;
      if (this.#closed) return;
      this.render();
      this.display.endFrame();
    });
  };
}
