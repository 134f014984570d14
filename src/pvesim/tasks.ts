/** Task states as PVE reports them. */
export type TaskStatus = 'running' | 'stopped';

export interface SimTask extends Readonly<ParsedUpid> {
  readonly upid: string;
  status: TaskStatus;
  exitstatus?: string;
  endtime?: number;
  readonly log: string[];
  readonly done: Promise<void>;
}

/** The parts of a UPID. */
export interface ParsedUpid {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/** `UPID:<node>:<pid 8 hex>:<pstart 8 hex>:<starttime 8 hex>:<type>:<id>:<user>:` ([UPID]). */
export function formatUpid(t: ParsedUpid): string {
  return `UPID:${t.node}:${hex(t.pid, 8)}:${hex(t.pstart, 8)}:${hex(t.starttime, 8)}:${t.type}:${t.id}:${t.user}:`;
}

export function parseUpid(upid: string): ParsedUpid | undefined {
  const m = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(upid);
  if (!m) return undefined;
  return { node: m[1]!, pid: parseInt(m[3]!, 16), pstart: parseInt(m[4]!, 16), starttime: parseInt(m[5]!, 16), type: m[6]!, id: m[7]!, user: m[8]! };
}

/** What a worker gets: a log function. Throwing fails the task with the message as exitstatus. */
export type Worker = (log: (line: string) => void) => Promise<void>;

/** All tasks of the cluster, newest last. */
export class TaskRegistry {
  private readonly tasks = new Map<string, SimTask>();
  private pidCounter = 10000 + Math.floor(Math.random() * 50000);
  private readonly bootUptimeTicks = Math.floor(process.uptime() * 100);

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** Starts `worker` asynchronously and returns the task (its UPID at once). */
  start(node: string, type: string, id: string, user: string, worker: Worker): SimTask {
    const pid = this.pidCounter++;
    const starttime = this.now();
    const pstart = this.bootUptimeTicks + Math.floor(process.uptime() * 100);
    const upid = formatUpid({ node, pid, pstart, starttime, type, id, user });
    const log: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const task: SimTask = { upid, node, pid, pstart, starttime, type, id, user, status: 'running', log, done };
    this.tasks.set(upid, task);
    setImmediate(() => {
      worker((line) => log.push(line))
        .then(() => {
          task.exitstatus = 'OK';
          log.push('TASK OK');
        })
        .catch((err: unknown) => {
          const msg = (err instanceof Error ? err.message : String(err)).replace(/\n$/, '');
          task.exitstatus = msg;
          log.push(`TASK ERROR: ${msg}`);
        })
        .finally(() => {
          task.status = 'stopped';
          task.endtime = this.now();
          resolveDone();
        });
    });
    return task;
  }

  get(upid: string): SimTask | undefined {
    return this.tasks.get(upid);
  }

  list(node: string): SimTask[] {
    return [...this.tasks.values()].filter((t) => t.node === node);
  }

  /** Waits for every task still running (used by stop()). */
  async settle(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => t.done));
  }
}
