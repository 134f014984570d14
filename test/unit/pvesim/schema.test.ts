import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkPropertyString, checkValue, defaultSchemaFile, loadSchema, validateParams } from '../../../src/pvesim/schema.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';

describe('schema', () => {
  it('ships a copy identical to shared/reference/pve-api-schema.json', () => {
    const shipped = gunzipSync(readFileSync(defaultSchemaFile()));
    const reference = readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'reference', 'pve-api-schema.json'));
    assert.ok(shipped.equals(reference), 'regenerate with: gzip -9 -n -c ../shared/reference/pve-api-schema.json > src/pvesim/pve-api-schema.json.gz');
  });

  const put = () => loadSchema()['/nodes/{node}/qemu/{vmid}/config']!.info.PUT!.parameters;

  describe('.validateParams', () => {
    it('accepts valid config parameters, including name[n] keys', () => {
      assert.deepEqual(validateParams({ node: 'pve1', vmid: '100', net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0', ide2: 'none,media=cdrom', memory: '2048', onboot: '1' }, put()), {});
    });
    it('reports missing, unknown and mistyped parameters with PVE messages', () => {
      const errors = validateParams({ vmid: 'abc', cores: '0', foo: 'x' }, put());
      assert.equal(errors.node, 'property is missing and it is not optional');
      assert.equal(errors.vmid, "type check ('integer') failed - got 'abc'");
      assert.equal(errors.cores, 'value must have a minimum value of 1');
      assert.match(errors.foo!, /not defined in schema/);
    });
    it('refuses repeated scalar parameters', () => {
      assert.equal(validateParams({ node: 'pve1', vmid: '100', name: ['a', 'b'] }, put()).name, 'property may not be repeated');
    });
  });

  describe('.checkValue', () => {
    it('checks booleans, enums and numbers', () => {
      assert.equal(checkValue({ type: 'boolean' }, 'yes'), undefined);
      assert.match(checkValue({ type: 'boolean' }, '2')!, /type check/);
      assert.match(checkValue({ type: 'string', enum: ['a', 'b'] }, 'c')!, /enumeration 'a, b'/);
      assert.match(checkValue({ type: 'integer', maximum: 5 }, '6')!, /maximum value of 5/);
      assert.match(checkValue({ type: 'string', format: 'pve-tag-list' }, 'ok;bad!')!, /invalid tag/);
    });
  });

  describe('.checkPropertyString', () => {
    it('knows default keys and key aliases (net model=MAC)', () => {
      const net = put()!.properties!['net[n]']!.format as Record<string, never>;
      assert.equal(checkPropertyString(net, 'virtio=BC:24:11:AA:BB:CC,bridge=vmbr0,firewall=1'), undefined);
      assert.match(checkPropertyString(net, 'virtio=nonsense')!, /macaddr/);
      assert.match(checkPropertyString(net, 'virtio,colour=red')!, /'colour' is not defined/);
    });
  });
});
