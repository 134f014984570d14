import type { ConnectionKind, DbConnection, DesiredConnection } from './types.js';

export { ATTR_VM_ID, ATTR_KIND, ATTR_OWNER_GRANT } from '../db/index.js';

const GUEST: Record<Exclude<ConnectionKind, 'console'>, { protocol: string; params: Record<string, string> }> = {
  ssh: { protocol: 'ssh', params: { port: '22' } },
  rdp: { protocol: 'rdp', params: { port: '3389', security: 'any', 'ignore-cert': 'true' } },
  vnc: { protocol: 'vnc', params: { port: '5900' } },
};
export const GUEST_KINDS = Object.keys(GUEST) as Exclude<ConnectionKind, 'console'>[];

/** A name Guacamole can store (utf8mb3, 128 characters) and that stays unique in the group thanks to the vmid. */
export function connectionName(vmName: string, vmid: number, kind: ConnectionKind): string {
  const suffix = kind === 'console' ? ` (${vmid})` : ` (${vmid}) ${kind}`;
  // eslint-disable-next-line no-control-regex
  const clean = vmName.replace(/[\u{10000}-\u{10FFFF}\u0000-\u001f\u007f]/gu, '').trim() || `vm-${vmid}`;
  return clean.slice(0, 128 - suffix.length) + suffix;
}

/**
 * A guest's own port for a way in, from a PVE tag `<kind>-port-<n>` (e.g. `ssh-port-2222`): a property of
 * the guest, set where the guest is described. PVE tags allow [a-z0-9_+.-], so no colon. Undefined when
 * there is no such tag (or it is out of range); the first valid one wins.
 */
export function tagPort(tags: readonly string[], kind: Exclude<ConnectionKind, 'console'>): string | undefined {
  const prefix = `${kind}-port-`;
  for (const tag of tags) {
    if (!tag.toLowerCase().startsWith(prefix)) continue;
    const digits = tag.slice(prefix.length);
    if (!/^[0-9]{1,5}$/.test(digits)) continue;
    const port = Number(digits);
    if (port >= 1 && port <= 65535) return String(port);
  }
  return undefined;
}

/**
 * The connections a VM should have: always the console (protocol vnc; the console bridge supplies host, port
 * and the one-time password, so no parameter is stored), plus ssh/rdp/vnc to the guest's address when the
 * address is known and the VM's tags or the cluster's defaults ask for them, on the protocol's usual port or
 * the one a `<kind>-port-<n>` tag names.
 */
export function desiredConnections(vm: { vmid: number; name: string; tags: readonly string[]; ipv4: string | null; template: boolean }, clusterProtocols: readonly string[]): DesiredConnection[] {
  const out: DesiredConnection[] = [{ kind: 'console', name: connectionName(vm.name, vm.vmid, 'console'), protocol: 'vnc', params: {} }];
  if (vm.ipv4 === null || vm.template) return out;
  for (const kind of GUEST_KINDS) {
    if (!vm.tags.includes(kind) && !clusterProtocols.includes(kind)) continue;
    const g = GUEST[kind];
    const port = tagPort(vm.tags, kind);
    out.push({ kind, name: connectionName(vm.name, vm.vmid, kind), protocol: g.protocol, params: { hostname: vm.ipv4, ...g.params, ...(port ? { port } : {}) } });
  }
  return out;
}

/** What to change on an existing connection to make it the desired one; undefined when nothing. */
export function connectionUpdate(
  have: DbConnection,
  want: DesiredConnection,
): { connectionId: number; name?: string; setParams: Record<string, string>; deleteParams: string[] } | undefined {
  const setParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(want.params)) if (have.params[k] !== v) setParams[k] = v;
  const deleteParams = Object.keys(have.params).filter((k) => !(k in want.params));
  const rename = have.name !== want.name;
  if (!rename && Object.keys(setParams).length === 0 && deleteParams.length === 0) return undefined;
  return { connectionId: have.connectionId, ...(rename ? { name: want.name } : {}), setParams, deleteParams };
}
