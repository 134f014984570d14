import type { Route } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { sleep } from '../server.js';

/** POST /access/ticket (also renews a valid ticket sent as password) and GET /version. */
export const accessRoutes: Route[] = [
  {
    method: 'POST',
    template: '/access/ticket',
    auth: false,
    async handler({ sim, params }) {
      let username = str(params, 'username')!;
      const realm = str(params, 'realm');
      if (realm && !username.includes('@')) username = `${username}@${realm}`;
      const password = str(params, 'password') ?? '';
      const user = sim.state.users.get(username);
      const renewed = password.startsWith('PVE:') ? sim.signer.verifyTicket(password) : undefined;
      const ok = user?.enable && (renewed === username || (user.password !== undefined && password === user.password));
      if (!ok) {
        if (sim.authFailDelayMs > 0) await sleep(sim.authFailDelayMs);
        throw new PveError(401, 'authentication failure');
      }
      return { username, ticket: sim.signer.ticket(username), CSRFPreventionToken: sim.signer.csrf(username), clustername: sim.state.clusterName };
    },
  },
  {
    method: 'GET',
    template: '/version',
    handler: () => ({ version: '9.1.5', release: '9.1', repoid: 'pvesim00', console: 'html5' }),
  },
];
