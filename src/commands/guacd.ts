import type { Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createGuacd } from '../../guacamole/index.js';
import { createLogger } from '../log.js';
import { untilSignal } from './context.js';
import { CliError, ExitCode } from './errors.js';

const LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** `HOST:PORT` (IPv6 as `[::1]:4822`) → host and port; throws a usage error otherwise. */
export function parseBind(bind: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(bind);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new CliError(`--bind must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:4822 (got "${bind}")`, ExitCode.Usage);
  }
  return { host: match[1] ?? match[2]!, port };
}

export function register(program: Command): void {
  program
    .command('guacd')
    .description('run the guacd-compatible daemon (Guacamole protocol over TCP; VNC) until SIGINT or SIGTERM')
    .option('--bind <host:port>', 'address to listen on; keep it on loopback', '127.0.0.1:4822')
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, 'info')
    .action(async (opts: { bind: string; logLevel: string }) => {
      const { host, port } = parseBind(opts.bind);
      if (!(LEVELS as readonly string[]).includes(opts.logLevel)) {
        throw new CliError(`--log-level must be one of ${LEVELS.join(', ')} (got "${opts.logLevel}")`, ExitCode.Usage);
      }
      const log = createLogger(opts.logLevel as LevelWithSilent, 'guacd');
      const guacd = createGuacd({
        host,
        port,
        logger: {
          info: (m) => log.info(m),
          warn: (m) => log.warn(m),
          error: (m) => log.error(m),
          debug: (m) => log.debug(m),
        },
      });
      try {
        await guacd.start();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(`cannot listen on ${opts.bind}: ${code ?? (err as Error).message}`, ExitCode.Unavailable);
      }
      await untilSignal((signal) => {
        log.info(`${signal}: stopping`);
        return guacd.stop();
      });
    });
}
