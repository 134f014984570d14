import { connect, type Socket } from 'node:net';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** An asynchronous QMP event (`{"event":"RESET","data":{…},"timestamp":{…}}`). */
export interface QmpEvent {
  readonly event: string;
  readonly data?: Record<string, unknown>;
}

/** A minimal QMP client: newline-delimited JSON, one command at a time; events go to `onEvent` listeners. */
export class QmpClient {
  private buffer = '';
  private readonly listeners: ((event: QmpEvent) => void)[] = [];
  private readonly queue: Pending[] = [];
  private greeted = false;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
  }

  /** Connects, reads the greeting and negotiates capabilities. */
  static async open(path: string): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const client = new QmpClient(socket);
    await client.execute('qmp_capabilities');
    return client;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('QMP socket closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  /** Called for every event QEMU reports (RESET, STOP, RESUME, POWERDOWN, SHUTDOWN …). */
  onEvent(listener: (event: QmpEvent) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('QMP' in msg && !this.greeted) {
        this.greeted = true;
        continue;
      }
      if ('event' in msg) {
        for (const listener of this.listeners) listener(msg as unknown as QmpEvent);
        continue;
      }
      const p = this.queue.shift();
      if (!p) continue;
      if ('error' in msg) p.reject(new Error(String((msg.error as { desc?: string }).desc ?? 'QMP error')));
      else p.resolve(msg.return);
    }
  }

  private onClose(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('QMP socket closed'));
  }
}
