import type { Command } from 'commander';

/** Adds every `earcandle` sub-command; each lives in its own module. */
export function registerCommands(_program: Command): void {}
