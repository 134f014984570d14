/**
 * The handshake for one socket, as guacd's `connection.c` and `user-handshake.c` do it:
 * `select` a protocol (or `$id` of a running connection), answer `args` with the version and the
 * parameter names, read size/audio/video/image/timezone/name until `connect`, then `ready,$id`.
 */
import { randomUUID } from 'node:crypto';
import { encode } from '../protocol/encoder.js';
import { GuacParseError } from '../protocol/parser.js';
import { GuacStatus } from '../protocol/status.js';
import { dispatch } from './handlers.js';
import type { ClientInfo, GuacLogger, ProtocolModule } from './protocol-module.js';
import type { ProtocolRegistry } from './registry.js';
import { SessionClosedError, SessionTimeoutError, type GuacSession } from './session.js';
import { SharedConnection } from './shared-connection.js';

/** The protocol version this daemon speaks, sent first in `args`. */
export const SERVER_PROTOCOL_VERSION = 'VERSION_1_5_0';
/** What an empty version in `connect` means. */
const DEFAULT_CLIENT_VERSION = 'VERSION_1_0_0';

export interface ConnectionDeps {
  readonly registry: ProtocolRegistry;
  /** Running connections by id, for joins. */
  readonly connections: Map<string, SharedConnection>;
  readonly logger: GuacLogger;
}

/** A handshake step the client got wrong: reported with `error` and the status, then closed. */
class HandshakeError extends Error {
  constructor(
    readonly status: GuacStatus,
    message: string,
  ) {
    super(message);
  }
}

/** Runs the handshake on a fresh session and starts or joins a connection. Never rejects. */
export async function handleConnection(session: GuacSession, deps: ConnectionDeps): Promise<void> {
  try {
    await handshake(session, deps);
  } catch (err) {
    if (err instanceof HandshakeError) session.fail(err.status, err.message);
    else if (err instanceof SessionTimeoutError) session.fail(GuacStatus.CLIENT_TIMEOUT, err.message);
    else if (err instanceof SessionClosedError || err instanceof GuacParseError) session.close();
    else {
      deps.logger.error(`session ${session.id}: handshake failed: ${err instanceof Error ? err.stack : String(err)}`);
      session.fail(GuacStatus.SERVER_ERROR, 'Internal server error.');
    }
  }
}

async function handshake(session: GuacSession, deps: ConnectionDeps): Promise<void> {
  const select = await session.next();
  if (select.opcode !== 'select' || select.args.length !== 1) {
    throw new HandshakeError(GuacStatus.CLIENT_BAD_REQUEST, 'Expected "select" with exactly one argument.');
  }
  const selector = select.args[0]!;
  let module: ProtocolModule | undefined;
  let joining: SharedConnection | undefined;
  if (selector.startsWith('$')) {
    joining = deps.connections.get(selector);
    if (!joining) throw new HandshakeError(GuacStatus.RESOURCE_NOT_FOUND, 'No such connection.');
    module = joining.module;
  } else {
    try {
      module = await deps.registry.get(selector);
    } catch (err) {
      deps.logger.error(`protocol "${selector}" failed to load: ${err instanceof Error ? err.message : String(err)}`);
      throw new HandshakeError(GuacStatus.SERVER_ERROR, `Protocol "${selector}" is unavailable.`);
    }
    if (!module) throw new HandshakeError(GuacStatus.UNSUPPORTED, `Protocol "${selector}" is not supported.`);
  }
  session.write(encode.args(SERVER_PROTOCOL_VERSION, module.argNames));

  const { client, values } = await readClientHandshake(session, module);
  session.client = client;
  session.args = Object.fromEntries(module.argNames.map((name, i) => [name, values[i] ?? '']));
  deps.logger.info(
    `session ${session.id}: ${joining ? `joining ${joining.id}` : `new ${module.name} connection`} ` +
      `(${client.protocolVersion}, ${client.width}x${client.height})`,
  );

  if (joining) {
    session.write(encode.ready(joining.id));
    joining.add(session, true);
    session.open(dispatch);
    return;
  }
  const id = `$${randomUUID()}`;
  const connection = new SharedConnection(id, module, client, deps.logger, (ended) => deps.connections.delete(ended.id));
  deps.connections.set(id, connection);
  session.write(encode.ready(id));
  connection.add(session, false);
  session.open(dispatch);
  await connection.start(session);
}

/** Reads the client's capabilities until `connect`; returns them and the connect values. */
async function readClientHandshake(
  session: GuacSession,
  module: ProtocolModule,
): Promise<{ client: ClientInfo; values: readonly string[] }> {
  let width = 1024;
  let height = 768;
  let dpi = 96;
  let audio: readonly string[] = [];
  let video: readonly string[] = [];
  let image: readonly string[] = [];
  let timezone: string | undefined;
  let name: string | undefined;
  for (;;) {
    const { opcode, args } = await session.next();
    switch (opcode) {
      case 'size': {
        if (args.length < 2) throw new HandshakeError(GuacStatus.CLIENT_BAD_REQUEST, 'Received "size" with too few arguments.');
        width = positiveInt(args[0], width);
        height = positiveInt(args[1], height);
        dpi = positiveInt(args[2], dpi);
        break;
      }
      case 'audio':
        audio = args;
        break;
      case 'video':
        video = args;
        break;
      case 'image':
        image = args;
        break;
      case 'timezone':
        timezone = args[0] || undefined;
        break;
      case 'name':
        name = args[0] || undefined;
        break;
      case 'connect': {
        if (args.length !== 1 + module.argNames.length) {
          throw new HandshakeError(
            GuacStatus.CLIENT_BAD_REQUEST,
            `Client did not return the expected number of arguments (${args.length - 1} of ${module.argNames.length}).`,
          );
        }
        const version = args[0] || DEFAULT_CLIENT_VERSION;
        const client: ClientInfo = {
          protocolVersion: version,
          width,
          height,
          dpi,
          audioMimetypes: audio,
          videoMimetypes: video,
          imageMimetypes: image,
          timezone,
          name,
        };
        return { client, values: args.slice(1) };
      }
      default:
        session.logger.debug(`session ${session.id}: ignoring "${opcode}" during the handshake`);
    }
  }
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
