import { generate } from 'selfsigned';

/** The simulator's TLS material: a self-signed CA (clients pin it) and a server certificate it signed. */
export interface SimTls {
  readonly caPem: string;
  readonly key: string;
  readonly cert: string;
}

/** Generates a fresh CA and a 127.0.0.1/localhost server certificate (EC P-256, SHA-256). */
export async function generateTls(): Promise<SimTls> {
  const now = new Date(Date.now() - 60_000);
  const until = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Proxmox Virtual Environment (pvesim)' }, { name: 'organizationName', value: 'PVE Cluster Manager CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: until,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'pve1.pvesim' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: until,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { caPem: ca.cert, key: server.private, cert: server.cert };
}
