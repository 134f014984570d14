import assert from 'node:assert/strict';
import { TaskRegistry, formatUpid, parseUpid } from '../../../src/pvesim/tasks.js';

describe('tasks', () => {
  describe('.formatUpid', () => {
    it('writes PVE UPIDs with 8-hex fields and a trailing colon', () => {
      const upid = formatUpid({ node: 'pve1', pid: 0x1a2b, pstart: 0x12345, starttime: 0x65a1b2c3, type: 'qmstart', id: '100', user: 'root@pam!ci' });
      assert.equal(upid, 'UPID:pve1:00001A2B:00012345:65A1B2C3:qmstart:100:root@pam!ci:');
      assert.deepEqual(parseUpid(upid), { node: 'pve1', pid: 0x1a2b, pstart: 0x12345, starttime: 0x65a1b2c3, type: 'qmstart', id: '100', user: 'root@pam!ci' });
    });
    it('rejects malformed UPIDs', () => {
      assert.equal(parseUpid('UPID:pve1:xyz'), undefined);
      assert.equal(parseUpid('UPID:pve1:00001A2B:00012345:65A1B2C3:qmstart:100:root@pam'), undefined);
    });
  });
  describe('TaskRegistry#start', () => {
    it('runs the worker asynchronously and records OK or the error text', async () => {
      const reg = new TaskRegistry();
      const ok = reg.start('pve1', 'qmstart', '100', 'root@pam', async (log) => log('hello'));
      assert.equal(ok.status, 'running');
      const bad = reg.start('pve1', 'qmstart', '101', 'root@pam', async () => {
        throw new Error('VM 101 already running\n');
      });
      await Promise.all([ok.done, bad.done]);
      assert.equal(ok.exitstatus, 'OK');
      assert.deepEqual(ok.log, ['hello', 'TASK OK']);
      assert.equal(bad.exitstatus, 'VM 101 already running');
      assert.deepEqual(reg.list('pve1').map((t) => t.id), ['100', '101']);
    });
  });
});
