import assert from 'node:assert/strict';
import { AddressAllocator, dhcpHostname, intToIpv4, ipv4ToInt, parseSubnet } from '../../../src/sync/dhcp.js';

describe('dhcp', () => {
  it('skips network, gateway and broadcast and hands out the lowest free address', () => {
    const s = parseSubnet('10.1.2.77/29');
    assert.equal(intToIpv4(s.network), '10.1.2.72');
    const a = new AddressAllocator(s, new Set([ipv4ToInt('10.1.2.75')]));
    const got: string[] = [];
    for (let ip = a.allocate(); ip !== null; ip = a.allocate()) got.push(intToIpv4(ip));
    assert.deepEqual(got, ['10.1.2.74', '10.1.2.76', '10.1.2.77', '10.1.2.78']);
  });

  it('refuses bad subnets and makes host names DHCP can carry', () => {
    assert.throws(() => parseSubnet('10.0.0.0/31'), /prefix must be 8\.\.30/);
    assert.throws(() => parseSubnet('10.0.0/24'), /expected a\.b\.c\.d\/prefix/);
    assert.equal(dhcpHostname('Web_01.lab', 100), 'web-01-lab');
    assert.equal(dhcpHostname('***', 101), 'vm-101');
  });
});
