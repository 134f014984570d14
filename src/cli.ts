#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config/index.js';
import { DatabaseUnavailableError, InvalidNameError } from './db/index.js';
import { CliError, ExitCode } from './commands/errors.js';
import { describeError } from './commands/describe-error.js';
import { registerCommands } from './commands/index.js';

const program = new Command('earcandle')
  .description('EarCandle: a self-service gateway to Proxmox VE virtual machines')
  .version(process.env.npm_package_version ?? '0.1.0')
  .option('-c, --config <file>', 'configuration file (JSON); EARCANDLE_* variables override it')
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text).
    return err.exitCode === 0 ? 0 : ExitCode.Usage;
  }
  process.stderr.write(`earcandle: ${describeError(err)}\n`);
  return exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError) return ExitCode.Config;
  if (err instanceof DatabaseUnavailableError) return ExitCode.Unavailable;
  if (err instanceof InvalidNameError) return ExitCode.DataError;
  return ExitCode.Failure;
}
