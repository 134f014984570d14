/**
 * guacd's SSH parameters (protocols/ssh/settings.c), in the order `args` lists them, kebab-case as
 * clients send them, parsed once into a readonly camelCase `SshSettings` with defaults and bounds.
 * Listed for compatibility but not implemented (accepted and ignored): SFTP, typescripts,
 * recordings, Wake-on-LAN. `enable-agent` is left out, as in guacd builds without agent support.
 */
import { z } from 'zod';
import { describeIssues, flag, optionalText, integer } from '../settings-fields.js';

export const SSH_ARG_NAMES = [
  'hostname',
  'host-key',
  'port',
  'username',
  'password',
  'font-name',
  'font-size',
  'enable-sftp',
  'sftp-root-directory',
  'sftp-disable-download',
  'sftp-disable-upload',
  'private-key',
  'passphrase',
  'color-scheme',
  'command',
  'typescript-path',
  'typescript-name',
  'create-typescript-path',
  'recording-path',
  'recording-name',
  'recording-exclude-output',
  'recording-exclude-mouse',
  'recording-include-keys',
  'create-recording-path',
  'read-only',
  'server-alive-interval',
  'backspace',
  'terminal-type',
  'scrollback',
  'locale',
  'timezone',
  'disable-copy',
  'disable-paste',
  'wol-send-packet',
  'wol-mac-addr',
  'wol-broadcast-addr',
  'wol-udp-port',
  'wol-wait-time',
] as const;

export type SshArgName = (typeof SSH_ARG_NAMES)[number];

/**
 * Our emulator speaks xterm, so the pty is announced as xterm-256color unless the connection says
 * otherwise (guacd defaults to "linux", whose function-key sequences this terminal does not send).
 */
export const DEFAULT_TERMINAL_TYPE = 'xterm-256color';

export interface SshSettings {
  readonly hostname: string;
  /** The expected server key (known_hosts line, "type base64" or bare base64); undefined = first use. */
  readonly hostKey: string | undefined;
  readonly port: number;
  readonly username: string;
  readonly password: string | undefined;
  readonly privateKey: string | undefined;
  readonly passphrase: string | undefined;
  readonly fontName: string;
  /** Points. */
  readonly fontSize: number;
  readonly colorScheme: string;
  /** Runs this instead of a login shell. */
  readonly command: string | undefined;
  readonly readOnly: boolean;
  /** Seconds between keep-alives; 0 = none. */
  readonly serverAliveInterval: number;
  readonly backspace: number;
  readonly terminalType: string;
  readonly scrollback: number;
  readonly locale: string | undefined;
  readonly timezone: string | undefined;
  readonly disableCopy: boolean;
  readonly disablePaste: boolean;
}

const schema = z.object({
  hostname: z.string({ error: 'is required' }).trim().min(1, 'is required'),
  'host-key': optionalText,
  port: integer(22, 1, 65535),
  username: z.string().optional().default(''),
  password: optionalText,
  'private-key': optionalText,
  passphrase: optionalText,
  'font-name': z
    .string()
    .optional()
    .transform((v) => v?.trim() || 'monospace'),
  'font-size': integer(12, 4, 96),
  'color-scheme': z.string().optional().default(''),
  command: optionalText,
  'read-only': flag,
  'server-alive-interval': integer(0, 0, 86400),
  backspace: integer(127, 0, 127),
  'terminal-type': z
    .string()
    .optional()
    .transform((v, ctx) => {
      const t = v?.trim() || DEFAULT_TERMINAL_TYPE;
      if (!/^[A-Za-z0-9._+-]{1,64}$/.test(t)) {
        ctx.addIssue({ code: 'custom', message: 'must be a terminal name such as xterm-256color' });
        return z.NEVER;
      }
      return t;
    }),
  scrollback: integer(1000, 0, 100000),
  locale: optionalText,
  timezone: optionalText,
  'disable-copy': flag,
  'disable-paste': flag,
});

export class SshSettingsError extends Error {
  override readonly name = 'SshSettingsError';
  readonly code = 'SSH_BAD_SETTINGS';
}

/** Parses the `connect` values (by wire name; '' = default) into SshSettings. Never echoes secrets. */
export function parseSshSettings(args: Readonly<Record<string, string>>): SshSettings {
  const result = schema.safeParse(args);
  if (!result.success) {
    throw new SshSettingsError(`Invalid SSH parameters: ${describeIssues(result.error)}`);
  }
  const r = result.data;
  return Object.freeze({
    hostname: r.hostname,
    hostKey: r['host-key'],
    port: r.port,
    username: r.username,
    password: r.password,
    privateKey: r['private-key'],
    passphrase: r.passphrase,
    fontName: r['font-name'],
    fontSize: r['font-size'],
    colorScheme: r['color-scheme'],
    command: r.command,
    readOnly: r['read-only'],
    serverAliveInterval: r['server-alive-interval'],
    backspace: r.backspace,
    terminalType: r['terminal-type'],
    scrollback: r.scrollback,
    locale: r.locale,
    timezone: r.timezone,
    disableCopy: r['disable-copy'],
    disablePaste: r['disable-paste'],
  });
}
