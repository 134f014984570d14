import { connectionUpdate, desiredConnections } from './connections.js';
import { intToIpv4, parseSubnet, planReservations, type ReservationVm } from './dhcp.js';
import { powerState, taskEvent, transitionKind, type TaskEvent, type VmEventKind } from './events.js';
import { ownerEntity, parseOwnerRule } from './owners.js';
import { ownerGrantChange } from './permissions.js';
import { emptyChangeSet, type ChangeSet, type DbEvent, type DbSnapshot, type DbVm, type Inventory, type ObservedVm, type SyncRules, type VmFields, type VmRef } from './types.js';

const POWER_KINDS = new Set<string>(['started', 'stopped', 'paused', 'resumed']);
/** A task event for one of these kinds only enriches the event sync records itself (appeared / vanished). */
const ENRICH_ONLY: Partial<Record<VmEventKind, VmEventKind>> = { created: 'appeared', destroyed: 'vanished' };

/**
 * PURE: what to write so the database says what PVE says. No I/O; `now` is the only clock.
 * A VM is judged only when seen on a readable node; one missing from a successful /cluster/resources
 * listing (which names guests of offline nodes too) whose last node was read is marked gone.
 */
export function diff(inventory: Inventory, snapshot: DbSnapshot, now: Date, rules: SyncRules): ChangeSet {
  const cs = emptyChangeSet(snapshot.clusterId, snapshot.groupId);
  const rule = parseOwnerRule(rules.ownerRule);
  const live = new Map<number, DbVm>();
  const gone = new Map<number, DbVm>();
  for (const vm of snapshot.vms) {
    if (vm.goneAt === null) live.set(vm.vmid, vm);
    else if ((gone.get(vm.vmid)?.goneAt?.getTime() ?? -Infinity) < vm.goneAt.getTime()) gone.set(vm.vmid, vm);
  }
  const byId = new Map(snapshot.vms.map((v) => [v.id, v]));
  const unreadable = new Set(inventory.unreadableNodes);
  const listed = new Set(inventory.listedVmids);
  const uncertain = new Set(inventory.uncertainVmids);
  const events = new EventPlan(snapshot.recentEvents, inventory, cs);

  // 1. Which observed VMs become which rows.
  const plans: { o: ObservedVm; db: DbVm | null; ref: VmRef; returning: DbVm | null }[] = [];
  for (const o of inventory.vms) {
    if (uncertain.has(o.vmid)) continue;
    const db = live.get(o.vmid) ?? null;
    if (db) {
      plans.push({ o, db, ref: { id: db.id }, returning: null });
      continue;
    }
    const back = gone.get(o.vmid);
    const returning = back && back.type === o.type && now.getTime() - (back.goneAt as Date).getTime() < rules.goneGraceSeconds * 1000 ? back : null;
    if (!returning && o.config === null) continue; // a new VM needs its config (MACs); next time
    plans.push({ o, db: returning, ref: returning ? { id: returning.id } : { vmid: o.vmid }, returning });
  }

  // 2. DHCP: addresses per MAC.
  let address = new Map<string, number>();
  if (rules.dhcp) {
    const resVms: ReservationVm[] = plans.map((p) => ({ ref: p.ref, id: p.db?.id ?? null, vmid: p.o.vmid, name: p.o.name, macs: p.o.config?.macs ?? p.db?.macs ?? [] }));
    address = planReservations(parseSubnet(rules.dhcp.subnet), snapshot.reservations, resVms, (r) => {
      const owner = r.vmId === null ? undefined : byId.get(r.vmId);
      return owner?.goneAt != null && now.getTime() - owner.goneAt.getTime() >= rules.dhcpGraceSeconds * 1000;
    }, cs);
  }

  // 3. Rows and events.
  const seen = new Map<number, { ref: VmRef; fields: VmFields; vmid: number; template: boolean }>();
  for (const { o, db, ref, returning } of plans) {
    const macs = o.config?.macs ?? db?.macs ?? [];
    const reserved = macs[0] !== undefined ? address.get(macs[0]) : undefined;
    const agent = o.config?.agent ?? db?.agent ?? false;
    // The guest agent's answer wins. A running VM whose agent was not asked this run keeps the address the agent
    // gave before: its DHCP reservation is only the address it was meant to get.
    const agentBefore = agent && o.status === 'running' && o.agentIpv4 === undefined ? db?.ipv4 : undefined;
    const fields: VmFields = {
      node: o.node,
      name: o.name,
      type: o.type,
      status: o.status,
      qmpstatus: o.qmpstatus,
      template: o.template,
      cores: o.cores,
      memoryMib: o.memoryMib,
      diskBytes: o.diskBytes,
      macs,
      ipv4: o.agentIpv4 ?? agentBefore ?? (reserved !== undefined ? intToIpv4(reserved) : (db?.ipv4 ?? null)),
      tags: o.tags,
      pool: o.pool,
      lock: o.lock,
      ownerEntityId: ownerEntity(rule, o, snapshot.users),
      agent,
      configDigest: o.config?.digest ?? db?.configDigest ?? null,
    };
    seen.set(o.vmid, { ref, fields, vmid: o.vmid, template: o.template });
    if (!db) {
      cs.vmInserts.push({ ...fields, vmid: o.vmid });
      events.add(ref, 'appeared', now, null, events.taskFor(o.vmid, 'created'));
      events.taskEvents(ref, o.vmid);
      continue;
    }
    const changed = changedFields(db, fields);
    if (returning) {
      cs.vmUpdates.push({ id: db.id, fields: { ...changed, goneAt: null } });
      events.add(ref, 'returned', now, null);
    } else if (Object.keys(changed).length > 0) {
      cs.vmUpdates.push({ id: db.id, fields: changed });
    }
    events.taskEvents(ref, o.vmid);
    if (db.node !== fields.node) events.transition(ref, 'migrated', now, `${db.node}→${fields.node}`);
    if (db.name !== fields.name) events.add(ref, 'renamed', now, `${db.name}→${fields.name}`);
    const power = transitionKind(powerState(db.status, db.qmpstatus), powerState(fields.status, fields.qmpstatus));
    if (power) events.transition(ref, power, now, null);
    const config = configChanges(db, fields, o.config !== null);
    if (config) events.add(ref, 'config-changed', now, config);
  }

  // 4. Live rows not seen: vanished only on a complete answer about them.
  for (const db of live.values()) {
    if (seen.has(db.vmid) || uncertain.has(db.vmid) || unreadable.has(db.node)) continue;
    if (!inventory.resourcesOk || listed.has(db.vmid)) continue;
    cs.vmUpdates.push({ id: db.id, fields: { goneAt: now } });
    events.add({ id: db.id }, 'vanished', now, null, events.taskFor(db.vmid, 'destroyed'));
  }

  // 5. Connections and owner grants.
  const byVm = new Map<number, typeof snapshot.connections>();
  for (const c of snapshot.connections) byVm.set(c.vmId, [...(byVm.get(c.vmId) ?? []), c]);
  for (const s of seen.values()) {
    const want = desiredConnections({ vmid: s.vmid, name: s.fields.name, tags: s.fields.tags, ipv4: s.fields.ipv4, template: s.template }, rules.guestProtocols);
    const have = 'id' in s.ref ? (byVm.get(s.ref.id) ?? []) : [];
    const owner = s.fields.ownerEntityId;
    for (const w of want) {
      const h = have.find((c) => c.kind === w.kind);
      if (!h) {
        cs.connectionInserts.push({ ...w, vm: s.ref, grantTo: owner });
        continue;
      }
      const update = connectionUpdate(h, w);
      if (update) cs.connectionUpdates.push(update);
      const g = ownerGrantChange(h.connectionId, h.ownerGrant, owner, snapshot.readGrants);
      if (g.revoke !== null) cs.revokes.push({ connectionId: h.connectionId, entityId: g.revoke });
      if (g.grant && owner !== null) cs.grants.push({ connectionId: h.connectionId, entityId: owner });
    }
    const kinds = new Set(want.map((w) => w.kind));
    const kept = new Set<string>();
    for (const h of have) {
      if (!kinds.has(h.kind) || kept.has(h.kind)) cs.connectionDeletes.push(h.connectionId);
      else kept.add(h.kind);
    }
  }
  // Connections of VMs gone longer than the grace period go; their history stays.
  for (const [vmId, conns] of byVm) {
    const vm = byId.get(vmId);
    const goneAt = vm?.goneAt ?? null;
    if (vm === undefined || (goneAt !== null && now.getTime() - goneAt.getTime() >= rules.goneGraceSeconds * 1000 && !seen.has(vm.vmid))) {
      for (const c of conns) cs.connectionDeletes.push(c.connectionId);
    }
  }
  if (snapshot.groupId === null && cs.connectionInserts.length > 0) cs.createGroup = rules.clusterName;
  return cs;
}

