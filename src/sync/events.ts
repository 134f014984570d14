import type { PveTask } from '../pve/index.js';

/** Event kinds in vm_event.kind. */
export type VmEventKind =
  | 'appeared'
  | 'started'
  | 'stopped'
  | 'paused'
  | 'resumed'
  | 'rebooted'
  | 'reset'
  | 'migrated'
  | 'renamed'
  | 'config-changed'
  | 'vanished'
  | 'returned'
  | 'created'
  | 'destroyed';

/** PVE task type → the event it stands for (qemu `qm*`, containers `vz*`). */
const TASK_KINDS: Record<string, VmEventKind> = {
  qmstart: 'started',
  vzstart: 'started',
  hastart: 'started',
  qmstop: 'stopped',
  vzstop: 'stopped',
  hastop: 'stopped',
  qmshutdown: 'stopped',
  vzshutdown: 'stopped',
  qmreboot: 'rebooted',
  vzreboot: 'rebooted',
  qmreset: 'reset',
  qmpause: 'paused',
  qmsuspend: 'paused',
  vzsuspend: 'paused',
  qmresume: 'resumed',
  vzresume: 'resumed',
  qmigrate: 'migrated',
  vzmigrate: 'migrated',
  qmcreate: 'created',
  vzcreate: 'created',
  qmdestroy: 'destroyed',
  vzdestroy: 'destroyed',
};

export interface TaskEvent {
  vmid: number;
  kind: VmEventKind;
  upid: string;
  actor: string;
  at: Date;
  detail: string | null;
  node: string;
}

/** The event a finished, successful task stands for; undefined for running, failed or unrelated tasks. */
export function taskEvent(task: PveTask): TaskEvent | undefined {
  const kind = TASK_KINDS[task.type];
  if (!kind || !task.upid) return undefined;
  if (task.endtime === null || task.status === null) return undefined;
  if (task.status !== 'OK' && !task.status.startsWith('WARNINGS')) return undefined;
  const vmid = Number(task.id);
  if (!Number.isInteger(vmid) || vmid < 100) return undefined;
  const detail = task.type === 'qmshutdown' || task.type === 'vzshutdown' ? 'shutdown' : task.type === 'qmsuspend' ? 'suspended to disk' : null;
  return { vmid, kind, upid: task.upid, actor: task.user, at: new Date(task.endtime * 1000), detail, node: task.node };
}

/** A VM's power state as events see it: qmpstatus `paused`/`suspended` is paused. */
export type PowerState = 'running' | 'paused' | 'stopped' | 'unknown';

export function powerState(status: string, qmpstatus: string | null): PowerState {
  if (status === 'stopped') return 'stopped';
  if (status !== 'running') return 'unknown';
  if (qmpstatus === 'paused' || qmpstatus === 'suspended') return 'paused';
  return 'running';
}

/** The event for a power-state change seen between two reads, if any. */
export function transitionKind(from: PowerState, to: PowerState): VmEventKind | undefined {
  if (from === to || to === 'unknown' || from === 'unknown') return undefined;
  if (to === 'stopped') return 'stopped';
  if (from === 'stopped') return 'started';
  if (to === 'paused') return 'paused';
  return 'resumed';
}
