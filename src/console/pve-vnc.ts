/**
 * Opens a VM's console on Proxmox: `vncproxy` (websocket=1; PVE generates the one-time password) and then
 * `vncwebsocket` on the SAME node with the SAME identity (the cluster's API token) and the pinned CA
 * (proxmox-api.md §8). The ticket travels only in the vncwebsocket URL to PVE; the password only in the
 * returned Secret, for the bridge's handshake.
 */
import WebSocket, { createWebSocketStream } from 'ws';
import { Secret } from '../config/index.js';
import { PveAuthError, PveError, PveHttpError, PvePermissionError, PveUnreachableError, type PveClient } from '../pve/index.js';
import { ConsoleError } from './errors.js';
import type { VncUpstream } from './vnc-bridge.js';

/** PVE's vncwebsocket proxy sends at most 128 KiB per message. */
const MAX_PAYLOAD = 256 * 1024;

export interface PveVncTarget {
  pve: Pick<PveClient, 'vncProxy' | 'vncWebSocketUrl' | 'authHeaders'>;
  /** The cluster CA (PEM) to pin; null trusts the system store. */
  caPem: string | null;
  node: string;
  vmid: number;
  /** WebSocket upgrade deadline. Default 10 s. */
  timeoutMs?: number;
}

/** Maps a vncproxy failure to what the page can say. */
export function vncProxyError(err: unknown): ConsoleError {
  if (err instanceof ConsoleError) return err;
  if (err instanceof PveUnreachableError) return new ConsoleError('UPSTREAM_UNREACHABLE', `PVE ${err.reason}`);
  if (err instanceof PveAuthError || err instanceof PvePermissionError) return new ConsoleError('UPSTREAM_REFUSED', `PVE ${err.status}`);
  if (err instanceof PveHttpError) {
    if (/not running/i.test(err.message)) return new ConsoleError('VM_OFF', 'PVE: not running');
    if (/does not exist/i.test(err.message)) return new ConsoleError('VM_GONE', 'PVE: no such VM');
    return new ConsoleError('UPSTREAM_REFUSED', `PVE ${err.status}`);
  }
  if (err instanceof PveError) return new ConsoleError('UPSTREAM_REFUSED', err.code);
  return new ConsoleError('BRIDGE_FAILED', 'vncproxy failed');
}

/** vncproxy + vncwebsocket; resolves with the RFB byte stream and PVE's one-time password. */
export async function openPveVnc(target: PveVncTarget): Promise<VncUpstream> {
  let ticket;
  try {
    ticket = await target.pve.vncProxy(target.node, target.vmid);
  } catch (err) {
    throw vncProxyError(err);
  }
  // "<password>:PVEVNC:…" when PVE generated a password (always with websocket=1).
  const password = ticket.password ?? (ticket.ticket.includes(':PVEVNC:') ? ticket.ticket.slice(0, ticket.ticket.indexOf(':PVEVNC:')) : null);
  const url = target.pve.vncWebSocketUrl(target.node, target.vmid, ticket);
  const ws = new WebSocket(url, ['binary'], {
    headers: target.pve.authHeaders(),
    ...(target.caPem ? { ca: target.caPem } : {}),
    perMessageDeflate: false,
    handshakeTimeout: target.timeoutMs ?? 10_000,
    maxPayload: MAX_PAYLOAD,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new ConsoleError('UPSTREAM_REFUSED', `vncwebsocket ${res.statusCode ?? '?'}`));
    });
    ws.once('error', (err: NodeJS.ErrnoException) => {
      ws.terminate();
      reject(new ConsoleError('UPSTREAM_UNREACHABLE', `vncwebsocket ${err.code ?? 'error'}`));
    });
  });
  ws.on('error', () => undefined);
  const stream = createWebSocketStream(ws);
  return { stream, password: password === null ? undefined : new Secret(password) };
}
