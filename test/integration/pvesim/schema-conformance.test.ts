import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { raw, tokenClient, waitTask } from '../../helpers/pvesim/client.js';

interface Prop {
  type?: string;
  optional?: number;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Prop>;
  items?: Prop;
  additionalProperties?: number | boolean | Prop;
}
type Schema = Record<string, { info: Record<string, { returns?: Prop; parameters?: Prop }> }>;

const SCHEMA = JSON.parse(readFileSync(new URL('../../../../shared/reference/pve-api-schema.json', import.meta.url), 'utf8')) as Schema;

/** proxmox-api.md §12 step 2: PVE schema dialect → JSON Schema (booleans also 0/1). */
function convert(p: Prop | undefined): Record<string, unknown> {
  if (!p) return {};
  const type = p.type ?? (p.properties ? 'object' : undefined);
  switch (type) {
    case 'boolean':
      return { anyOf: [{ type: 'boolean' }, { enum: [0, 1] }] };
    case 'integer':
    case 'number': {
      const s: Record<string, unknown> = { type };
      if (p.minimum !== undefined) s.minimum = p.minimum;
      if (p.maximum !== undefined) s.maximum = p.maximum;
      if (p.enum) s.enum = p.enum;
      return s;
    }
    case 'string':
      return p.enum ? { type: 'string', enum: p.enum } : { type: 'string' };
    case 'null':
      return { type: 'null' };
    case 'array':
      return { type: 'array', items: convert(p.items) };
    case 'object': {
      const properties: Record<string, unknown> = {};
      const patternProperties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(p.properties ?? {})) {
        if (k.endsWith('[n]')) patternProperties[`^${k.slice(0, -3)}\\d+$`] = convert(v);
        else {
          properties[k] = convert(v);
          if (!v.optional) required.push(k);
        }
      }
      const s: Record<string, unknown> = { type: 'object', properties, patternProperties, required };
      if (p.additionalProperties === 0 || p.additionalProperties === false) s.additionalProperties = false;
      return s;
    }
    default:
      return {};
  }
}

/** §12 step 1: the schema entry for a concrete path. */
function entryFor(method: string, path: string): { template: string; returns?: Prop } {
  for (const [template, e] of Object.entries(SCHEMA)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path) && e.info[method]) return { template, returns: e.info[method]!.returns };
  }
  throw new Error(`${method} ${path} is not in the schema`);
}

/** §12 step 5: documented real-world deviations, allowed explicitly. */
const DEVIATIONS: Record<string, (schema: Record<string, unknown>) => Record<string, unknown>> = {
  'GET /cluster/nextid': () => ({ type: 'string', pattern: '^[1-9][0-9]{2,8}$' }),
};

const TOKEN = 'root@pam!schema';
const SECRET = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';

