import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { requireSecret } from '../config/index.js';
import { ClusterRepository, type DataSource } from '../db/index.js';
import type { Config } from '../config/index.js';
import { readStdin, withDatabase } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { printTable } from './table.js';

const TOKEN_ID = /^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function register(program: Command): void {
  const cluster = program.command('cluster').description('Proxmox VE clusters EarCandle reads');

  cluster
    .command('add')
    .description('register a cluster; the API token secret is read from standard input and stored encrypted')
    .argument('<name>', 'a short name for the cluster')
    .requiredOption('--url <url>', 'API origin, e.g. https://pve1.example:8006')
    .requiredOption('--token-id <id>', 'API token id, USER@REALM!TOKENID')
    .requiredOption('--token-secret-stdin', 'read the token secret (a UUID) from standard input')
    .option('--ca <file>', "PEM file of the cluster's CA (/etc/pve/pve-root-ca.pem) to pin")
    .option('--dhcp-subnet <cidr>', 'subnet whose addresses are reserved for the VMs (Kea)')
    .option('--kea-subnet-id <n>', "Kea's id of that subnet")
    .option('--guest-protocols <list>', 'ways into every guest at its address: ssh,rdp,vnc', '')
    .option('--owner-rule <rule>', 'how a VM finds its owner: pool | tag:<prefix> | none', 'pool')
    .action(async (name: string, opts: AddOptions, command: Command) => {
      const apiUrl = parseApiUrl(opts.url);
      if (!TOKEN_ID.test(opts.tokenId)) throw new CliError(`--token-id: "${opts.tokenId}" is not USER@REALM!TOKENID`, ExitCode.Usage);
      const caPem = opts.ca === undefined ? null : readCa(opts.ca);
      const guestProtocols = opts.guestProtocols.split(',').filter(Boolean);
      const bad = guestProtocols.find((p) => !['ssh', 'rdp', 'vnc'].includes(p));
      if (bad) throw new CliError(`--guest-protocols: unknown protocol "${bad}" (ssh, rdp, vnc)`, ExitCode.Usage);
      if (!/^(pool|none|tag:[a-z0-9_][a-z0-9_+.-]*)$/.test(opts.ownerRule)) {
        throw new CliError(`--owner-rule: "${opts.ownerRule}" is not pool, none or tag:<prefix>`, ExitCode.Usage);
      }
      const keaSubnetId = opts.keaSubnetId === undefined ? null : Number(opts.keaSubnetId);
      if (keaSubnetId !== null && !(Number.isInteger(keaSubnetId) && keaSubnetId > 0)) {
        throw new CliError('--kea-subnet-id: expected a positive integer', ExitCode.Usage);
      }
      if (opts.dhcpSubnet !== undefined && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(opts.dhcpSubnet)) {
        throw new CliError(`--dhcp-subnet: "${opts.dhcpSubnet}" is not an IPv4 CIDR`, ExitCode.Usage);
      }
      const tokenSecret = (await readStdin('token secret')).trim();
      if (!UUID.test(tokenSecret)) throw new CliError('the token secret must be the lower-case UUID PVE printed when the token was made', ExitCode.DataError);
      await withDatabase(command, async (db, config) => {
        const record = await clusters(db, config).add({
          name,
          apiUrl,
          tokenId: opts.tokenId,
          tokenSecret,
          caPem,
          dhcpSubnet: opts.dhcpSubnet ?? null,
          keaSubnetId,
          guestProtocols,
          ownerRule: opts.ownerRule,
        });
        console.log(`added cluster ${record.name} (${record.apiUrl})`);
      });
    });

  cluster
    .command('list')
    .description('list clusters and how their last sync went')
    .action(async (_opts: unknown, command: Command) => {
      await withDatabase(command, async (db, config) => {
        const rows = (await clusters(db, config).list()).map((c) => [
          c.name,
          c.apiUrl,
          c.tokenId,
          c.enabled ? 'enabled' : 'disabled',
          c.caPem ? 'pinned' : 'system',
          c.lastSyncOkAt ? c.lastSyncOkAt.toISOString() : 'never',
          c.lastSyncError ?? '',
        ]);
        printTable(['NAME', 'URL', 'TOKEN', 'STATE', 'CA', 'LAST GOOD SYNC', 'LAST ERROR'], rows);
      });
    });

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    cluster
      .command(verb)
      .description(`${verb} a cluster (a disabled cluster is neither synced nor used, and nothing of it is deleted)`)
      .argument('<name>')
      .action(async (name: string, _opts: unknown, command: Command) => {
        await withDatabase(command, async (db, config) => {
          await clusters(db, config).setEnabled(name, enabled);
          console.log(`${verb}d cluster ${name}`);
        });
      });
  }

  cluster
    .command('test')
    .description('connect to a cluster with its stored token and print the PVE version, or why it failed')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db, config) => {
        const credentials = await clusters(db, config).credentials(name);
        const { testCluster } = await import('./cluster-test.js');
        console.log(await testCluster(credentials));
      });
    });
}

interface AddOptions {
  url: string;
  tokenId: string;
  ca?: string;
  dhcpSubnet?: string;
  keaSubnetId?: string;
  guestProtocols: string;
  ownerRule: string;
}

function clusters(db: DataSource, config: Config): ClusterRepository {
  return new ClusterRepository(db, () => requireSecret(config, 'encryptionKey'));
}

function parseApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url: "${text}" is not a URL`, ExitCode.Usage);
  }
  if (url.protocol !== 'https:') throw new CliError('--url: the Proxmox API is only spoken over https', ExitCode.Usage);
  if (url.username || url.password) throw new CliError('--url: put no credentials in the URL', ExitCode.Usage);
  return url.origin;
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--ca: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, ExitCode.NoInput);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new CliError(`--ca: ${file} holds no PEM certificate`, ExitCode.DataError);
  }
  return pem;
}
