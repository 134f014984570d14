/**
 * guacd's VNC parameters (protocols/vnc/settings.c), in the order `args` lists them, kebab-case as
 * clients send them, parsed once into a readonly camelCase `VncSettings` with defaults and bounds.
 * Parameters listed for compatibility but not implemented (SFTP, recording, audio, repeater,
 * reverse connect, Wake-on-LAN) are accepted and ignored.
 */
import { z } from 'zod';
import { describeIssues, flag, integer, optionalText } from '../settings-fields.js';

export const VNC_ARG_NAMES = [
  'hostname',
  'port',
  'read-only',
  'encodings',
  'username',
  'password',
  'swap-red-blue',
  'color-depth',
  'cursor',
  'autoretry',
  'clipboard-encoding',
  'dest-host',
  'dest-port',
  'enable-audio',
  'audio-servername',
  'reverse-connect',
  'listen-timeout',
  'enable-sftp',
  'sftp-hostname',
  'sftp-host-key',
  'sftp-port',
  'sftp-username',
  'sftp-password',
  'sftp-private-key',
  'sftp-passphrase',
  'sftp-directory',
  'sftp-root-directory',
  'sftp-server-alive-interval',
  'sftp-disable-download',
  'sftp-disable-upload',
  'recording-path',
  'recording-name',
  'recording-exclude-output',
  'recording-exclude-mouse',
  'recording-include-keys',
  'create-recording-path',
  'disable-copy',
  'disable-paste',
  'wol-send-packet',
  'wol-mac-addr',
  'wol-broadcast-addr',
  'wol-udp-port',
  'wol-wait-time',
  'force-lossless',
] as const;

export type VncArgName = (typeof VNC_ARG_NAMES)[number];

export const CLIPBOARD_ENCODINGS = ['ISO8859-1', 'UTF-8', 'UTF-16', 'CP1252'] as const;
export type ClipboardEncoding = (typeof CLIPBOARD_ENCODINGS)[number];

export const RFB_ENCODINGS = ['tightpng', 'zrle', 'tight', 'hextile', 'copyrect', 'raw'] as const;
export type RfbEncodingName = (typeof RFB_ENCODINGS)[number];

export interface VncSettings {
  readonly hostname: string;
  readonly port: number;
  readonly readOnly: boolean;
  /** Preferred encodings, best first; empty = the RFB client's defaults. */
  readonly encodings: readonly RfbEncodingName[];
  readonly username: string;
  readonly password: string | undefined;
  readonly swapRedBlue: boolean;
  readonly colorDepth: 8 | 16 | 24 | 32;
  /** `local`: the cursor is drawn by the browser (Cursor pseudo-encoding); `remote`: in the framebuffer. */
  readonly cursor: 'local' | 'remote';
  /** Extra connection attempts, one second apart. */
  readonly autoretry: number;
  readonly clipboardEncoding: ClipboardEncoding;
  readonly disableCopy: boolean;
  readonly disablePaste: boolean;
  readonly forceLossless: boolean;
}

const schema = z.object({
  hostname: z.string({ error: 'is required' }).trim().min(1, 'is required'),
  port: integer(5900, 1, 65535),
  'read-only': flag,
  encodings: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .toLowerCase()
        .split(/[\s,]+/)
        .filter((e): e is RfbEncodingName => (RFB_ENCODINGS as readonly string[]).includes(e)),
    ),
  username: z.string().optional().default(''),
  password: optionalText,
  'swap-red-blue': flag,
  'color-depth': integer(24, 8, 32).refine((n) => [8, 16, 24, 32].includes(n), 'must be 8, 16, 24 or 32'),
  cursor: z
    .string()
    .optional()
    .transform((v) => (v === 'remote' ? ('remote' as const) : ('local' as const))),
  autoretry: integer(0, 0, 100),
  'clipboard-encoding': z
    .string()
    .optional()
    .transform((v) => (CLIPBOARD_ENCODINGS as readonly string[]).includes(v ?? '') ? (v as ClipboardEncoding) : 'ISO8859-1'),
  'disable-copy': flag,
  'disable-paste': flag,
  'force-lossless': flag,
});

export class VncSettingsError extends Error {
  override readonly name = 'VncSettingsError';
}

/** Parses the `connect` values (by wire name; '' = default) into VncSettings. */
export function parseVncSettings(args: Readonly<Record<string, string>>): VncSettings {
  const result = schema.safeParse(args);
  if (!result.success) {
    throw new VncSettingsError(`Invalid VNC parameters: ${describeIssues(result.error)}`);
  }
  const r = result.data;
  return Object.freeze({
    hostname: r.hostname,
    port: r.port,
    readOnly: r['read-only'],
    encodings: Object.freeze(r.encodings),
    username: r.username,
    password: r.password,
    swapRedBlue: r['swap-red-blue'],
    colorDepth: r['color-depth'] as 8 | 16 | 24 | 32,
    cursor: r.cursor,
    autoretry: r.autoretry,
    clipboardEncoding: r['clipboard-encoding'],
    disableCopy: r['disable-copy'],
    disablePaste: r['disable-paste'],
    forceLossless: r['force-lossless'],
  });
}
