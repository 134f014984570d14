import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { configFrom, untilSignal } from './context.js';
import { startGateway } from './gateway.js';

/** `earcandle serve`: the whole gateway until SIGINT or SIGTERM, which stop its parts in reverse order. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: portal (HTTP), console tunnel, built-in guacd, sync and job runner, until SIGINT or SIGTERM')
    .action(async (_opts: unknown, command: Command) => {
      const config = configFrom(command);
      const log = createLogger(config.log.level, 'earcandle');
      const gateway = await startGateway(config, log);
      log.info({ url: gateway.url }, 'EarCandle is serving');
      process.stdout.write(`EarCandle portal on ${gateway.url}\n`);
      await untilSignal((signal) => {
        log.info(`${signal}: stopping`);
        return gateway.stop();
      });
    });
}
