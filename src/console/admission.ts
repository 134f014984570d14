/**
 * Everything checked before guacd is ever contacted, in order: the token itself (shape, MAC, expiry), its
 * single use (the ledger insert), whose browser presents it (when the portal session is known), the user
 * (exists, enabled), the VM (exists, not gone), its connection for the way in, and the user's permission on
 * that connection, read fresh from the Guacamole tables. Any failure is a ConsoleError with its status.
 */
import type { ConsoleAccess, ConsoleConnection, ConsoleUser, ConsoleVm, TokenUseLedger } from '../db/index.js';
import { ConsoleError } from './errors.js';
import { openConsoleToken, type ConsoleClaims, type ConsoleKind } from './token.js';

export interface AdmissionDeps {
  tokenKey: Buffer;
  access: Pick<ConsoleAccess, 'vm' | 'connection' | 'user' | 'mayRead'>;
  ledger: Pick<TokenUseLedger, 'claim'>;
  clock?: () => number;
}

export interface Admission {
  claims: ConsoleClaims;
  user: ConsoleUser;
  vm: ConsoleVm;
  connection: ConsoleConnection;
}

/**
 * @param sessionEntityId the portal session's user when the upgrade request carried one; `null` when the
 *   caller knows there is none; undefined when the caller does not check sessions.
 * @param onClaims called as soon as the token is readable, so a refusal can still be attributed.
 */
export async function admit(deps: AdmissionDeps, tokenText: unknown, sessionEntityId?: number | null, onClaims?: (c: ConsoleClaims) => void): Promise<Admission> {
  const now = (deps.clock ?? Date.now)();
  const claims = openConsoleToken(deps.tokenKey, tokenText, now);
  onClaims?.(claims);
  if (!(await deps.ledger.claim(claims.tokenId, claims.entityId, new Date(claims.expiresAt), new Date(now)))) {
    throw new ConsoleError('TOKEN_REPLAYED');
  }
  if (sessionEntityId !== undefined && sessionEntityId !== claims.entityId) {
    throw new ConsoleError('TOKEN_WRONG_USER', sessionEntityId === null ? 'no portal session' : `presented by entity ${sessionEntityId}`);
  }
  return { claims, ...(await authorize(deps.access, claims.entityId, claims.vmId, claims.kind)) };
}

/**
 * The permission rule, the same when the portal mints a token and when the tunnel admits it: the user exists
 * and is enabled, the VM exists and is not gone, it has a connection for the way in, and the user may READ
 * that connection (directly or through an enabled group) or is an administrator.
 */
export async function authorize(
  access: Pick<ConsoleAccess, 'vm' | 'connection' | 'user' | 'mayRead'>,
  entityId: number,
  vmId: number,
  kind: ConsoleKind,
): Promise<Omit<Admission, 'claims'>> {
  const user = await access.user(entityId);
  if (!user || !user.enabled) throw new ConsoleError('ACCESS_REVOKED', user ? 'account disabled' : 'no such user');
  const vm = await access.vm(vmId);
  if (!vm || vm.gone) throw new ConsoleError('VM_GONE');
  const connection = await access.connection(vm.id, kind);
  if (!connection) throw new ConsoleError('NO_CONNECTION', kind);
  if (!user.admin && !(await access.mayRead(user.entityId, connection.connectionId))) throw new ConsoleError('ACCESS_REVOKED', 'no READ permission');
  return { user, vm, connection };
}
