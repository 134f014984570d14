import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { openDatabase, type DataSource } from '../db/index.js';

/** The configuration, from the root command's --config and the environment. */
export function configFrom(command: Command): Config {
  const root = rootOf(command);
  return loadConfig({ file: root.opts<{ config?: string }>().config });
}

/** Runs `work` with an open database and closes it afterwards, whatever happens. */
export async function withDatabase<T>(command: Command, work: (db: DataSource, config: Config) => Promise<T>): Promise<T> {
  const config = configFrom(command);
  const db = await openDatabase(config);
  try {
    return await work(db, config);
  } finally {
    await db.destroy();
  }
}

/** All of standard input as text, without the final newline (for --password-stdin and friends). */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${what}: `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function rootOf(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}
