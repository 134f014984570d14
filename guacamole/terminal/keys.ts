/**
 * X11 keysyms (as Guacamole sends them) → the bytes xterm sends for them: UTF-8 for characters,
 * C0 controls for Ctrl combinations, an ESC prefix for Alt, CSI / SS3 sequences for cursor,
 * editing and function keys (with xterm's `;<modifier>` parameter), application cursor mode.
 * Pure: the caller tracks which modifiers are held.
 */

export const enum Keysym {
  BackSpace = 0xff08,
  Tab = 0xff09,
  Return = 0xff0d,
  Escape = 0xff1b,
  Home = 0xff50,
  Left = 0xff51,
  Up = 0xff52,
  Right = 0xff53,
  Down = 0xff54,
  PageUp = 0xff55,
  PageDown = 0xff56,
  End = 0xff57,
  Insert = 0xff63,
  Delete = 0xffff,
  KP_Enter = 0xff8d,
  ISO_Left_Tab = 0xfe20,
  F1 = 0xffbe,
  F12 = 0xffc9,
  Shift_L = 0xffe1,
  Shift_R = 0xffe2,
  Control_L = 0xffe3,
  Control_R = 0xffe4,
  Meta_L = 0xffe7,
  Meta_R = 0xffe8,
  Alt_L = 0xffe9,
  Alt_R = 0xffea,
}

export interface Modifiers {
  readonly shift: boolean;
  readonly ctrl: boolean;
  readonly alt: boolean;
}

export interface KeyModes {
  /** DECCKM: arrows send ESC O x instead of ESC [ x. */
  readonly applicationCursor: boolean;
  /** The byte BackSpace sends (guacd's `backspace`, 127 by default). */
  readonly backspace: number;
}

const ESC = '\x1b';
export const NO_MODIFIERS: Modifiers = { shift: false, ctrl: false, alt: false };
export const DEFAULT_KEY_MODES: KeyModes = { applicationCursor: false, backspace: 127 };

/** Cursor keys: keysym → final byte (ESC [ x, ESC O x). */
const CURSOR: ReadonlyMap<number, string> = new Map([
  [Keysym.Up, 'A'],
  [Keysym.Down, 'B'],
  [Keysym.Right, 'C'],
  [Keysym.Left, 'D'],
  [Keysym.Home, 'H'],
  [Keysym.End, 'F'],
]);

/** Editing keys: keysym → number in ESC [ n ~. */
const TILDE: ReadonlyMap<number, number> = new Map([
  [Keysym.Insert, 2],
  [Keysym.Delete, 3],
  [Keysym.PageUp, 5],
  [Keysym.PageDown, 6],
]);

/** F1–F12: F1–F4 are SS3 P..S, F5–F12 are ESC [ n ~ (xterm). */
const FUNCTION_TILDE = [15, 17, 18, 19, 20, 21, 23, 24] as const;

/** xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl; 1 means none. */
function modifierParam(m: Modifiers): number {
  return 1 + (m.shift ? 1 : 0) + (m.alt ? 2 : 0) + (m.ctrl ? 4 : 0);
}

/** The Unicode character a keysym types, or undefined for non-character keysyms. */
export function keysymToChar(keysym: number): string | undefined {
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return String.fromCodePoint(keysym);
  if (keysym >= 0x01000000 && keysym <= 0x0110ffff) {
    const cp = keysym - 0x01000000;
    if (cp >= 0xd800 && cp <= 0xdfff) return undefined;
    return String.fromCodePoint(cp);
  }
  return undefined;
}

/** Ctrl + a character → its C0 control, as xterm maps it; undefined when Ctrl does not change it. */
function controlOf(ch: string): string | undefined {
  const c = ch.codePointAt(0)!;
  if (c >= 0x40 && c <= 0x5f) return String.fromCharCode(c & 0x1f); // @ A–Z [ \ ] ^ _
  if (c >= 0x61 && c <= 0x7a) return String.fromCharCode(c & 0x1f); // a–z
  switch (ch) {
    case ' ':
    case '2':
      return '\x00';
    case '3':
      return '\x1b';
    case '4':
      return '\x1c';
    case '5':
      return '\x1d';
    case '6':
      return '\x1e';
    case '7':
    case '/':
    case '-':
      return '\x1f';
    case '8':
    case '?':
      return '\x7f';
    default:
      return undefined;
  }
}

/**
 * The bytes (as a string of code points; UTF-8 encode before sending) xterm sends when `keysym` is
 * pressed with `mods` held; undefined for keys that send nothing (modifiers, unknown keysyms).
 */
export function keysymToSequence(keysym: number, mods: Modifiers = NO_MODIFIERS, modes: KeyModes = DEFAULT_KEY_MODES): string | undefined {
  const param = modifierParam(mods);
  const cursor = CURSOR.get(keysym);
  if (cursor) {
    if (param > 1) return `${ESC}[1;${param}${cursor}`;
    return modes.applicationCursor ? `${ESC}O${cursor}` : `${ESC}[${cursor}`;
  }
  const tilde = TILDE.get(keysym);
  if (tilde !== undefined) return param > 1 ? `${ESC}[${tilde};${param}~` : `${ESC}[${tilde}~`;
  if (keysym >= Keysym.F1 && keysym <= Keysym.F12) {
    const n = keysym - Keysym.F1;
    if (n < 4) {
      const final = 'PQRS'[n]!;
      return param > 1 ? `${ESC}[1;${param}${final}` : `${ESC}O${final}`;
    }
    const code = FUNCTION_TILDE[n - 4]!;
    return param > 1 ? `${ESC}[${code};${param}~` : `${ESC}[${code}~`;
  }
  const alt = mods.alt ? ESC : '';
  switch (keysym) {
    case Keysym.Return:
    case Keysym.KP_Enter:
      return `${alt}\r`;
    case Keysym.Tab:
      return mods.shift ? `${ESC}[Z` : `${alt}\t`;
    case Keysym.ISO_Left_Tab:
      return `${ESC}[Z`;
    case Keysym.Escape:
      return `${alt}${ESC}`;
    case Keysym.BackSpace:
      // Ctrl+BackSpace sends the other erase character.
      return alt + String.fromCharCode(mods.ctrl ? (modes.backspace === 127 ? 8 : 127) : modes.backspace);
  }
  // Keypad digits and operators (NumLock on) type their characters.
  if (keysym >= 0xffaa && keysym <= 0xffb9) return alt + String.fromCharCode(keysym - 0xff80);
  const ch = keysymToChar(keysym);
  if (ch === undefined) return undefined;
  if (mods.ctrl) {
    const control = controlOf(ch);
    if (control !== undefined) return alt + control;
  }
  return alt + ch;
}

/** True for the modifier keysyms the terminal tracks itself. */
export function isModifier(keysym: number): boolean {
  return (keysym >= Keysym.Shift_L && keysym <= Keysym.Alt_R) || keysym === 0xfe03;
}
