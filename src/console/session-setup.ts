/**
 * Turns an admitted console request into the connection settings guacd receives. For the PVE console that
 * means opening a VNC bridge (vncproxy + vncwebsocket, PVE's password answered inside the bridge) and pointing
 * guacd at its loopback endpoint; for ssh/rdp/vnc at the guest, the stored parameters of the connection with
 * the VM's current address. Nothing here reaches the browser.
 */
import type { Admission } from './admission.js';
import { ConsoleError } from './errors.js';
import type { VncUpstream } from './vnc-bridge.js';
import { VncBridge } from './vnc-bridge.js';

export interface PreparedSession {
  /** guacd parameters (wire names), merged over guacamole-lite's per-protocol defaults. */
  settings: Record<string, string | string[]>;
  bridge: VncBridge | undefined;
  close(): void;
}

export interface SetupDeps {
  /** Opens the PVE console stream of a VM (vncproxy + vncwebsocket). */
  openUpstream: (admission: Admission) => Promise<VncUpstream>;
  /** Stored parameters of a guest connection. */
  parameters: (connectionId: number) => Promise<Record<string, string>>;
  acceptTimeoutMs?: number;
}

export async function prepareSession(deps: SetupDeps, admission: Admission): Promise<PreparedSession> {
  if (admission.claims.kind === 'console') {
    const bridge = await VncBridge.open({ open: () => deps.openUpstream(admission), ...(deps.acceptTimeoutMs ? { acceptTimeoutMs: deps.acceptTimeoutMs } : {}) });
    const ep = bridge.endpoint;
    return {
      settings: {
        hostname: ep.host,
        port: String(ep.port),
        password: ep.password ?? '',
        // PVE consoles have no audio; QEMU's clipboard text is Latin-1 (the RFB default).
        audio: [],
      },
      bridge,
      close: () => bridge.close(),
    };
  }
  const params = await deps.parameters(admission.connection.connectionId);
  const hostname = params.hostname || admission.vm.ipv4;
  if (!hostname) throw new ConsoleError('NO_CONNECTION', 'the guest has no known address');
  return { settings: { ...params, hostname }, bridge: undefined, close: () => undefined };
}
