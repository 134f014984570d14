/**
 * Inbound instructions once a session is open: one opcode → handler table, like guacd's
 * `user-handlers.c`. Unknown opcodes are logged and ignored (the browser's `""` ping included).
 */
import { encode } from '../protocol/encoder.js';
import type { Instruction } from '../protocol/instructions.js';
import { GuacStatus } from '../protocol/status.js';
import type { GuacSession } from './session.js';

/** guacd's clipboard limit (`GUAC_COMMON_CLIPBOARD_MAX_LENGTH`). */
export const CLIPBOARD_MAX_BYTES = 262144;
/** Stream indices a client may open: 0 to 63 (`GUAC_USER_MAX_STREAMS`). */
export const MAX_INBOUND_STREAMS = 64;

type Handler = (session: GuacSession, args: readonly string[]) => void;

function int(value: string | undefined): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

const mouse: Handler = (session, args) => {
  if (args.length < 3) return;
  session.input.mouse?.(int(args[0]), int(args[1]), int(args[2]));
};

const key: Handler = (session, args) => {
  if (args.length < 2) return;
  session.input.key?.(int(args[0]) >>> 0, args[1] === '1');
};

const size: Handler = (session, args) => {
  if (args.length < 2) return;
  session.input.size?.(int(args[0]), int(args[1]), args[2] ? int(args[2]) : 96);
};

const clipboard: Handler = (session, args) => {
  const stream = int(args[0]);
  if (!session.input.clipboard) {
    session.write(encode.ack(stream, 'Clipboard unsupported', GuacStatus.UNSUPPORTED));
    return;
  }
  if (stream < 0 || stream >= MAX_INBOUND_STREAMS) {
    session.write(encode.ack(stream, 'Invalid stream index', GuacStatus.CLIENT_BAD_REQUEST));
    return;
  }
  // Opening a stream on an index that is already open ends the old one first.
  session.inbound.delete(stream);
  session.inbound.set(stream, { kind: 'clipboard', mimetype: args[1] ?? 'text/plain', chunks: [], size: 0 });
};

const blob: Handler = (session, args) => {
  const index = int(args[0]);
  const stream = session.inbound.get(index);
  if (!stream) {
    session.write(encode.ack(index, 'Invalid stream index', GuacStatus.CLIENT_BAD_REQUEST));
    return;
  }
  const data = Buffer.from(args[1] ?? '', 'base64');
  const room = CLIPBOARD_MAX_BYTES - stream.size;
  if (room > 0) {
    const kept = data.subarray(0, room);
    stream.chunks.push(kept);
    stream.size += kept.length;
  }
};

const end: Handler = (session, args) => {
  const index = int(args[0]);
  const stream = session.inbound.get(index);
  if (!stream) {
    session.write(encode.ack(index, 'Invalid stream index', GuacStatus.CLIENT_BAD_REQUEST));
    return;
  }
  session.inbound.delete(index);
  const bytes = Buffer.concat(stream.chunks);
  if (stream.mimetype.startsWith('text/')) session.input.clipboard?.(stream.mimetype, bytes.toString('utf8'));
};

const sync: Handler = (session, args) => {
  const timestamp = int(args[0]);
  const reply = session.connection?.display.onSync(session.sink, timestamp);
  if (reply === 'unknown-timestamp') {
    session.fail(GuacStatus.CLIENT_BAD_REQUEST, `User confirmation of frame ${timestamp}ms in the future`);
  }
};

const disconnect: Handler = (session) => {
  session.logger.info(`session ${session.id}: client disconnected`);
  session.close();
};

const ignore: Handler = () => {};

export const handlers: Readonly<Record<string, Handler>> = {
  mouse,
  key,
  size,
  clipboard,
  blob,
  end,
  sync,
  disconnect,
  nop: ignore,
  /** Acks for our output streams: images and clipboard need no flow control. */
  ack: ignore,
};

/** Routes one instruction of an open session. */
export function dispatch(session: GuacSession, instruction: Instruction): void {
  const handler = Object.hasOwn(handlers, instruction.opcode) ? handlers[instruction.opcode] : undefined;
  if (handler) handler(session, instruction.args);
  else session.logger.debug(`session ${session.id}: no handler for opcode "${instruction.opcode}"`);
}
