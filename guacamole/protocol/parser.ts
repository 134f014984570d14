/**
 * The pure half of the Guacamole protocol reader: byte chunks in, instructions out.
 * An unfinished instruction is kept for the next chunk, so an instruction (or a UTF-8 character)
 * may be split anywhere. No socket, no timer: `daemon/connection.ts` owns those.
 *
 * Lengths count Unicode code points, so the reader walks UTF-8 lead bytes. guacd's limits
 * (8192 bytes per instruction, 128 elements, 5 length digits) are raised as `GuacParseError`s.
 */
import { GuacStatus } from './status.js';
import {
  INSTRUCTION_MAX_BYTES,
  INSTRUCTION_MAX_DIGITS,
  INSTRUCTION_MAX_ELEMENTS,
  type Instruction,
} from './instructions.js';

export type GuacParseErrorCode =
  | 'GUAC_INSTRUCTION_TOO_LONG'
  | 'GUAC_TOO_MANY_ELEMENTS'
  | 'GUAC_LENGTH_TOO_LONG'
  | 'GUAC_BAD_LENGTH'
  | 'GUAC_BAD_TERMINATOR'
  | 'GUAC_INCOMPLETE';

/** A malformed or oversized instruction; `status` is what the daemon reports before closing. */
export class GuacParseError extends Error {
  override readonly name = 'GuacParseError';
  constructor(
    readonly code: GuacParseErrorCode,
    readonly status: GuacStatus,
    message: string,
  ) {
    super(message);
  }
}

const DOT = 0x2e;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EMPTY = Buffer.alloc(0);

/** Result of scanning one instruction: the instruction and where it ended, or `null` if unfinished. */
type Scan = { readonly instruction: Instruction; readonly end: number } | null;

function tooLong(): GuacParseError {
  return new GuacParseError(
    'GUAC_INSTRUCTION_TOO_LONG',
    GuacStatus.CLIENT_OVERRUN,
    `Instruction exceeds ${INSTRUCTION_MAX_BYTES} bytes`,
  );
}

/**
 * Reads one instruction starting at `start`. Returns null when `buf` ends before the terminator;
 * throws when what is there can never become a valid instruction.
 */
function scanInstruction(buf: Buffer, start: number): Scan {
  const elements: string[] = [];
  const limit = Math.min(buf.length, start + INSTRUCTION_MAX_BYTES);
  let pos = start;
  for (;;) {
    // LEN: 1..5 decimal digits, then '.'
    let length = 0;
    let digits = 0;
    for (;;) {
      if (pos >= limit) return unfinished(buf, start);
      const b = buf[pos]!;
      if (b >= 0x30 && b <= 0x39) {
        if (++digits > INSTRUCTION_MAX_DIGITS) {
          throw new GuacParseError(
            'GUAC_LENGTH_TOO_LONG',
            GuacStatus.CLIENT_OVERRUN,
            `Element length has more than ${INSTRUCTION_MAX_DIGITS} digits`,
          );
        }
        length = length * 10 + (b - 0x30);
        pos++;
      } else if (b === DOT && digits > 0) {
        pos++;
        break;
      } else {
        throw new GuacParseError(
          'GUAC_BAD_LENGTH',
          GuacStatus.CLIENT_BAD_REQUEST,
          `Expected an element length at byte ${pos - start} of the instruction`,
        );
      }
    }
    // Every code point takes at least one byte, and the terminator one more.
    if (pos - start + length + 1 > INSTRUCTION_MAX_BYTES) throw tooLong();
    // VALUE: `length` code points; a UTF-8 code point starts at every byte that is not 10xxxxxx.
    const valueStart = pos;
    let count = 0;
    for (;;) {
      if (pos >= limit) return unfinished(buf, start);
      const b = buf[pos]!;
      if ((b & 0xc0) !== 0x80) {
        if (count === length) break;
        count++;
      }
      pos++;
    }
    if (elements.length === INSTRUCTION_MAX_ELEMENTS) {
      throw new GuacParseError(
        'GUAC_TOO_MANY_ELEMENTS',
        GuacStatus.CLIENT_TOO_MANY,
        `Instruction has more than ${INSTRUCTION_MAX_ELEMENTS} elements`,
      );
    }
    elements.push(buf.toString('utf8', valueStart, pos));
    const terminator = buf[pos++];
    if (terminator === SEMICOLON) {
      return { instruction: { opcode: elements[0]!, args: elements.slice(1) }, end: pos };
    }
    if (terminator !== COMMA) {
      throw new GuacParseError(
        'GUAC_BAD_TERMINATOR',
        GuacStatus.CLIENT_BAD_REQUEST,
        `Expected ',' or ';' after an element at byte ${pos - 1 - start} of the instruction`,
      );
    }
  }
}

function unfinished(buf: Buffer, start: number): null {
  if (buf.length - start >= INSTRUCTION_MAX_BYTES) throw tooLong();
  return null;
}

/**
 * Streaming reader. `push` returns every instruction completed by the chunk; after an error the
 * stream is unusable and every later `push` throws the same error.
 */
export class Parser {
  #tail: Buffer = EMPTY;
  #error: GuacParseError | undefined;

  /** Bytes of an unfinished instruction held for the next chunk. */
  get buffered(): number {
    return this.#tail.length;
  }

  push(chunk: Uint8Array | string): Instruction[] {
    if (this.#error) throw this.#error;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = this.#tail.length === 0 ? bytes : Buffer.concat([this.#tail, bytes]);
    const out: Instruction[] = [];
    let start = 0;
    try {
      while (start < buf.length) {
        const scan = scanInstruction(buf, start);
        if (scan === null) break;
        out.push(scan.instruction);
        start = scan.end;
      }
    } catch (err) {
      this.#tail = EMPTY;
      if (err instanceof GuacParseError) this.#error = err;
      throw err;
    }
    // Copy the tail so the caller's chunk (often a pooled socket buffer) is not retained.
    this.#tail = start >= buf.length ? EMPTY : Buffer.from(buf.subarray(start));
    return out;
  }
}

/** Parses a complete text holding whole instructions; an unfinished tail is an error. */
export function parseInstructions(text: string | Uint8Array): Instruction[] {
  const parser = new Parser();
  const out = parser.push(text);
  if (parser.buffered > 0) {
    throw new GuacParseError('GUAC_INCOMPLETE', GuacStatus.CLIENT_BAD_REQUEST, 'Text ends inside an instruction');
  }
  return out;
}
