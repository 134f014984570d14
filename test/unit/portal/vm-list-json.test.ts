import assert from 'node:assert/strict';
import { vmListJson } from '../../../src/portal/api/vm-list-json.js';
import type { ActionView, VmView } from '../../../src/portal/vms/service.js';

const running: readonly ActionView[] = Object.freeze([
  Object.freeze({ action: 'shutdown', label: 'Shut down', destructive: true }),
  Object.freeze({ action: 'reboot', label: 'Reboot', destructive: true }),
] as ActionView[]);
const ssh = Object.freeze(['ssh'] as const);

const vm = (over: Partial<VmView>): VmView => ({
  id: 1, name: 'web-1', cluster: 'lab', node: 'pve1', vmid: 100, state: 'running', actions: running, job: null, guestWays: ssh, ...over,
});

describe('vmListJson (GET /api/v1/vms)', () => {
  it('parses to exactly what JSON.stringify gives, for awkward names, jobs with dates and mutable lists', () => {
    const vms: VmView[] = [
      vm({}),
      vm({ id: 2, name: 'quote " backslash \\ </script> \u2028 ünï 😀', guestWays: [] }),
      vm({
        id: 3, state: 'stopped', actions: [{ action: 'start', label: 'Start', destructive: false }],
        job: { id: 9, vmId: 3, action: 'start', state: 'running', error: null, actor: 'alice', createdAt: new Date('2026-11-22T03:00:00.123Z'), finishedAt: null },
      }),
    ];
    assert.equal(vmListJson(vms), JSON.stringify({ vms }));
    assert.equal(vmListJson([]), JSON.stringify({ vms: [] }));
  });

  it('does not remember the text of a list that can still change', () => {
    const actions: ActionView[] = [{ action: 'start', label: 'Start', destructive: false }];
    const first = vmListJson([vm({ actions })]);
    actions.push({ action: 'reset', label: 'Reset', destructive: true });
    const second = vmListJson([vm({ actions })]);
    assert.notEqual(second, first);
    assert.equal(second, JSON.stringify({ vms: [vm({ actions })] }));
  });
});
