import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Command } from 'commander';
import { LOG_LEVELS } from '../config/index.js';
import { createLogger } from '../log.js';
import { runDemo, demoBanner } from '../demo/run-demo.js';
import { DemoSetupError } from '../demo/private-mariadb.js';
import { untilSignal } from './context.js';
import { CliError, ExitCode } from './errors.js';

/** The checkout this command runs from (dist/src/commands → three levels up; src/commands under tsx → two). */
function projectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.split(path.sep).includes('dist') ? '../../..' : '../..';
  return path.resolve(here, up);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run a complete demo: private MariaDB (unless EARCANDLE_DB_URL is set), Proxmox simulator with QEMU VMs, sync, demo accounts, gateway',
    )
    .action(async () => {
      const root = projectRoot();
      const level = process.env.EARCANDLE_LOG_LEVEL ?? 'warn';
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new CliError(`log.level (EARCANDLE_LOG_LEVEL): expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`, ExitCode.Config);
      }
      const log = createLogger(level as 'warn', 'earcandle-demo');
      const say = (line: string): void => void process.stderr.write(`[demo] ${line}\n`);
      let demo;
      try {
        demo = await runDemo({ root, env: process.env, log, say });
      } catch (err) {
        if (err instanceof DemoSetupError) throw new CliError(err.message, ExitCode.Unavailable);
        throw err;
      }
      process.stdout.write(`${demoBanner(demo.url, root)}\n`);
      await untilSignal(() => {
        say('stopping');
        return demo.stop();
      });
      say('stopped');
    });
}
