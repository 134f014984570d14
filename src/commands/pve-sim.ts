import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { untilSignal } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { parseScenario, startPveSim, type Scenario } from '../pvesim/index.js';

interface PveSimFlags {
  port: string;
  nodes?: string;
  vms?: string;
  qemu?: boolean;
  password?: string;
  token: string[];
  scenario?: string;
  caOut?: string;
  authFailDelay?: string;
}

function intArg(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`, ExitCode.Usage);
  return Number(value);
}

function readScenario(file: string): Scenario {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read scenario ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.NoInput);
  }
  try {
    return parseScenario(JSON.parse(raw));
  } catch (err) {
    throw new CliError(`${file}: ${err instanceof Error ? err.message : 'invalid scenario'}`, ExitCode.DataError);
  }
}

/** `earcandle pve-sim`: runs the Proxmox VE API simulator until SIGINT/SIGTERM. */
export function register(program: Command): void {
  program
    .command('pve-sim')
    .description('run the Proxmox VE API simulator (HTTPS on 127.0.0.1)')
    .requiredOption('--port <port>', 'TCP port (0 = any free port)')
    .option('--nodes <n>', 'number of nodes pve1..pveN (default 2)')
    .option('--vms <m>', 'number of VMs from id 100 (default 4)')
    .addOption(new Option('--qemu', 'run started VMs as real QEMU processes (default when installed)'))
    .addOption(new Option('--no-qemu', 'simulate every VM in-process'))
    .option('--password <pw>', "root@pam's password (generated and printed if absent)")
    .option('--token <spec>', "API token 'USER@REALM!ID=UUID' (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--scenario <file>', 'JSON scenario: nodes, VMs, users, tokens, pools, ACLs, faults')
    .option('--ca-out <file>', 'write the CA certificate (PEM) to this file')
    .option('--auth-fail-delay <ms>', 'delay before each 401 (default 3000 like PVE)')
    .action(async (flags: PveSimFlags) => {
      const port = intArg('port', flags.port, 0, 65535)!;
      const nodes = intArg('nodes', flags.nodes, 1, 64);
      const vms = intArg('vms', flags.vms, 0, 100_000);
      const authFailDelayMs = intArg('auth-fail-delay', flags.authFailDelay, 0, 60_000);
      const scenario = flags.scenario ? readScenario(flags.scenario) : undefined;
      let sim;
      try {
        sim = await startPveSim({ port, nodes, vms, qemu: flags.qemu, password: flags.password, tokens: flags.token, scenario, authFailDelayMs });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new CliError(`port ${port} on 127.0.0.1 is already in use`, ExitCode.Unavailable);
        throw new CliError(err instanceof Error ? err.message.split('\n')[0]! : 'pve-sim failed to start', ExitCode.Usage);
      }
      const caPath = path.resolve(flags.caOut ?? path.join(tmpdir(), `pvesim-ca-${sim.port}.pem`));
      writeFileSync(caPath, sim.caPem);
      process.stdout.write(`pve-sim listening on ${sim.url}\nCA certificate: ${caPath}\n`);
      if (flags.password === undefined) process.stdout.write(`root@pam password: ${sim.rootPassword}\n`);
      await untilSignal(() => sim.stop());
    });
}
