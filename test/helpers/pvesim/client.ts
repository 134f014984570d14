import proxmoxApi from 'proxmox-api';
import { Agent, fetch as undiciFetch } from 'undici';

/** The fetch production code will pass to proxmox-api: undici with the simulator's CA pinned. */
export function pinnedFetch(caPem: string): typeof undiciFetch {
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher })) as typeof undiciFetch;
}

export interface SimLike {
  readonly port: number;
  readonly caPem: string;
}

/** A proxmox-api client authenticating with an API token. */
export function tokenClient(sim: SimLike, tokenID: string, tokenSecret: string) {
  return proxmoxApi({ host: '127.0.0.1', port: sim.port, tokenID, tokenSecret, fetch: pinnedFetch(sim.caPem) as never });
}

/** A proxmox-api client authenticating with a ticket (username + password). */
export function passwordClient(sim: SimLike, username: string, password: string) {
  return proxmoxApi({ host: '127.0.0.1', port: sim.port, username, password, fetch: pinnedFetch(sim.caPem) as never });
}

export type Px = ReturnType<typeof tokenClient>;

/** Polls a task until it stops; returns its final status. */
export async function waitTask(px: Px, upid: string): Promise<{ status: string; exitstatus?: string }> {
  const node = upid.split(':')[1]!;
  for (;;) {
    const st = (await px.nodes.$(node).tasks.$(upid).status.$get()) as { status: string; exitstatus?: string };
    if (st.status === 'stopped') return st;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Raw HTTPS request to the simulator (for what proxmox-api cannot express: missing CSRF, huge bodies). */
export async function raw(sim: SimLike, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const res = await pinnedFetch(sim.caPem)(`https://127.0.0.1:${sim.port}/api2/json${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, contentType: res.headers.get('content-type'), text };
}
