import assert from 'node:assert/strict';
import { PveHttpError, PveTaskFailedError, PveUnreachableError } from '../../../src/pve/index.js';
import { plainPveError } from '../../../src/jobs/plain-errors.js';

describe('plainPveError', () => {
  it('turns PVE failures into plain words', () => {
    assert.equal(plainPveError(new PveHttpError(500, 'POST /nodes/pve1/qemu/101/status/reboot: 500 VM 101 not running')), 'This machine is not running.');
    assert.equal(plainPveError(new PveTaskFailedError('UPID:x', 'VM 101 already running')), 'This machine is already running.');
    assert.equal(plainPveError(new PveTaskFailedError('UPID:x', "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")), 'This machine is busy with another operation (it is locked). Try again in a minute.');
    assert.equal(plainPveError(new PveUnreachableError('connect ECONNREFUSED', 'network')), 'The cluster cannot be reached right now. Try again later.');
    assert.equal(plainPveError(new PveHttpError(403, 'Permission check failed (/vms/101, VM.PowerMgmt)')), 'The gateway is not allowed to do this on the cluster (ask an administrator).');
  });
  it('never echoes an unknown message (it may carry internals)', () => {
    assert.equal(plainPveError(new Error('PVEAPIToken=root@pam!x=secret leaked')), 'The action failed.');
  });
});
