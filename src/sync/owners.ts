/** The owner rule of a cluster (pve_cluster.owner_rule): who a VM belongs to, by PVE pool or by tag. */
export type OwnerRule = { kind: 'pool' } | { kind: 'tag'; prefix: string } | { kind: 'none' };

export class OwnerRuleError extends Error {
  override readonly name = 'OwnerRuleError';
  readonly code = 'SYNC_OWNER_RULE';
}

/** 'pool' | 'tag:<prefix>' | 'none'. */
export function parseOwnerRule(text: string): OwnerRule {
  const t = text.trim();
  if (t === 'pool') return { kind: 'pool' };
  if (t === 'none' || t === '') return { kind: 'none' };
  const m = /^tag:([a-z0-9_][a-z0-9_\-+.]*)$/i.exec(t);
  if (m) return { kind: 'tag', prefix: (m[1] as string).toLowerCase() };
  throw new OwnerRuleError(`owner rule ${JSON.stringify(text)}: expected pool, tag:<prefix> or none`);
}

/** The owner's user name: the pool's name, or the rest of the first tag `<prefix><user>`; null when none. */
export function ownerName(rule: OwnerRule, vm: { pool: string | null; tags: readonly string[] }): string | null {
  if (rule.kind === 'pool') return vm.pool && vm.pool.length > 0 ? vm.pool : null;
  if (rule.kind === 'tag') {
    const tag = [...vm.tags].sort().find((t) => t.startsWith(rule.prefix) && t.length > rule.prefix.length);
    return tag ? tag.slice(rule.prefix.length) : null;
  }
  return null;
}

/** The Guacamole USER entity that owns the VM, or null (unknown user or no owner). */
export function ownerEntity(rule: OwnerRule, vm: { pool: string | null; tags: readonly string[] }, users: ReadonlyMap<string, number>): number | null {
  const name = ownerName(rule, vm);
  return name === null ? null : (users.get(name.toLowerCase()) ?? null);
}
