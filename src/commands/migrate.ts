import type { Command } from 'commander';
import { migrateDown, migrateUp, migrationStatus } from '../db/index.js';
import { withDatabase } from './context.js';
import { CliError, ExitCode } from './errors.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the database schema (Guacamole 1.5 tables and EarCandle tables)')
    .option('--status', 'list applied and pending migrations, change nothing')
    .option('--revert <steps>', 'revert the newest STEPS migrations ("all" for every one)')
    .action(async (opts: { status?: boolean; revert?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        if (opts.status) {
          const { applied, pending } = await migrationStatus(db);
          for (const name of applied) console.log(`applied  ${name}`);
          for (const name of pending) console.log(`pending  ${name}`);
          return;
        }
        if (opts.revert !== undefined) {
          const steps = opts.revert === 'all' ? Infinity : Number(opts.revert);
          if (!(steps === Infinity || (Number.isInteger(steps) && steps > 0))) throw new CliError('--revert takes a number of steps or "all"', ExitCode.Usage);
          console.log(`reverted ${await migrateDown(db, steps)} migration(s)`);
          return;
        }
        const applied = await migrateUp(db);
        console.log(applied.length === 0 ? 'database is up to date' : `applied ${applied.join(', ')}`);
      });
    });
}
