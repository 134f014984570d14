import assert from 'node:assert/strict';
import { POWER_ACTIONS, actionsFor, plainState, refusalFor, DESTRUCTIVE } from '../../../src/jobs/power-actions.js';

const vm = (status: string, qmpstatus: string | null = null, lockState: string | null = null, goneAt: Date | null = null) => ({ status, qmpstatus, lockState, goneAt });

describe('power-actions', () => {
  describe('.plainState', () => {
    it('names the states a person understands', () => {
      assert.equal(plainState(vm('running', 'running')), 'running');
      assert.equal(plainState(vm('running', 'paused')), 'paused');
      assert.equal(plainState(vm('running', 'suspended')), 'suspended');
      assert.equal(plainState(vm('stopped', 'stopped')), 'stopped');
      assert.equal(plainState(vm('stopped', null, 'suspended')), 'suspended');
      assert.equal(plainState(vm('running', 'running', null, new Date())), 'gone');
      assert.equal(plainState(vm('unknown')), 'unknown');
    });
  });

  describe('.actionsFor', () => {
    it('offers only what makes sense', () => {
      assert.deepEqual(actionsFor('stopped'), ['start']);
      assert.deepEqual(actionsFor('running'), ['shutdown', 'stop', 'reboot', 'reset', 'suspend']);
      assert.deepEqual(actionsFor('paused'), ['resume', 'stop']);
      assert.deepEqual(actionsFor('gone'), []);
    });
    it('asks before every action that interrupts a running machine', () => {
      for (const a of ['shutdown', 'stop', 'reboot', 'reset'] as const) assert.ok(DESTRUCTIVE.has(a));
      assert.ok(!DESTRUCTIVE.has('start') && !DESTRUCTIVE.has('resume'));
    });
  });

  describe('.refusalFor', () => {
    it('says in plain words why an action cannot be done, and nothing when it can', () => {
      assert.equal(refusalFor('reboot', 'stopped'), 'This machine is not running.');
      assert.equal(refusalFor('start', 'running'), 'This machine is already running.');
      assert.equal(refusalFor('start', 'gone'), 'This machine no longer exists.');
      assert.equal(refusalFor('shutdown', 'paused'), 'This machine is paused: resume it first.');
      for (const state of ['running', 'stopped', 'paused', 'suspended', 'gone', 'unknown'] as const) {
        for (const action of POWER_ACTIONS) assert.equal(refusalFor(action, state) === undefined, actionsFor(state).includes(action), `${action} in ${state}`);
      }
    });
  });
});