const COMPARED: (keyof VmFields)[] = ['node', 'name', 'type', 'status', 'qmpstatus', 'template', 'cores', 'memoryMib', 'diskBytes', 'macs', 'ipv4', 'tags', 'pool', 'lock', 'ownerEntityId', 'agent', 'configDigest'];

function same(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.join(',') === b.join(',') : a === b;
}

function changedFields(db: DbVm, f: VmFields): Partial<VmFields> {
  const out: Partial<VmFields> = {};
  for (const k of COMPARED) if (!same(db[k], f[k])) (out as Record<string, unknown>)[k] = f[k];
  return out;
}

/** "cores 2→4, memory 2048→4096 MiB, tags a→a,b": what an admin would call a config change; null when none. */
function configChanges(db: DbVm, f: VmFields, configRead: boolean): string | null {
  const parts: string[] = [];
  const show = (v: unknown): string => (Array.isArray(v) ? v.join(',') || '-' : v === null ? '-' : String(v));
  const check = (label: string, a: unknown, b: unknown): void => {
    if (!same(a, b)) parts.push(`${label} ${show(a)}→${show(b)}`);
  };
  check('cores', db.cores, f.cores);
  check('memory', db.memoryMib, f.memoryMib);
  check('disk', db.diskBytes, f.diskBytes);
  check('tags', db.tags, f.tags);
  check('template', db.template, f.template);
  if (configRead) {
    check('macs', db.macs, f.macs);
    check('agent', db.agent, f.agent);
    if (parts.length === 0 && db.configDigest !== null && db.configDigest !== f.configDigest && db.name === f.name) parts.push('config');
  }
  return parts.length > 0 ? parts.join(', ') : null;
}

