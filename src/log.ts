import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear, in case a secret slips into a log object. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'tokenSecret',
  '*.tokenSecret',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The process logger: JSON lines on stderr, so stdout stays for command output. */
export function createLogger(level: LevelWithSilent = 'info', name = 'earcandle'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}
