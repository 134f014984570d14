import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, decodeKey, type ParsedConfig } from './schema.js';
import { Secret } from './secret.js';

export const ENV_PREFIX = 'EARCANDLE_';
/** Environment variables with this prefix that are not configuration keys. */
const NON_CONFIG_ENV = new Set(['EARCANDLE_CONFIG']);

export type Config = Readonly<
  Omit<ParsedConfig, 'db' | 'secrets' | 'mail'> & {
    db: Readonly<{ url: Secret; poolSize: number }>;
    /** The SMTP URL may carry a password (smtp://user:pass@host), so it is kept like a secret. */
    mail: Readonly<{ smtpUrl?: Secret | undefined; from: string }>;
    secrets: Readonly<{
      sessionSecret?: Secret | undefined;
      consoleTokenKey?: Secret<Buffer> | undefined;
      encryptionKey?: Secret<Buffer> | undefined;
    }>;
  }
>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** A JSON file; when absent, EARCANDLE_CONFIG names one (optional). */
  file?: string | undefined;
  /** Values that win over file and environment (tests, the demo). */
  overrides?: Record<string, unknown>;
}

/**
 * Reads the configuration file and the EARCANDLE_* environment variables (which win),
 * validates the lot and returns a frozen, typed config. Every problem is reported in one ConfigError.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.EARCANDLE_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv = readEnv(env);
  const merged = deepMerge(deepMerge(fromFile, fromEnv), options.overrides ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, problems);
  }
  return freezeDeep(wrapSecrets(result.data));
}

/** Every configuration key as a dotted path, with its environment variable. */
export function configKeys(): { path: string; env: string }[] {
  return leafPaths(configSchema, []).map((path) => ({ path: path.join('.'), env: envName(path) }));
}

type SecretName = keyof Config['secrets'];

/** The secret a command cannot work without; a ConfigError naming its key when it is not configured. */
export function requireSecret<K extends SecretName>(config: Config, name: K): NonNullable<Config['secrets'][K]> {
  const secret = config.secrets[name];
  if (secret === undefined) {
    throw new ConfigError(`secrets.${name} (${envName(['secrets', name])}): missing, this command needs it`);
  }
  return secret as NonNullable<Config['secrets'][K]>;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`configuration file ${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const byEnv = new Map(leafPaths(configSchema, []).map((path) => [envName(path), path]));
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_CONFIG_ENV.has(name) || value === undefined) continue;
    const path = byEnv.get(name);
    if (!path) {
      unknown.push(name);
      continue;
    }
    setPath(out, path, value);
  }
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown configuration variable ${unknown.join(', ')} (known: ${[...byEnv.keys()].join(', ')})`,
      unknown.map((n) => `${n}: unknown variable`),
    );
  }
  return out;
}

function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { unwrap?: () => z.ZodType };
  while (typeof s.unwrap === 'function' && !(s instanceof z.ZodObject)) s = s.unwrap() as typeof s;
  return s;
}

function leafPaths(schema: z.ZodType, prefix: string[]): string[][] {
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.join('.');
  const where = key ? `${key} (${envName(issue.path.map(String))})` : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${where}: missing, expected ${issue.expected}`;
  }
  return `${where}: ${issue.message}`;
}

function wrapSecrets(c: ParsedConfig): Config {
  return {
    ...c,
    db: { url: new Secret(c.db.url), poolSize: c.db.poolSize },
    mail: { from: c.mail.from, smtpUrl: c.mail.smtpUrl === undefined ? undefined : new Secret(c.mail.smtpUrl) },
    secrets: {
      sessionSecret: c.secrets.sessionSecret === undefined ? undefined : new Secret(c.secrets.sessionSecret),
      consoleTokenKey: c.secrets.consoleTokenKey === undefined ? undefined : new Secret(decodeKey(c.secrets.consoleTokenKey) as Buffer),
      encryptionKey: c.secrets.encryptionKey === undefined ? undefined : new Secret(decodeKey(c.secrets.encryptionKey) as Buffer),
    },
  };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

function freezeDeep<T>(value: T): T {
  if (isPlainObject(value)) {
    for (const v of Object.values(value)) freezeDeep(v);
    Object.freeze(value);
  }
  return value;
}
