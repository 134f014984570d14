/**
 * Everything checked before guacd is ever contacted, in order: the token itself (shape, MAC, expiry), its
 * single use (the ledger insert), whose browser presents it (when the portal session is known), the user
 * (exists, enabled), the VM (exists, not gone), its connection for the way in, and the user's permission on
 * that connection, read fresh from the Guacamole tables. Any failure is a ConsoleError with its status.
 */
import type { ConsoleAccess, ConsoleConnection, ConsoleUser, ConsoleVm } from './access.js';
import { ConsoleError } from './errors.js';
import { openConsoleToken, type ConsoleClaims } from './token.js';
import type { TokenUseLedger } from './token-use.js';

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
  const user = await deps.access.user(claims.entityId);
  if (!user || !user.enabled) throw new ConsoleError('ACCESS_REVOKED', user ? 'account disabled' : 'no such user');
  const vm = await deps.access.vm(claims.vmId);
  if (!vm || vm.gone) throw new ConsoleError('VM_GONE');
  const connection = await deps.access.connection(vm.id, claims.kind);
  if (!connection) throw new ConsoleError('NO_CONNECTION', claims.kind);
  if (!user.admin && !(await deps.access.mayRead(user.entityId, connection.connectionId))) throw new ConsoleError('ACCESS_REVOKED', 'no READ permission');
  return { claims, user, vm, connection };
}
