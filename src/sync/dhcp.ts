import type { ChangeSet, DbReservation, VmRef } from './types.js';

/** Pure IPv4 arithmetic and address allocation for DHCP reservations. */

export class SubnetError extends Error {
  override readonly name = 'SubnetError';
  readonly code = 'SYNC_SUBNET';
}

export interface Subnet {
  network: number;
  prefix: number;
  broadcast: number;
}

export function ipv4ToInt(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new SubnetError(`not an IPv4 address: ${text}`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.1.0.0/24` → its network and broadcast; prefix 8..30 (smaller subnets leave no room for VMs). */
export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new SubnetError(`DHCP subnet ${JSON.stringify(cidr)}: expected a.b.c.d/prefix`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) throw new SubnetError(`DHCP subnet ${cidr}: prefix must be 8..30`);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipv4ToInt(m[1] as string) / size) * size;
  return { network, prefix, broadcast: network + size - 1 };
}

/**
 * Hands out the lowest free addresses of a subnet: never the network, the broadcast, or the first host
 * (the gateway). `taken` holds addresses already reserved.
 */
export class AddressAllocator {
  #next: number;

  constructor(
    readonly subnet: Subnet,
    private readonly taken: Set<number>,
  ) {
    this.#next = subnet.network + 2;
  }

  /** The lowest free address, or null when the subnet is full. */
  allocate(): number | null {
    while (this.#next < this.subnet.broadcast) {
      const candidate = this.#next++;
      if (!this.taken.has(candidate)) {
        this.taken.add(candidate);
        return candidate;
      }
    }
    return null;
  }

  contains(ipv4: number): boolean {
    return ipv4 >= this.subnet.network + 2 && ipv4 < this.subnet.broadcast;
  }
}

/** A DHCP host name from a VM name: letters, digits and hyphens, at most 63 characters. */
export function dhcpHostname(name: string, vmid: number): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return h || `vm-${vmid}`;
}

export interface ReservationVm {
  ref: VmRef;
  /** The row id when the VM exists already. */
  id: number | null;
  vmid: number;
  name: string;
  macs: readonly string[];
}

/**
 * Plans reservations for the VMs seen this time (sorted by vmid for a stable order): a MAC keeps its address
 * for as long as its reservation lives; a new MAC gets the lowest free one. Returns the address per MAC.
 * `releasable` are reservations whose VM has been gone longer than the DHCP grace period.
 */
export function planReservations(
  subnet: Subnet,
  existing: readonly DbReservation[],
  vms: readonly ReservationVm[],
  releasable: (r: DbReservation) => boolean,
  out: Pick<ChangeSet, 'reservationInserts' | 'reservationUpdates' | 'reservationReleases'>,
): Map<string, number> {
  const byMac = new Map(existing.map((r) => [r.mac, r]));
  const allocator = new AddressAllocator(subnet, new Set(existing.map((r) => r.ipv4)));
  const address = new Map<string, number>();
  const claimed = new Set<string>();
  for (const vm of [...vms].sort((a, b) => a.vmid - b.vmid)) {
    const hostname = dhcpHostname(vm.name, vm.vmid);
    for (const mac of vm.macs) {
      if (claimed.has(mac)) continue;
      claimed.add(mac);
      const have = byMac.get(mac);
      if (have) {
        address.set(mac, have.ipv4);
        if (have.vmId !== vm.id || have.hostname !== hostname) out.reservationUpdates.push({ id: have.id, mac, ipv4: have.ipv4, vm: vm.ref, hostname });
        continue;
      }
      const ipv4 = allocator.allocate();
      if (ipv4 === null) continue; // subnet full: the VM gets no reservation until one is released
      address.set(mac, ipv4);
      out.reservationInserts.push({ vm: vm.ref, mac, ipv4, hostname });
    }
  }
  for (const r of existing) {
    if (!claimed.has(r.mac) && releasable(r)) out.reservationReleases.push({ id: r.id, mac: r.mac, ipv4: r.ipv4 });
  }
  return address;
}
