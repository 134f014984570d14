import type { Identity } from './acl.js';
import type { TicketSigner } from './auth.js';
import type { Faults } from './faults.js';
import type { ClusterState } from './state.js';
import type { TaskRegistry } from './tasks.js';
import type { VmRuntime } from './vm-runtime.js';
import type { VncSessions } from './vnc-sessions.js';

/** Everything a route handler may use; built once by index.ts. */
export interface SimContext {
  readonly state: ClusterState;
  readonly tasks: TaskRegistry;
  readonly signer: TicketSigner;
  readonly faults: Faults;
  readonly runtime: VmRuntime;
  readonly vnc: VncSessions;
  readonly caPem: string;
  readonly authFailDelayMs: number;
  /** Backend for VMs created through the API. */
  readonly defaultBackend: 'qemu' | 'sim';
}

export type Params = Record<string, string | string[]>;

/** One request as a handler sees it: validated parameters (path variables included) and the caller. */
export interface RouteRequest {
  readonly sim: SimContext;
  readonly who: Identity;
  readonly params: Params;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: Method;
  /** Path template as in pve-api-schema.json, e.g. `/nodes/{node}/qemu/{vmid}/config`. */
  readonly template: string;
  /** false for the unauthenticated endpoints (`POST /access/ticket`). */
  readonly auth?: boolean;
  /** Skip schema validation (simulator admin endpoints, not in the PVE schema). */
  readonly unchecked?: boolean;
  handler(req: RouteRequest): unknown;
}

/** A single parameter as a string (first of repeated values). */
export function str(params: Params, key: string): string | undefined {
  const v = params[key];
  return Array.isArray(v) ? v[0] : v;
}
