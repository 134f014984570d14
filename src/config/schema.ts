import { z } from 'zod';

/** pino's levels, for log.level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(1).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes',
);
const seconds = z.coerce.number().int().min(0);

/** A 32-byte key written as 64 hex characters or as base64. */
const key32 = z.string().refine((v) => decodeKey(v)?.length === 32, {
  message: 'expected a 32-byte key as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)',
});

export function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) return Buffer.from(text, 'base64');
  return undefined;
}

const mysqlUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'mysql:' || u.protocol === 'mariadb:') && u.hostname !== '' && u.pathname.length > 1;
    } catch {
      return false;
    }
  }, { message: 'expected mysql://user:password@host:port/database' });

/**
 * The whole configuration, as written in the file (kebab-free camelCase keys).
 * Every key also has an environment variable: EARCANDLE_ + the path in UPPER_SNAKE_CASE,
 * e.g. db.url → EARCANDLE_DB_URL, http.port → EARCANDLE_HTTP_PORT.
 */
export const configSchema = z
  .object({
    db: z
      .object({
        url: mysqlUrl,
        poolSize: z.coerce.number().int().min(1).max(200).default(10),
      })
      .strict(),
    http: z
      .object({
        bind: z.string().default('127.0.0.1'),
        port: port.default(8080),
        publicUrl: z.url().optional(),
        trustProxy: bool.default(false),
        secureCookies: bool.default(false),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        sessionSecret: z.string().min(32, 'expected at least 32 characters').optional(),
        consoleTokenKey: key32.optional(),
        encryptionKey: key32.optional(),
      })
      .strict()
      .prefault({}),
    guacd: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(4822),
        builtin: bool.default(true),
      })
      .strict()
      .prefault({}),
    sync: z
      .object({
        intervalSeconds: seconds.default(60),
        goneGraceSeconds: seconds.default(7 * 24 * 3600),
        dhcpGraceSeconds: seconds.default(7 * 24 * 3600),
        perClusterConcurrency: z.coerce.number().int().min(1).max(64).default(4),
      })
      .strict()
      .prefault({}),
    dhcp: z
      .object({
        /** Kea's own database on the same server (made by `kea-admin db-init`); absent = no Kea host rows. */
        keaDatabase: z.string().regex(/^[A-Za-z0-9_$]{1,64}$/, 'expected a database name').optional(),
      })
      .strict()
      .prefault({}),
    mail: z
      .object({
        smtpUrl: z.string().optional(),
        from: z.string().default('EarCandle <earcandle@localhost>'),
      })
      .strict()
      .prefault({}),
    registration: z
      .object({
        enabled: bool.default(false),
        requireApproval: bool.default(true),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(LOG_LEVELS).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
