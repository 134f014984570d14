/**
 * Guacamole instructions as values. An instruction is an opcode plus string arguments;
 * on the wire it reads `LEN.VALUE,LEN.VALUE,...;` with LEN counted in Unicode code points.
 */

/** Opcodes a client sends during the handshake (guacd's connection.c and user-handshake.c). */
export type HandshakeOpcode = 'select' | 'size' | 'audio' | 'video' | 'image' | 'timezone' | 'name' | 'connect';

/** Opcodes a client sends once the connection is interactive (user-handlers.c). */
export type ClientOpcode =
  | 'mouse'
  | 'key'
  | 'size'
  | 'clipboard'
  | 'blob'
  | 'end'
  | 'ack'
  | 'sync'
  | 'nop'
  | 'disconnect'
  | 'touch'
  | 'file'
  | 'pipe'
  | 'argv'
  | 'audio'
  | 'get'
  | 'put'
  /** The browser tunnel's `0.,4.ping,<ms>;` keep-alive; guacd ignores it. */
  | '';

/** Opcodes the daemon writes (protocol.c), all built by `encode` in encoder.ts. */
export type ServerOpcode =
  | 'args'
  | 'ready'
  | 'size'
  | 'img'
  | 'blob'
  | 'end'
  | 'rect'
  | 'cfill'
  | 'copy'
  | 'cursor'
  | 'move'
  | 'shade'
  | 'dispose'
  | 'set'
  | 'name'
  | 'log'
  | 'mouse'
  | 'sync'
  | 'clipboard'
  | 'ack'
  | 'nop'
  | 'error'
  | 'disconnect';

export type Opcode = HandshakeOpcode | ClientOpcode | ServerOpcode;

/** One parsed instruction; `opcode` is the first element, `args` the rest. */
export interface Instruction<O extends string = string> {
  readonly opcode: O;
  readonly args: readonly string[];
}

export type SelectInstruction = Instruction<'select'>;
export type ConnectInstruction = Instruction<'connect'>;
export type MouseInstruction = Instruction<'mouse'>;
export type KeyInstruction = Instruction<'key'>;
export type SyncInstruction = Instruction<'sync'>;

/** guacd's layer compositing modes (`guac_composite_mode`), as sent in `img`, `cfill` and `copy`. */
export const enum CompositeMode {
  RIN = 0x1,
  ROUT = 0x2,
  IN = 0x4,
  ATOP = 0x6,
  OUT = 0x8,
  RATOP = 0x9,
  XOR = 0xa,
  ROVER = 0xb,
  /** Replace: the source overwrites the destination. */
  SRC = 0xc,
  /** Normal alpha blending. */
  OVER = 0xe,
  PLUS = 0xf,
}

/** guacd's parser limits (`parser-constants.h`). */
export const INSTRUCTION_MAX_BYTES = 8192;
export const INSTRUCTION_MAX_ELEMENTS = 128;
export const INSTRUCTION_MAX_DIGITS = 5;
/** Raw bytes per `blob` (`GUAC_PROTOCOL_BLOB_MAX_LENGTH`). */
export const BLOB_MAX_BYTES = 6048;
