import { z } from 'zod';
import { ROLES } from './acl.js';
import { faultsSchema } from './faults.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nodeName = z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/);
const userid = z.string().regex(/^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]+$/, 'user@realm');
const tokenid = z.string().regex(/^[^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/, 'user@realm!tokenid');

export const scenarioVmSchema = z
  .object({
    vmid: z.number().int().min(100).max(999_999_999),
    node: nodeName,
    name: z.string().min(1).max(63).optional(),
    type: z.enum(['qemu', 'lxc']).default('qemu'),
    status: z.enum(['running', 'stopped', 'paused']).default('stopped'),
    template: z.boolean().default(false),
    pool: z.string().optional(),
    tags: z.array(z.string().regex(/^[a-z0-9_][a-z0-9_\-+.]*$/i)).optional(),
    memory: z.number().int().min(16).default(2048),
    cores: z.number().int().min(1).max(128).default(2),
    acpi: z.enum(['honour', 'ignore']).default('honour'),
    agent: z.boolean().default(true),
    agentRunning: z.boolean().default(true),
    ips: z.array(z.string()).default([]),
    macs: z.array(z.string().regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/)).optional(),
    description: z.string().max(8192).optional(),
    onboot: z.boolean().optional(),
    backend: z.enum(['qemu', 'sim']).optional(),
  })
  .strict();

/** A scenario file: the cluster's nodes, guests, users, tokens, pools, ACLs and faults. */
export const scenarioSchema = z
  .object({
    clusterName: z.string().min(1).max(64).optional(),
    nodes: z.union([z.number().int().min(1).max(64), z.array(z.object({ name: nodeName, online: z.boolean().default(true) }).strict()).min(1)]).optional(),
    storages: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i),
            type: z.string().default('dir'),
            content: z.array(z.string()).default(['images']),
            shared: z.boolean().default(false),
            isos: z.array(z.string().regex(/^[^/\s]+\.iso$/)).default([]),
          })
          .strict(),
      )
      .optional(),
    vms: z.union([z.number().int().min(0).max(100_000), z.array(scenarioVmSchema)]).optional(),
    users: z.array(z.object({ userid, password: z.string().optional(), enable: z.boolean().default(true) }).strict()).default([]),
    tokens: z.array(z.object({ tokenid, secret: z.string().regex(uuid, 'lower-case UUID'), privsep: z.boolean().default(true) }).strict()).default([]),
    pools: z.array(z.object({ poolid: z.string().regex(/^[A-Za-z0-9\-_.]+$/), comment: z.string().default('') }).strict()).default([]),
    acls: z
      .array(
        z
          .object({
            path: z.string().regex(/^\/([a-zA-Z0-9\-_.]+(\/[a-zA-Z0-9\-_.]+)*)?$/),
            ugid: z.string().min(3),
            role: z.string().refine((r) => r in ROLES, 'unknown role'),
            propagate: z.boolean().default(true),
          })
          .strict(),
      )
      .default([]),
    faults: faultsSchema.optional(),
  })
  .strict();

export type Scenario = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;
export type ScenarioVm = z.output<typeof scenarioVmSchema>;

/** Parses a scenario, naming every bad field in one message. */
export function parseScenario(input: unknown): ParsedScenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success) throw new Error(`invalid scenario: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** `USER@REALM!ID=UUID` from the command line. */
export function parseTokenSpec(spec: string): { tokenid: string; secret: string } {
  const m = /^([^\s:/@!]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+)=(.+)$/.exec(spec);
  if (!m || !uuid.test(m[2]!)) throw new Error(`invalid token '${spec.replace(/=.*/, '=…')}': expected USER@REALM!ID=<lower-case UUID>`);
  return { tokenid: m[1]!, secret: m[2]! };
}
