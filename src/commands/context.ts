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

/** Resolves once the first SIGINT or SIGTERM has been handled by `stop` (a long-running command's last step). */
export function untilSignal(stop: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    // Ctrl-C reaches a whole process group, and wrappers (npm, the demo's bootstrap) forward it again: a second
    // SIGINT/SIGTERM must not kill the process half-way through stopping what it started.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      void stop(signal)
        .catch((err: unknown) => void process.stderr.write(`earcandle: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`))
        .then(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * A secret from standard input, without the final newline (for --password-stdin and friends): all of a pipe, or
 * one line typed at a terminal with echo off.
 */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) return readHiddenLine(what);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function readHiddenLine(what: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(`${what}: `);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function rootOf(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}
