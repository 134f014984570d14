import type { Command } from 'commander';
import { requireSecret } from '../config/index.js';
import { ClusterRepository } from '../db/index.js';
import { syncAll } from '../sync/index.js';
import { withDatabase } from './context.js';
import { CliError, ExitCode } from './errors.js';

export function register(program: Command): void {
  program
    .command('sync')
    .description('read every enabled Proxmox cluster (or one) and bring the database in line: VMs, events, connections, grants, DHCP')
    .option('--once', 'run one pass and exit (the periodic sync runs inside `earcandle serve`)')
    .option('--cluster <name>', 'only this cluster')
    .action(async (opts: { once?: boolean; cluster?: string }, command: Command) => {
      if (!opts.once) throw new CliError('earcandle sync needs --once (periodic sync runs inside `earcandle serve`)', ExitCode.Usage);
      await withDatabase(command, async (db, config) => {
        const clusters = new ClusterRepository(db, () => requireSecret(config, 'encryptionKey'));
        const results = await syncAll({ db, clusters, config, log: (line) => console.log(line) }, opts.cluster);
        if (results.length === 0) console.log('no enabled clusters');
        const failed = results.filter((r) => r.outcome === 'failed');
        if (failed.length > 0) throw new CliError(failed.map((r) => `${r.cluster}: ${r.error ?? 'failed'}`).join('; '), ExitCode.Unavailable);
      });
    });
}
