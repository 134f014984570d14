import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const stateSchema = z.object({
  sessionSecret: z.string().min(32),
  consoleTokenKey: z.string().regex(/^[0-9a-f]{64}$/),
  encryptionKey: z.string().regex(/^[0-9a-f]{64}$/),
  pveTokenSecret: z.string().uuid(),
  adminPassword: z.string().min(10),
  userPassword: z.string().min(10),
});

/** The demo's secrets and passwords, made once and kept (mode 600) so a second run reuses the same database. */
export type DemoState = z.infer<typeof stateSchema>;

export function loadOrCreateDemoState(dir: string): DemoState {
  const file = path.join(dir, 'state.json');
  if (existsSync(file)) {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  }
  const state: DemoState = {
    sessionSecret: randomBytes(32).toString('hex'),
    consoleTokenKey: randomBytes(32).toString('hex'),
    encryptionKey: randomBytes(32).toString('hex'),
    pveTokenSecret: randomUUID(),
    adminPassword: readablePassword(),
    userPassword: readablePassword(),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

/** Four groups of four letters and digits: easy to type from the terminal into the login form. */
function readablePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}
