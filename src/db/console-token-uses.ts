/** The single-use ledger of console tokens (console_token_use): the first use inserts, a second is a replay. */
import type { DataSource } from 'typeorm';
import { isDuplicateKey } from './errors.js';

export class TokenUseLedger {
  #lastPurge = 0;

  constructor(private readonly db: DataSource) {}

  /** Records the use; false when this token id was already used (a replay). */
  async claim(tokenId: Buffer, entityId: number, expiresAt: Date, now: Date = new Date()): Promise<boolean> {
    await this.#purge(now);
    try {
      await this.db.query('INSERT INTO console_token_use (token_id, entity_id, used_at, expires_at) VALUES (?, ?, ?, ?)', [tokenId, entityId, now, expiresAt]);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Rows whose token has expired can go: an expired token is refused before the ledger is consulted. */
  async #purge(now: Date): Promise<void> {
    if (now.getTime() - this.#lastPurge < 60_000) return;
    this.#lastPurge = now.getTime();
    await this.db.query('DELETE FROM console_token_use WHERE expires_at < ?', [new Date(now.getTime() - 60_000)]);
  }
}
