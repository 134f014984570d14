import type { Route } from '../context.js';
import { PveError } from '../errors.js';
import { guestOf, requirePriv } from '../guards.js';
import { vmMacs } from '../state.js';

/** GET agent/network-get-interfaces: the QGA answer built from the VM's MACs and scenario IPs. */
export const agentRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
    handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.GuestAgent.Audit', 'VM.GuestAgent.Unrestricted']);
      if (!vm.config.agent || !/^(enabled=)?1/.test(vm.config.agent)) throw new PveError(500, 'No QEMU guest agent configured');
      if (vm.status !== 'running') throw new PveError(500, `VM ${vm.vmid} is not running`);
      if (!vm.agentRunning || vm.qmpstatus === 'paused') throw new PveError(500, 'QEMU guest agent is not running');
      const stats = { 'rx-bytes': 0, 'rx-dropped': 0, 'rx-errs': 0, 'rx-packets': 0, 'tx-bytes': 0, 'tx-dropped': 0, 'tx-errs': 0, 'tx-packets': 0 };
      const result: Record<string, unknown>[] = [
        { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }, { 'ip-address-type': 'ipv6', 'ip-address': '::1', prefix: 128 }], statistics: stats },
      ];
      vmMacs(vm.config).forEach(({ mac }, i) => {
        const addrs: Record<string, unknown>[] = [];
        const ip = vm.ips[i];
        if (ip) addrs.push({ 'ip-address-type': ip.includes(':') ? 'ipv6' : 'ipv4', 'ip-address': ip, prefix: ip.includes(':') ? 64 : 24 });
        const m = mac.toLowerCase().split(':');
        addrs.push({ 'ip-address-type': 'ipv6', 'ip-address': `fe80::${m[0]}${m[1]}:${m[2]}ff:fe${m[3]}:${m[4]}${m[5]}`, prefix: 64 });
        result.push({ name: `eth${i}`, 'hardware-address': mac.toLowerCase(), 'ip-addresses': addrs, statistics: stats });
      });
      return { result };
    },
  },
];
