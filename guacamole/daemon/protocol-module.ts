/**
 * What a protocol module (vnc today; ssh and rdp later) implements, and what it sees of the daemon.
 * Like guacd's plugins: a list of argument names in wire order, a connect entry point, and
 * per-user input handlers. Read-only users simply get no input handlers.
 */
import type { Display } from '../display/display.js';
import type { GuacStatus } from '../protocol/status.js';

export type LogFn = (message: string) => void;

/** The logger the daemon takes: pino, console or anything with these four methods. */
export interface GuacLogger {
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly debug: LogFn;
}

/** What the connecting client declared in the handshake. */
export interface ClientInfo {
  /** The version from `connect` (`VERSION_1_1_0` from guacamole-lite), `VERSION_1_0_0` when empty. */
  readonly protocolVersion: string;
  readonly width: number;
  readonly height: number;
  readonly dpi: number;
  readonly audioMimetypes: readonly string[];
  readonly videoMimetypes: readonly string[];
  readonly imageMimetypes: readonly string[];
  readonly timezone: string | undefined;
  readonly name: string | undefined;
}

/** Arguments from `connect`, keyed by the names in the protocol's `argNames`; '' means "default". */
export type ConnectArgs = Readonly<Record<string, string>>;

/** The daemon side of one running connection, handed to the protocol module. */
export interface ProtocolHost {
  /** The connection id (`$uuid`). */
  readonly id: string;
  readonly display: Display;
  /** The owner's handshake. */
  readonly client: ClientInfo;
  readonly logger: GuacLogger;
  /** Sends text to every user as a `clipboard` stream. */
  sendClipboard(mimetype: string, text: string): void;
  /** Sends the window title (`name`). */
  setName(title: string): void;
  /** Ends the connection for every user with `error,<message>,<status>` (guac_client_abort). */
  abort(status: GuacStatus, message: string): void;
  /** Ends the connection normally: every user gets `disconnect`. */
  end(): void;
}

/** Input handlers for one user. Absent handlers mean the input is ignored (read-only). */
export interface InputHandlers {
  mouse?(x: number, y: number, buttonMask: number): void;
  key?(keysym: number, pressed: boolean): void;
  size?(width: number, height: number, dpi: number): void;
  clipboard?(mimetype: string, text: string): void;
}

export interface ProtocolConnection {
  /** Input handlers for a user who connected with `args`; `{}` for a read-only user. */
  inputFor(args: ConnectArgs): InputHandlers;
  /** Closes the remote side; no further host calls follow. */
  close(): void;
}

export interface ProtocolModule {
  /** The name clients `select` (vnc, ssh, rdp). */
  readonly name: string;
  /** Parameter names, in the order `args` lists them and `connect` returns their values. */
  readonly argNames: readonly string[];
  /**
   * Starts the remote connection for the owner. Resolves once the remote side is up; rejects with an
   * Error carrying `guacStatus` (a Guacamole status) when it cannot be reached.
   */
  connect(host: ProtocolHost, args: ConnectArgs): Promise<ProtocolConnection>;
}

/** An Error with the Guacamole status to report (RfbError has the same shape). */
export interface StatusError extends Error {
  readonly guacStatus: number;
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof Error && typeof (err as Partial<StatusError>).guacStatus === 'number';
}
