/**
 * Builds every instruction the daemon writes: one small function per opcode, gathered in `encode`,
 * like libguac's `guac_protocol_send_<opcode>`. No other file spells an instruction by hand.
 * Element lengths count Unicode code points (guacd's `guac_utf8_strlen`).
 */
import type { CompositeMode } from './instructions.js';
import type { GuacStatus } from './status.js';

type Value = string | number;

const SURROGATE = /[\uD800-\uDFFF]/;

/** Length of `s` in Unicode code points (a surrogate pair counts once). */
export function codePointLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function element(value: Value): string {
  const s = typeof value === 'number' ? String(Math.trunc(value)) : value;
  return `${codePointLength(s)}.${s}`;
}

/** Any instruction: `opcode` followed by its arguments. */
export function instruction(opcode: string, ...args: readonly Value[]): string {
  let out = element(opcode);
  for (const arg of args) out += `,${element(arg)}`;
  return `${out};`;
}

export const encode = {
  // Handshake
  /** `args`: the protocol version first, then the protocol's parameter names in wire order. */
  args: (version: string, names: readonly string[]): string => instruction('args', version, ...names),
  ready: (connectionId: string): string => instruction('ready', connectionId),
  /** Client side of the handshake, for tools and tests that act as a client. */
  select: (protocol: string): string => instruction('select', protocol),

  // Drawing
  size: (layer: number, width: number, height: number): string => instruction('size', layer, width, height),
  img: (stream: number, mask: CompositeMode, layer: number, mimetype: string, x: number, y: number): string =>
    instruction('img', stream, mask, layer, mimetype, x, y),
  blob: (stream: number, base64: string): string => instruction('blob', stream, base64),
  end: (stream: number): string => instruction('end', stream),
  rect: (layer: number, x: number, y: number, width: number, height: number): string =>
    instruction('rect', layer, x, y, width, height),
  cfill: (mask: CompositeMode, layer: number, r: number, g: number, b: number, a: number): string =>
    instruction('cfill', mask, layer, r, g, b, a),
  copy: (
    srcLayer: number,
    sx: number,
    sy: number,
    width: number,
    height: number,
    mask: CompositeMode,
    dstLayer: number,
    dx: number,
    dy: number,
  ): string => instruction('copy', srcLayer, sx, sy, width, height, mask, dstLayer, dx, dy),
  cursor: (hotX: number, hotY: number, srcLayer: number, sx: number, sy: number, width: number, height: number): string =>
    instruction('cursor', hotX, hotY, srcLayer, sx, sy, width, height),
  move: (layer: number, parent: number, x: number, y: number, z: number): string => instruction('move', layer, parent, x, y, z),
  shade: (layer: number, opacity: number): string => instruction('shade', layer, opacity),
  dispose: (layer: number): string => instruction('dispose', layer),
  set: (layer: number, name: string, value: string): string => instruction('set', layer, name, value),
  mouse: (x: number, y: number, mask: number, timestamp: number): string => instruction('mouse', x, y, mask, timestamp),

  // Session
  name: (title: string): string => instruction('name', title),
  log: (message: string): string => instruction('log', message),
  /** End of frame. guacd 1.5.x sends one argument; this is the only writer of `sync`. */
  sync: (timestamp: number): string => instruction('sync', timestamp),
  clipboard: (stream: number, mimetype: string): string => instruction('clipboard', stream, mimetype),
  ack: (stream: number, message: string, status: GuacStatus): string => instruction('ack', stream, message, status),
  nop: (): string => instruction('nop'),
  error: (message: string, status: GuacStatus): string => instruction('error', message, status),
  disconnect: (): string => instruction('disconnect'),
} as const;

export type Encode = typeof encode;
