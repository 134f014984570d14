/**
 * Turns an admitted console request into the connection settings guacd receives. For the PVE console that
 * means opening a VNC bridge (vncproxy + vncwebsocket, PVE's password answered inside the bridge) and pointing
 * guacd at its loopback endpoint; for ssh/rdp/vnc at the guest, the stored parameters of the connection with
 * the VM's current address, the guest credentials from the token (username, password / private-key) and, for
 * ssh, the host key recorded on first use (`host-key`), or a first-use expectation (host-key-trust.ts).
 * Nothing here reaches the browser.
 */
import type { Admission } from './admission.js';
import { ConsoleError } from './errors.js';
import { credentialSettings } from './guest-credentials.js';
import type { HostKeyTrust } from './host-key-trust.js';
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
  /** SSH host keys, first use (absent: guacd decides on its own). */
  hostKeys?: Pick<HostKeyTrust, 'prepare'>;
  /** The browser's address, for the first-use audit row. */
  remoteHost?: string | null;
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
  if (!hostname) throw new ConsoleError('NO_ADDRESS');
  const settings: Record<string, string> = { ...params, hostname };
  // Credentials come only from the token: a stored username or password on the connection is not used.
  delete settings.password;
  delete settings['private-key'];
  delete settings.passphrase;
  const creds = admission.claims.credentials;
  if (creds) Object.assign(settings, credentialSettings(creds));
  let release = (): void => undefined;
  if (admission.claims.kind === 'ssh' && deps.hostKeys && !settings['host-key']) {
    const port = Number(settings.port || 22);
    const hk = await deps.hostKeys.prepare({
      vmId: admission.vm.id,
      vmName: admission.vm.name,
      hostname,
      port,
      entityId: admission.user.entityId,
      username: admission.user.username,
      remoteHost: deps.remoteHost ?? null,
    });
    if (hk.recorded) settings['host-key'] = hk.recorded.key;
    release = hk.release;
  }
  return { settings, bridge: undefined, close: release };
}
