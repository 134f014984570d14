import assert from 'node:assert/strict';
import { desiredConnections, tagPort } from '../../../src/sync/connections.js';

describe('sync connections', () => {
  describe('tagPort', () => {
    it('reads <kind>-port-<n> tags, ignoring other kinds, junk and out-of-range ports', () => {
      assert.equal(tagPort(['ssh', 'ssh-port-2222'], 'ssh'), '2222');
      assert.equal(tagPort(['SSH-PORT-2200'], 'ssh'), '2200');
      assert.equal(tagPort(['rdp-port-3390'], 'ssh'), undefined);
      assert.equal(tagPort(['ssh-port-0', 'ssh-port-65536', 'ssh-port-22x', 'ssh-port-'], 'ssh'), undefined);
      assert.equal(tagPort(['ssh-port-99999', 'ssh-port-2022', 'ssh-port-2023'], 'ssh'), '2022');
    });
  });

  describe('desiredConnections', () => {
    const vm = { vmid: 100, name: 'web', ipv4: '10.0.0.5', template: false };

    it("puts the tag's port on the guest connection, the protocol's usual port otherwise", () => {
      const want = desiredConnections({ ...vm, tags: ['ssh', 'ssh-port-2222', 'rdp'] }, []);
      assert.deepEqual(
        want.map((c) => [c.kind, c.params]),
        [
          ['console', {}],
          ['ssh', { hostname: '10.0.0.5', port: '2222' }],
          ['rdp', { hostname: '10.0.0.5', port: '3389', security: 'any', 'ignore-cert': 'true' }],
        ],
      );
    });

    it('a port tag alone asks for no connection, and there is none without an address', () => {
      assert.deepEqual(desiredConnections({ ...vm, tags: ['ssh-port-2222'] }, []).map((c) => c.kind), ['console']);
      assert.deepEqual(desiredConnections({ ...vm, ipv4: null, tags: ['ssh', 'ssh-port-2222'] }, ['ssh']).map((c) => c.kind), ['console']);
    });
  });
});
