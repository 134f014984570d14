/**
 * One client socket speaking the Guacamole protocol (a guacd "user"). The session owns the socket,
 * the parser, the user's handshake and arguments, and its link to the display; it reads the handshake
 * for `connection.ts`, then dispatches instructions through `handlers.ts`.
 */
import type { Socket } from 'node:net';
import type { DisplaySink } from '../display/display.js';
import { KeepAlive } from '../display/keep-alive.js';
import { encode } from '../protocol/encoder.js';
import type { Instruction } from '../protocol/instructions.js';
import { GuacParseError, Parser } from '../protocol/parser.js';
import { GuacStatus } from '../protocol/status.js';
import type { ClientInfo, ConnectArgs, GuacLogger, InputHandlers } from './protocol-module.js';
import type { SharedConnection } from './shared-connection.js';

export const enum SessionState {
  /** Handshake in progress. */
  CONNECTING = 'CONNECTING',
  /** Joined to a connection; instructions are dispatched. */
  OPEN = 'OPEN',
  /** Ending: the last instructions are being written. */
  CLOSING = 'CLOSING',
  CLOSED = 'CLOSED',
}

/** guacd waits at most this long for each client instruction (`GUACD_TIMEOUT`). */
export const CLIENT_TIMEOUT_MS = 15000;

/** A stream the client opened towards the daemon (clipboard), collecting blobs until `end`. */
export interface InboundStream {
  readonly kind: 'clipboard';
  readonly mimetype: string;
  readonly chunks: Buffer[];
  size: number;
}

export type InstructionHandler = (session: GuacSession, instruction: Instruction) => void;

export class GuacSession {
  state: SessionState = SessionState.CONNECTING;
  readonly id: string;
  /** What the client declared in the handshake; set by connection.ts. */
  client: ClientInfo | undefined;
  /** The values from `connect`, by argument name. */
  args: ConnectArgs = {};
  /** This user's input handlers; empty for read-only users. */
  input: InputHandlers = {};
  connection: SharedConnection | undefined;
  readonly inbound = new Map<number, InboundStream>();
  readonly sink: DisplaySink = { write: (data) => this.write(data) };

  readonly #parser = new Parser();
  readonly #keepAlive: KeepAlive;
  #queue: Instruction[] = [];
  #waiter: ((instruction: Instruction | Error) => void) | undefined;
  #failure: Error | undefined;
  #dispatch: InstructionHandler | undefined;
  #silenceTimer: NodeJS.Timeout | undefined;
  #onClosed: (session: GuacSession) => void;
  #finished = false;

  constructor(
    readonly socket: Socket,
    readonly logger: GuacLogger,
    id: string,
    onClosed: (session: GuacSession) => void,
    readonly timeoutMs = CLIENT_TIMEOUT_MS,
  ) {
    this.id = id;
    this.#onClosed = onClosed;
    this.#keepAlive = new KeepAlive((data) => this.#rawWrite(data));
    socket.setNoDelay(true);
    socket.on('data', this.#socketOnData);
    socket.on('close', this.#socketOnClose);
    socket.on('error', this.#socketOnError);
  }

  /** Writes instructions unless the socket is gone. */
  write(data: string): void {
    if (this.state === SessionState.CLOSED) return;
    this.#rawWrite(data);
    this.#keepAlive.touch();
  }

  /** The next instruction during the handshake; rejects on timeout, parse error or close. */
  next(): Promise<Instruction> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new SessionTimeoutError());
      }, this.timeoutMs);
      timer.unref();
      this.#waiter = (value) => {
        clearTimeout(timer);
        this.#waiter = undefined;
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
    });
  }

  /** Ends the handshake: from now on every instruction goes to `dispatch`. */
  open(dispatch: InstructionHandler): void {
    if (this.state !== SessionState.CONNECTING) return;
    this.state = SessionState.OPEN;
    this.#dispatch = dispatch;
    this.#keepAlive.start();
    this.#resetSilence();
    const queued = this.#queue;
    this.#queue = [];
    for (const instruction of queued) this.#handle(instruction);
  }

  /** Sends `error,<message>,<status>` and closes (guacd's abort). */
  fail(status: GuacStatus, message: string): void {
    if (this.state === SessionState.CLOSING || this.state === SessionState.CLOSED) return;
    this.logger.warn(`session ${this.id}: ${message} (status 0x${status.toString(16).padStart(4, '0')})`);
    this.write(encode.error(message, status));
    this.close();
  }

  /** Sends `disconnect` and closes the socket once it is written. Harmless when repeated. */
  close(): void {
    if (this.state === SessionState.CLOSING || this.state === SessionState.CLOSED) return;
    this.state = SessionState.CLOSING;
    this.write(encode.disconnect());
    this.#stopTimers();
    this.socket.end();
    // A peer that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.#finish();
  }

  #rawWrite(data: string): void {
    if (!this.socket.writable) return;
    this.socket.write(data);
  }

  #handle(instruction: Instruction): void {
    if (this.#dispatch) {
      this.#resetSilence();
      this.#dispatch(this, instruction);
    } else if (this.#waiter) {
      this.#waiter(instruction);
    } else {
      this.#queue.push(instruction);
    }
  }

  #resetSilence(): void {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => this.fail(GuacStatus.CLIENT_TIMEOUT, 'User is not responding.'), this.timeoutMs);
    this.#silenceTimer.unref();
  }

  #stopTimers(): void {
    clearTimeout(this.#silenceTimer);
    this.#keepAlive.stop();
  }

  /** Runs once: leaves the connection and tells the owner of the session list. */
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const connection = this.connection;
    this.connection = undefined;
    this.input = {};
    this.#dispatch = noDispatch;
    connection?.remove(this);
    this.#onClosed(this);
  }

  readonly #socketOnData = (chunk: Buffer): void => {
    if (this.state === SessionState.CLOSING || this.state === SessionState.CLOSED) return;
    let instructions: Instruction[];
    try {
      instructions = this.#parser.push(chunk);
    } catch (err) {
      const e = err instanceof GuacParseError ? err : new GuacParseError('GUAC_BAD_LENGTH', GuacStatus.CLIENT_BAD_REQUEST, String(err));
      this.#failure = e;
      this.#waiter?.(e);
      this.fail(e.status, `Protocol error: ${e.message}`);
      return;
    }
    for (const instruction of instructions) {
      if (this.state !== SessionState.CONNECTING && this.state !== SessionState.OPEN) break;
      this.#handle(instruction);
    }
  };

  readonly #socketOnClose = (): void => {
    this.socket.off('data', this.#socketOnData);
    this.#stopTimers();
    this.state = SessionState.CLOSED;
    if (!this.#failure) this.#failure = new SessionClosedError();
    this.#waiter?.(this.#failure);
    this.#finish();
  };

  readonly #socketOnError = (err: Error): void => {
    this.logger.debug(`session ${this.id}: socket error: ${err.message}`);
  };
}

const noDispatch: InstructionHandler = () => {};

export class SessionTimeoutError extends Error {
  override readonly name = 'SessionTimeoutError';
  readonly guacStatus = GuacStatus.CLIENT_TIMEOUT;
  constructor() {
    super('User is not responding.');
  }
}

export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  readonly guacStatus = GuacStatus.RESOURCE_CLOSED;
  constructor() {
    super('The client closed the connection.');
  }
}
