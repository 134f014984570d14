/**
 * Minting for the portal: the same permission rule the tunnel applies again at connect time, then a fresh
 * token. The portal calls it from `POST /api/v1/vms/:id/console-token` (session + CSRF).
 */
import type { DataSource } from 'typeorm';
import { ConsoleAccess } from './access.js';
import { ConsoleError } from './errors.js';
import { mintConsoleToken, type ConsoleKind } from './token.js';

export interface MintedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export class ConsoleTokenService {
  readonly #access: ConsoleAccess;
  readonly #key: Buffer;
  readonly #ttlMs: number;

  constructor(options: { db: DataSource; tokenKey: Buffer; ttlMs?: number }) {
    if (options.tokenKey.length !== 32) throw new RangeError('the console token key must be 32 bytes');
    this.#access = new ConsoleAccess(options.db);
    this.#key = options.tokenKey;
    this.#ttlMs = options.ttlMs ?? 30_000;
  }

  /** Throws ConsoleError ACCESS_REVOKED, VM_GONE or NO_CONNECTION when the user may not open it. */
  async mint(entityId: number, vmId: number, kind: ConsoleKind = 'console'): Promise<MintedToken> {
    const user = await this.#access.user(entityId);
    if (!user || !user.enabled) throw new ConsoleError('ACCESS_REVOKED', 'account disabled');
    const vm = await this.#access.vm(vmId);
    if (!vm || vm.gone) throw new ConsoleError('VM_GONE');
    const connection = await this.#access.connection(vmId, kind);
    if (!connection) throw new ConsoleError('NO_CONNECTION', kind);
    if (!user.admin && !(await this.#access.mayRead(entityId, connection.connectionId))) throw new ConsoleError('ACCESS_REVOKED', 'no READ permission');
    const { token, claims } = mintConsoleToken(this.#key, { entityId, vmId, kind, ttlMs: this.#ttlMs });
    return { token, expiresAt: claims.expiresAt };
  }
}
