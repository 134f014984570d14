/**
 * Power actions in plain words: which state a VM is in for a person, which actions make sense there, what
 * PVE calls the task, what a finished action leaves behind. Pure: no I/O.
 */
export const POWER_ACTIONS = ['start', 'shutdown', 'stop', 'reboot', 'reset', 'suspend', 'resume'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

export const PLAIN_STATES = ['running', 'stopped', 'paused', 'suspended', 'gone', 'unknown'] as const;
export type PlainState = (typeof PLAIN_STATES)[number];

export interface VmStateFields {
  status: string;
  qmpstatus: string | null;
  lockState: string | null;
  goneAt: Date | null;
}

export function isPowerAction(value: unknown): value is PowerAction {
  return typeof value === 'string' && (POWER_ACTIONS as readonly string[]).includes(value);
}

/** The state a person sees: running / stopped / paused / suspended (to disk) / gone. */
export function plainState(vm: VmStateFields): PlainState {
  if (vm.goneAt) return 'gone';
  if (vm.status === 'running') {
    if (vm.qmpstatus === 'paused') return 'paused';
    if (vm.qmpstatus === 'suspended') return 'suspended';
    return 'running';
  }
  if (vm.status === 'stopped') return vm.lockState === 'suspended' ? 'suspended' : 'stopped';
  return 'unknown';
}

const ACTIONS_BY_STATE: Record<PlainState, readonly PowerAction[]> = {
  running: ['shutdown', 'stop', 'reboot', 'reset', 'suspend'],
  stopped: ['start'],
  paused: ['resume', 'stop'],
  suspended: ['start'],
  gone: [],
  unknown: ['start', 'stop'],
};

/** Only the actions that make sense in this state, in the order the page shows them. */
export function actionsFor(state: PlainState): readonly PowerAction[] {
  return ACTIONS_BY_STATE[state];
}

/** Actions that lose unsaved work or interrupt the user: the page asks first. */
export const DESTRUCTIVE: ReadonlySet<PowerAction> = new Set(['shutdown', 'stop', 'reboot', 'reset']);

export const ACTION_LABEL: Record<PowerAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  stop: 'Stop (force)',
  reboot: 'Reboot',
  reset: 'Reset',
  suspend: 'Suspend',
  resume: 'Resume',
};

/** PVE's task type for each action on a QEMU guest (qm* in the node's task list). */
export const QEMU_TASK_TYPE: Record<PowerAction, string> = {
  start: 'qmstart',
  stop: 'qmstop',
  shutdown: 'qmshutdown',
  reboot: 'qmreboot',
  reset: 'qmreset',
  suspend: 'qmpause',
  resume: 'qmresume',
};

/** The vm_event kind a successful action leaves in the VM's history. */
export const EVENT_KIND: Record<PowerAction, string> = {
  start: 'started',
  stop: 'stopped',
  shutdown: 'shut-down',
  reboot: 'rebooted',
  reset: 'reset',
  suspend: 'paused',
  resume: 'resumed',
};

/** The VM's status / qmpstatus right after the action succeeded (until sync reads the truth). */
export const STATE_AFTER: Record<PowerAction, { status: string; qmpstatus: string }> = {
  start: { status: 'running', qmpstatus: 'running' },
  stop: { status: 'stopped', qmpstatus: 'stopped' },
  shutdown: { status: 'stopped', qmpstatus: 'stopped' },
  reboot: { status: 'running', qmpstatus: 'running' },
  reset: { status: 'running', qmpstatus: 'running' },
  suspend: { status: 'running', qmpstatus: 'paused' },
  resume: { status: 'running', qmpstatus: 'running' },
};

/** "This machine is not running" when an action is refused in this state; undefined when it may go ahead. */
export function refusalFor(action: PowerAction, state: PlainState): string | undefined {
  if (actionsFor(state).includes(action)) return undefined;
  switch (state) {
    case 'gone':
      return 'This machine no longer exists.';
    case 'running':
      return action === 'resume' ? 'This machine is not paused.' : 'This machine is already running.';
    case 'paused':
      return action === 'suspend' ? 'This machine is already paused.' : 'This machine is paused: resume it first.';
    case 'stopped':
    case 'suspended':
      return 'This machine is not running.';
    default:
      return 'This action is not possible right now.';
  }
}
