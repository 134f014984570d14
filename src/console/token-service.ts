/**
 * Minting for the portal: the same permission rule the tunnel applies again at connect time, then a fresh
 * token. The portal calls it from `POST /api/v1/vms/:id/console-token` (session + CSRF). For ssh/rdp/vnc at
 * the guest, the credentials the user typed go into the token (and nowhere else); the answer tells the page
 * when the guest's SSH key was first recorded, so it can word a changed-key refusal.
 */
import type { DataSource } from 'typeorm';
import { SshHostKeyRepository } from '../db/ssh-host-keys.js';
import { ConsoleAccess } from '../db/index.js';
import { authorize } from './admission.js';
import { ConsoleError } from './errors.js';
import { credentialsFor, CredentialsError } from './guest-credentials.js';
import { mintConsoleToken, type ConsoleKind } from './token.js';

export interface MintedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  /** ssh: the recorded host key of the guest, if any (fingerprint and when it was first seen). */
  hostKey?: { fingerprint: string; algorithm: string; firstSeen: Date };
}

export class ConsoleTokenService {
  readonly #access: ConsoleAccess;
  readonly #hostKeys: SshHostKeyRepository;
  readonly #key: Buffer;
  readonly #ttlMs: number;

  constructor(options: { db: DataSource; tokenKey: Buffer; ttlMs?: number }) {
    if (options.tokenKey.length !== 32) throw new RangeError('the console token key must be 32 bytes');
    this.#access = new ConsoleAccess(options.db);
    this.#hostKeys = new SshHostKeyRepository(options.db);
    this.#key = options.tokenKey;
    this.#ttlMs = options.ttlMs ?? 30_000;
  }

  /**
   * Throws ConsoleError ACCESS_REVOKED, VM_GONE or NO_CONNECTION when the user may not open it, NO_ADDRESS
   * when a guest connection has no address yet, CREDENTIALS_INVALID when the credentials do not fit the way
   * in (the message says what is wrong, never the value).
   */
  async mint(entityId: number, vmId: number, kind: ConsoleKind = 'console', credentialsInput?: unknown): Promise<MintedToken> {
    let credentials;
    try {
      credentials = credentialsFor(kind, credentialsInput);
    } catch (err) {
      if (err instanceof CredentialsError) throw new ConsoleError('CREDENTIALS_INVALID', err.message);
      throw err;
    }
    const { vm, connection } = await authorize(this.#access, entityId, vmId, kind);
    let hostKey: MintedToken['hostKey'];
    if (kind !== 'console') {
      const params = await this.#access.parameters(connection.connectionId);
      if (!(params.hostname || vm.ipv4)) throw new ConsoleError('NO_ADDRESS');
      if (kind === 'ssh') {
        const rec = await this.#hostKeys.find(vmId, Number(params.port || 22));
        if (rec) hostKey = { fingerprint: rec.fingerprint, algorithm: rec.algorithm, firstSeen: rec.firstSeen };
      }
    }
    const { token, claims } = mintConsoleToken(this.#key, { entityId, vmId, kind, ttlMs: this.#ttlMs, ...(credentials ? { credentials } : {}) });
    return { token, expiresAt: claims.expiresAt, ...(hostKey ? { hostKey } : {}) };
  }
}
