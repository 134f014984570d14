/**
 * Prints RFB decoding throughput: Raw and ZRLE (a synthetic desktop-like 1280x720 frame), in MB/s of
 * RGBA output. Run: node --import tsx bench/rfb-decode.ts
 */
import { constants, createDeflate } from 'node:zlib';
import { Parser, RGB888 } from '../guacamole/protocols/vnc/rfb/index.js';

const W = 1280, H = 720;

function header(count: number): Buffer {
  return Buffer.from([0, 0, count >> 8, count & 0xff]);
}
function rect(x: number, y: number, w: number, h: number, enc: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(x, 0); b.writeUInt16BE(y, 2); b.writeUInt16BE(w, 4); b.writeUInt16BE(h, 6); b.writeInt32BE(enc, 8);
  return b;
}

/** A desktop-ish picture: flat background, some gradients, some "text" stripes. */
function pixelAt(x: number, y: number): [number, number, number] {
  if (y < 40) return [40, 40, 60];
  if (x > 900) return [(x * 3) & 255, (y * 5) & 255, 128];
  return ((x >> 2) + (y >> 3)) % 7 === 0 ? [0, 0, 0] : [230, 230, 230];
}

async function zrleFrame(): Promise<Buffer> {
  const tiles: Buffer[] = [];
  for (let ty = 0; ty < H; ty += 64) {
    for (let tx = 0; tx < W; tx += 64) {
      const tw = Math.min(64, W - tx), th = Math.min(64, H - ty);
      const px: number[] = [];
      const colours = new Map<string, number>();
      for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
        const c = pixelAt(tx + x, ty + y);
        const k = c.join();
        if (!colours.has(k)) colours.set(k, colours.size);
        px.push(colours.get(k)!);
      }
      const palette = [...colours.keys()].map((k) => k.split(',').map(Number));
      const cpx = (c: number[]): number[] => [c[2]!, c[1]!, c[0]!];
      if (palette.length === 1) tiles.push(Buffer.from([1, ...cpx(palette[0]!)]));
      else if (palette.length <= 16) {
        const bits = palette.length === 2 ? 1 : palette.length <= 4 ? 2 : 4;
        const rowBytes = Math.ceil((tw * bits) / 8);
        const packed = Buffer.alloc(rowBytes * th);
        px.forEach((v, i) => {
          const x = i % tw, y = Math.floor(i / tw), bit = x * bits;
          packed[y * rowBytes + (bit >> 3)]! |= v << (8 - bits - (bit & 7));
        });
        tiles.push(Buffer.concat([Buffer.from([palette.length, ...palette.flatMap(cpx)]), packed]));
      } else {
        tiles.push(Buffer.from([0, ...px.flatMap((v) => cpx(palette[v]!))]));
      }
    }
  }
  const d = createDeflate();
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  d.write(Buffer.concat(tiles));
  await new Promise<void>((r) => d.flush(constants.Z_SYNC_FLUSH, () => r()));
  d.close();
  const data = Buffer.concat(out);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([header(1), rect(0, 0, W, H, 16), len, data]);
}

function rawFrame(): Buffer {
  const px = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const [r, g, b] = pixelAt(x, y);
    px.set([b, g, r, 0], (y * W + x) * 4);
  }
  return Buffer.concat([header(1), rect(0, 0, W, H, 0), px]);
}

function run(name: string, frames: Buffer[]): void {
  const parser = new Parser({ pixelFormat: RGB888, width: W, height: H });
  for (const f of frames.slice(0, 1)) parser.push(f); // warm up (and, for ZRLE, start the stream)
  const start = process.hrtime.bigint();
  let n = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    for (const f of frames.slice(1)) {
      parser.push(f);
      n++;
    }
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const mb = (n * W * H * 4) / 1e6;
  const wire = frames.slice(1).reduce((a, f) => a + f.length, 0) / frames.slice(1).length;
  console.log(`${name.padEnd(5)} ${(mb / secs).toFixed(0).padStart(6)} MB/s RGBA out, ${(n / secs).toFixed(1)} frames/s of ${W}x${H}, ${(wire / 1024).toFixed(0)} KiB per frame on the wire`);
}

const raw = rawFrame();
run('raw', [raw, raw]);
// ZRLE frames must continue one zlib stream, so build a fresh stream per parser: each frame is a stream start.
// To measure steady state, decode the same first frame with a new parser each time.
const z = await zrleFrame();
{
  const start = process.hrtime.bigint();
  let n = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    new Parser({ pixelFormat: RGB888, width: W, height: H }).push(z);
    n++;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`zrle  ${((n * W * H * 4) / 1e6 / secs).toFixed(0).padStart(6)} MB/s RGBA out, ${(n / secs).toFixed(1)} frames/s of ${W}x${H}, ${(z.length / 1024).toFixed(0)} KiB per frame on the wire`);
}
