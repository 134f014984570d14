/**
 * One running remote connection (guacd's `guac_client`): its id, the protocol module's connection,
 * the display every user sees, and the users (sessions) attached to it. The owner starts it; others
 * join by id; it ends when the remote side ends or the last user leaves.
 */
import { Display } from '../display/display.js';
import { encode } from '../protocol/encoder.js';
import { GuacStatus } from '../protocol/status.js';
import type {
  ClientInfo,
  GuacLogger,
  ProtocolConnection,
  ProtocolHost,
  ProtocolModule,
} from './protocol-module.js';
import { isStatusError } from './protocol-module.js';
import type { GuacSession } from './session.js';

/** Broadcast streams have odd indices; 1 carries images (display/image-stream.ts). */
const CLIPBOARD_STREAM = 3;
/** guacd sends clipboard contents in blobs of 4096 bytes. */
const CLIPBOARD_BLOB_BYTES = 4096;

export class SharedConnection implements ProtocolHost {
  readonly display: Display;
  readonly #sessions = new Set<GuacSession>();
  #protocol: ProtocolConnection | undefined;
  #closed = false;

  constructor(
    readonly id: string,
    readonly module: ProtocolModule,
    readonly client: ClientInfo,
    readonly logger: GuacLogger,
    private readonly onEnded: (connection: SharedConnection) => void,
  ) {
    this.display = new Display({ imageMimetypes: client.imageMimetypes });
  }

  /** Connects the remote side for the owner, whose session is already attached. */
  async start(owner: GuacSession): Promise<void> {
    try {
      const protocol = await this.module.connect(this, owner.args);
      if (this.#closed) {
        protocol.close();
        return;
      }
      this.#protocol = protocol;
      for (const session of this.#sessions) session.input = protocol.inputFor(session.args);
      this.logger.info(`connection ${this.id}: ${this.module.name} connected`);
    } catch (err) {
      const status = isStatusError(err) ? err.guacStatus : GuacStatus.SERVER_ERROR;
      const message = err instanceof Error ? err.message : String(err);
      this.abort(status, message);
    }
  }

  /** Attaches a user; a joining user first gets the whole current picture. */
  add(session: GuacSession, replay: boolean): void {
    this.#sessions.add(session);
    session.connection = this;
    if (this.#protocol) session.input = this.#protocol.inputFor(session.args);
    this.display.attach(session.sink, replay);
  }

  /** Detaches a user; the connection ends with its last user. */
  remove(session: GuacSession): void {
    if (!this.#sessions.delete(session)) return;
    this.display.detach(session.sink);
    if (this.#sessions.size === 0) this.#shutdown();
  }

  sendClipboard(mimetype: string, text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    let out = encode.clipboard(CLIPBOARD_STREAM, mimetype);
    for (let offset = 0; offset < bytes.length; offset += CLIPBOARD_BLOB_BYTES) {
      out += encode.blob(CLIPBOARD_STREAM, bytes.toString('base64', offset, Math.min(bytes.length, offset + CLIPBOARD_BLOB_BYTES)));
    }
    out += encode.end(CLIPBOARD_STREAM);
    this.#broadcast(out);
  }

  setName(title: string): void {
    this.#broadcast(encode.name(title));
  }

  abort(status: GuacStatus, message: string): void {
    if (this.#closed) return;
    this.logger.warn(`connection ${this.id}: aborted: ${message}`);
    for (const session of [...this.#sessions]) session.fail(status, message);
    this.#shutdown();
  }

  end(): void {
    if (this.#closed) return;
    for (const session of [...this.#sessions]) session.close();
    this.#shutdown();
  }

  #broadcast(data: string): void {
    for (const session of this.#sessions) session.write(data);
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#protocol?.close();
    this.#protocol = undefined;
    this.display.dispose();
    this.logger.info(`connection ${this.id}: ended`);
    this.onEnded(this);
  }
}
