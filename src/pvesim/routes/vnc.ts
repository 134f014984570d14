import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { hasAny } from '../acl.js';
import { authenticate, generateVncPassword } from '../auth.js';
import type { Route, SimContext } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { guestOf, requirePriv } from '../guards.js';
import { sleep, type UpgradeHandler } from '../server.js';
import { VNC_PASSWORD_VALID_S, VncSessionState } from '../vnc-sessions.js';

/** POST vncproxy and the non-upgrade GET of vncwebsocket. */
export const vncRoutes: Route[] = [
  {
    method: 'POST',
    template: '/nodes/{node}/qemu/{vmid}/vncproxy',
    async handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Console']);
      if (vm.status !== 'running') throw new PveError(500, `VM ${vm.vmid} not running`);
      const node = str(req.params, 'node')!;
      const port = req.sim.vnc.allocatePort(node);
      if (port === undefined) throw new PveError(500, 'unable to find free port (5900-5999)');
      const password = generateVncPassword();
      const target = await req.sim.runtime.for(vm).console(vm, password, VNC_PASSWORD_VALID_S);
      const ticket = `${password}:${req.sim.signer.vncTicket(req.who.authid, `/vms/${vm.vmid}`, port)}`;
      let finish!: (error?: string) => void;
      const ended = new Promise<string | undefined>((resolve) => (finish = resolve));
      const task = req.sim.tasks.start(node, 'vncproxy', String(vm.vmid), req.who.authid, async (log) => {
        log(`listening on port ${port}`);
        const error = await ended;
        if (error) throw new Error(error);
      });
      req.sim.vnc.add({ node, port, vmid: vm.vmid, authid: req.who.authid, target, finish });
      return { user: req.who.authid, ticket, port, upid: task.upid, cert: req.sim.caPem, password };
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/qemu/{vmid}/vncwebsocket',
    handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Console']);
      return { port: str(req.params, 'port') };
    },
  },
];

const WS_PATH = /^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/vncwebsocket\/?$/;

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The WebSocket upgrade of vncwebsocket: identity, VM.Console, ticket, port and node all checked. */
export function vncUpgradeHandler(sim: SimContext): UpgradeHandler {
  return (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://pvesim.invalid');
      const m = WS_PATH.exec(url.pathname);
      if (!m) return refuse(socket, 501, 'Not Implemented');
      const node = decodeURIComponent(m[1]!);
      const vmid = Number(m[2]);
      let who;
      try {
        who = authenticate(sim.state, sim.signer, req.headers, 'GET');
      } catch {
        if (sim.authFailDelayMs > 0) await sleep(sim.authFailDelayMs);
        return refuse(socket, 401, 'Authentication failed!');
      }
      const vm = sim.state.vms.get(vmid);
      if (!vm || vm.node !== node) return refuse(socket, 500, 'Configuration file does not exist');
      if (!hasAny(sim.state, who, `/vms/${vmid}`, ['VM.Console'])) return refuse(socket, 403, `Permission check failed`);
      const port = Number(url.searchParams.get('port'));
      const ticket = url.searchParams.get('vncticket') ?? '';
      const session = sim.vnc.get(node, port);
      const valid =
        session !== undefined &&
        session.state === VncSessionState.Waiting &&
        session.vmid === vmid &&
        session.authid === who.authid &&
        sim.signer.verifyVncTicket(ticket, who.authid, `/vms/${vmid}`, port);
      if (!valid) return refuse(socket, 401, 'Permission denied - invalid vnc ticket');
      sim.vnc.relay(session, req, socket, head);
    })();
  };
}
