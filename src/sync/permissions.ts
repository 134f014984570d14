import { grantKey } from '../db/index.js';

/**
 * The owner's READ grant on a VM's connections. Sync remembers the grants it made in the connection attribute
 * earcandle-owner-grant and only ever revokes those; a grant an admin made (any row sync did not record) is
 * never touched, and when the owner already holds READ through such a grant, sync adds nothing.
 */
export interface GrantDecision {
  grant: boolean;
  revoke: number | null;
}

/** What to do with one existing connection given who sync granted before and who owns the VM now. */
export function ownerGrantChange(connectionId: number, recorded: number | null, owner: number | null, readGrants: ReadonlySet<string>): GrantDecision {
  // The owner gets READ unless some grant already gives it (ours too: one deleted by hand is put back).
  const grant = owner !== null && !readGrants.has(grantKey(owner, connectionId));
  return { grant, revoke: recorded === owner ? null : recorded };
}
