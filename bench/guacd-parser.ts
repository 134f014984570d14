/**
 * Guacamole parser throughput: a realistic inbound mix (mouse, key, sync, nop, a clipboard blob) and
 * an image-heavy outbound mix (img + 8 kB blobs), fed in 64 kB chunks. Prints instructions/s and MB/s.
 *   npx tsx bench/guacd-parser.ts
 */
import { performance } from 'node:perf_hooks';
import { encode, Parser } from '../guacamole/index.js';

function stream(unit: string, bytes: number): Buffer {
  const one = Buffer.from(unit, 'utf8');
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / one.length) }, () => one));
}

const inbound =
  '5.mouse,3.512,3.384,1.0;3.key,5.65307,1.1;3.key,5.65307,1.0;4.sync,13.1700000000123;3.nop;' +
  `4.blob,1.2,${'QUJD'.repeat(40).length}.${'QUJD'.repeat(40)};`;
const outbound = encode.img(1, 0xe, 0, 'image/png', 0, 0) + encode.blob(1, 'A'.repeat(8064)) + encode.end(1) + encode.sync(1700000000123);

for (const [name, unit] of [
  ['inbound mix', inbound],
  ['image blobs', outbound],
] as const) {
  const data = stream(unit, 64 * 1024 * 1024);
  const parser = new Parser();
  let instructions = 0;
  const t0 = performance.now();
  for (let offset = 0; offset < data.length; offset += 65536) instructions += parser.push(data.subarray(offset, offset + 65536)).length;
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${name.padEnd(12)} ${(instructions / seconds / 1e6).toFixed(2)} M instructions/s  ${(data.length / seconds / 1048576).toFixed(1)} MB/s  (${instructions} instructions, ${(data.length / 1048576).toFixed(0)} MB)`,
  );
}