/** Events of one diff, with the task list and the recent history to deduplicate against. */
class EventPlan {
  readonly #tasks = new Map<number, TaskEvent[]>();
  readonly #known: Set<string>;
  readonly #recent: DbEvent[];
  readonly #enriched = new Set<number>();

  constructor(recent: readonly DbEvent[], inventory: Inventory, private readonly cs: ChangeSet) {
    this.#recent = [...recent].sort((a, b) => a.at.getTime() - b.at.getTime());
    this.#known = new Set(recent.map((e) => e.upid).filter((u): u is string => u !== null));
    const seenUpids = new Set<string>();
    for (const t of inventory.tasks) {
      const e = taskEvent(t);
      if (!e || this.#known.has(e.upid) || seenUpids.has(e.upid)) continue;
      seenUpids.add(e.upid);
      this.#tasks.set(e.vmid, [...(this.#tasks.get(e.vmid) ?? []), e]);
    }
    for (const list of this.#tasks.values()) list.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** The newest unconsumed task of this kind for the VM (e.g. the qmcreate that made it). */
  taskFor(vmid: number, kind: VmEventKind): TaskEvent | undefined {
    const list = this.#tasks.get(vmid) ?? [];
    const t = [...list].reverse().find((e) => e.kind === kind);
    if (t) this.#tasks.set(vmid, list.filter((e) => e !== t));
    return t;
  }

  add(vm: VmRef, kind: VmEventKind, at: Date, detail: string | null, task?: TaskEvent): void {
    this.cs.events.push({ vm, at: task?.at ?? at, kind, actor: task?.actor ?? null, detail: detail ?? task?.detail ?? null, upid: task?.upid ?? null });
  }

  /** Every new task event of the VM: enriches an actorless event sync recorded earlier, or becomes its own. */
  taskEvents(vm: VmRef, vmid: number): void {
    for (const t of this.#tasks.get(vmid) ?? []) {
      const target = ENRICH_ONLY[t.kind] ?? t.kind;
      const earlier = 'id' in vm ? this.#recent.find((e) => e.vmId === vm.id && e.kind === target && e.upid === null && !this.#enriched.has(e.id)) : undefined;
      if (earlier) {
        this.#enriched.add(earlier.id);
        this.cs.eventActors.push({ id: earlier.id, actor: t.actor, upid: t.upid });
      } else if (!ENRICH_ONLY[t.kind]) {
        this.add(vm, t.kind, t.at, t.detail, t);
      }
    }
  }

  /**
   * A change seen between two reads (power state, node). Not recorded when the newest event of its family
   * (this run's tasks or the recent history) already is that change, taken from a task.
   */
  transition(vm: VmRef, kind: VmEventKind, at: Date, detail: string | null): void {
    const family = POWER_KINDS.has(kind) ? POWER_KINDS : new Set([kind]);
    const candidates: { kind: string; at: number; upid: string | null }[] = [
      ...this.#recent.filter((e) => 'id' in vm && e.vmId === vm.id && family.has(e.kind)).map((e) => ({ kind: e.kind, at: e.at.getTime(), upid: e.upid })),
      ...this.cs.events.filter((e) => sameRef(e.vm, vm) && family.has(e.kind)).map((e) => ({ kind: e.kind, at: e.at.getTime(), upid: e.upid })),
    ];
    const newest = candidates.sort((a, b) => a.at - b.at).at(-1);
    if (newest && newest.kind === kind && newest.upid !== null) {
      if (kind === 'migrated' && detail) {
        const ev = this.cs.events.find((e) => sameRef(e.vm, vm) && e.kind === kind && e.detail === null);
        if (ev) ev.detail = detail;
      }
      return;
    }
    this.add(vm, kind, at, detail);
  }
}

function sameRef(a: VmRef, b: VmRef): boolean {
  return 'id' in a ? 'id' in b && a.id === b.id : 'vmid' in b && a.vmid === b.vmid;
}