describe('pvesim schema conformance (pve-api-schema.json)', function () {
  this.timeout(30_000);
  let sim: PveSim;
  const ajv = new Ajv({ strict: false, allErrors: true });

  before(async () => {
    sim = await startPveSim({ port: 0, qemu: false, password: 'pw', tokens: [`${TOKEN}=${SECRET}`], authFailDelayMs: 0, scenario: { nodes: 2, pools: [{ poolid: 'p1' }], vms: [{ vmid: 100, node: 'pve1', pool: 'p1', ips: ['10.1.1.1'] }, { vmid: 101, node: 'pve1', template: true }, { vmid: 200, node: 'pve2', type: 'lxc' }] } });
    const px = tokenClient(sim, TOKEN, SECRET);
    await waitTask(px, await px.nodes.$('pve1').qemu.$(100).status.start.$post());
  });
  after(async () => {
    await sim?.stop();
  });

  const auth = () => ({ authorization: `PVEAPIToken=${TOKEN}=${SECRET}` });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  async function call(method: string, path: string, params: Record<string, string> = {}): Promise<{ status: number; body: { data: unknown; errors?: Record<string, string> } }> {
    const qs = new URLSearchParams(params).toString();
    const r =
      method === 'GET' || method === 'DELETE'
        ? await raw(sim, method, qs ? `${path}?${qs}` : path, { headers: auth() })
        : await raw(sim, method, path, { headers: { ...auth(), ...form }, body: qs });
    assert.equal(r.contentType, 'application/json;charset=UTF-8', `${method} ${path}: ${r.status} ${r.statusText}`);
    return { status: r.status, body: JSON.parse(r.text) as { data: unknown; errors?: Record<string, string> } };
  }

  /** Every implemented endpoint with parameters it accepts; order matters (tasks created before read). */
  const CASES: [string, string, Record<string, string>?][] = [
    ['GET', '/version'],
    ['GET', '/nodes'],
    ['GET', '/cluster/resources'],
    ['GET', '/cluster/resources', { type: 'vm' }],
    ['GET', '/cluster/nextid'],
    ['GET', '/nodes/pve1/qemu', { full: '1' }],
    ['GET', '/nodes/pve1/qemu/100/status/current'],
    ['GET', '/nodes/pve1/qemu/100/config'],
    ['PUT', '/nodes/pve1/qemu/100/config', { description: 'hi', onboot: '1', tags: 'a;b', ide2: 'local:iso/debian-12.9.0-amd64-netinst.iso,media=cdrom' }],
    ['POST', '/nodes/pve1/qemu/100/config', { cores: '4', memory: '4096' }],
    ['GET', '/nodes/pve1/qemu/100/agent/network-get-interfaces'],
    ['POST', '/nodes/pve1/qemu/100/status/suspend'],
    ['POST', '/nodes/pve1/qemu/100/status/resume'],
    ['POST', '/nodes/pve1/qemu/100/status/reset'],
    ['POST', '/nodes/pve1/qemu/100/status/reboot', { timeout: '5' }],
    ['POST', '/nodes/pve1/qemu/100/status/shutdown', { timeout: '5', forceStop: '1' }],
    ['POST', '/nodes/pve1/qemu/100/status/start', { timeout: '30' }],
    ['POST', '/nodes/pve1/qemu/100/status/stop', { 'overrule-shutdown': '1' }],
    ['POST', '/nodes/pve1/qemu/101/clone', { newid: '150', name: 'c150', pool: 'p1', target: 'pve2' }],
    ['POST', '/nodes/pve1/qemu', { vmid: '160', name: 'n160', memory: '512', cores: '1', net0: 'virtio,bridge=vmbr0', tags: 'x' }],
    ['GET', '/nodes/pve1/tasks', { limit: '10', vmid: '100' }],
    ['GET', '/nodes/pve1/storage'],
    ['GET', '/nodes/pve1/storage/local/content', { content: 'iso' }],
    ['GET', '/pools'],
    ['GET', '/pools/p1'],
    ['GET', '/nodes/pve2/lxc'],
    ['GET', '/nodes/pve2/lxc/200/status/current'],
    ['POST', '/nodes/pve2/lxc/200/status/start'],
    ['GET', '/nodes/pve1/qemu/100/vncwebsocket', { port: '5900', vncticket: 'x' }],
  ];

  for (const [method, path, params] of CASES) {
    it(`${method} ${path} ${params ? new URLSearchParams(params).toString() : ''}`, async () => {
      const { template, returns } = entryFor(method, path);
      const r = await call(method, path, params);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const base = convert(returns);
      const schema = DEVIATIONS[`${method} ${template}`]?.(base) ?? base;
      const validate = ajv.compile(schema);
      assert.ok(validate(r.body.data), `${method} ${template}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(r.body.data).slice(0, 300)}`);
      if (typeof r.body.data === 'string' && r.body.data.startsWith('UPID:')) {
        const node = r.body.data.split(':')[1]!;
        const st = await call('GET', `/nodes/${node}/tasks/${encodeURIComponent(r.body.data)}/status`);
        assert.ok(ajv.compile(convert(entryFor('GET', `/nodes/${node}/tasks/x/status`).returns))(st.body.data));
        const log = await call('GET', `/nodes/${node}/tasks/${encodeURIComponent(r.body.data)}/log`, { start: '0', limit: '50' });
        assert.ok(ajv.compile(convert(entryFor('GET', `/nodes/${node}/tasks/x/log`).returns))(log.body.data));
        const px = tokenClient(sim, TOKEN, SECRET);
        await waitTask(px, r.body.data);
      }
    });
  }

  it('vncproxy answers per schema', async () => {
    const px = tokenClient(sim, TOKEN, SECRET);
    await waitTask(px, await px.nodes.$('pve1').qemu.$(100).status.start.$post());
    const r = await call('POST', '/nodes/pve1/qemu/100/vncproxy', { websocket: '1', 'generate-password': '1' });
    assert.ok(ajv.compile(convert(entryFor('POST', '/nodes/pve1/qemu/100/vncproxy').returns))(r.body.data));
  });

  it('migrate and delete answer per schema', async () => {
    const px = tokenClient(sim, TOKEN, SECRET);
    for (const [method, path, params] of [
      ['POST', '/nodes/pve1/qemu/160/migrate', { target: 'pve2' }],
      ['DELETE', '/nodes/pve2/qemu/160', { purge: '1' }],
    ] as const) {
      const r = await call(method, path, params);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(ajv.compile(convert(entryFor(method, path).returns))(r.body.data));
      await waitTask(px, r.body.data as string);
    }
  });

  /** §12 step 3: wrong parameters on purpose → 400 with an errors map naming them. */
  const BAD: [string, string, Record<string, string>, string][] = [
    ['GET', '/cluster/resources', { type: 'banana' }, 'type'],
    ['GET', '/cluster/nextid', { vmid: '12' }, 'vmid'],
    ['GET', '/nodes/pve1/qemu', { full: 'maybe' }, 'full'],
    ['PUT', '/nodes/pve1/qemu/100/config', { memory: 'lots' }, 'memory'],
    ['PUT', '/nodes/pve1/qemu/100/config', { tags: 'bad tag!' }, 'tags'],
    ['POST', '/nodes/pve1/qemu/100/status/start', { timeout: '-1' }, 'timeout'],
    ['POST', '/nodes/pve1/qemu/100/clone', { newid: 'x' }, 'newid'],
    ['POST', '/nodes/pve1/qemu/100/migrate', {}, 'target'],
    ['POST', '/nodes/pve1/qemu', { vmid: '160', net0: 'virtio,macaddr=zz' }, 'net0'],
    ['GET', '/nodes/pve1/tasks', { limit: 'ten' }, 'limit'],
    ['POST', '/nodes/pve1/qemu/100/vncproxy', { websocket: '2' }, 'websocket'],
  ];
  for (const [method, path, params, key] of BAD) {
    it(`400 for ${method} ${path} with bad ${key}`, async () => {
      const r = await call(method, path, params);
      assert.equal(r.status, 400);
      assert.equal(r.body.data, null);
      assert.ok(r.body.errors && key in r.body.errors, JSON.stringify(r.body));
    });
  }
});
