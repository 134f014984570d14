import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { RfbClientError, ZlibStream } from '../../../../../../guacamole/protocols/vnc/rfb/index.js';
import { ZrleWriter } from '../../../../../helpers/rfb-fixtures.js';

function isZlibError(err: unknown): boolean {
  return err instanceof RfbClientError && err.detail === 'ZLIB_ERROR';
}

describe('ZlibStream', () => {
  let writer: ZrleWriter;
  beforeEach(() => {
    writer = new ZrleWriter();
  });
  afterEach(() => writer.close());

  it('inflates sync-flushed segments of one stream, each referring back to the ones before', async () => {
    const text = Buffer.from('the same line of text, again and again; '.repeat(40));
    const noise = randomBytes(3000);
    const parts = [text, noise, text, Buffer.concat([noise.subarray(100, 900), text.subarray(0, 77)]), Buffer.alloc(5, 7)];
    const segments: Buffer[] = [];
    for (const p of parts) segments.push(await writer.compress(p));
    // The third segment is mostly a back-reference: it must be far smaller than its text.
    assert.ok(segments[2]!.length < text.length / 10, `segment of ${segments[2]!.length} bytes`);
    const stream = new ZlibStream();
    parts.forEach((p, i) => assert.deepEqual(Buffer.from(stream.inflate(segments[i]!)), p, `segment ${i}`));
  });

  it('grows its output for a large segment, then keeps working with small ones', async () => {
    const big = randomBytes(3 * 1024 * 1024); // past the first buffer and past what is kept between segments
    const small = Buffer.from('small after big');
    const stream = new ZlibStream();
    assert.deepEqual(Buffer.from(stream.inflate(await writer.compress(big))), big);
    assert.deepEqual(Buffer.from(stream.inflate(await writer.compress(small))), small);
    assert.deepEqual(Buffer.from(stream.inflate(await writer.compress(big.subarray(0, 70_000)))), big.subarray(0, 70_000));
  });

  it('accepts a segment of exactly maxOutput bytes and refuses one byte more (a zip bomb)', async () => {
    const exact = Buffer.alloc(40_000, 1);
    assert.equal(new ZlibStream().inflate(await writer.compress(exact), 40_000).length, 40_000);
    assert.throws(() => new ZlibStream().inflate(deflateSync(Buffer.alloc(40_001, 1)), 40_000), isZlibError);
    const bomb = deflateSync(Buffer.alloc(64 << 20));
    assert.ok(bomb.length < 100_000);
    assert.throws(() => new ZlibStream().inflate(bomb, 1 << 20), isZlibError);
  });

  it('reports data that is not zlib, and data after the stream ended', () => {
    assert.throws(() => new ZlibStream().inflate(Buffer.from('not zlib at all')), isZlibError);
    const stream = new ZlibStream();
    assert.deepEqual(Buffer.from(stream.inflate(deflateSync(Buffer.from('done')))), Buffer.from('done'));
    assert.throws(() => stream.inflate(Buffer.from([1, 2, 3])), isZlibError);
  });

  it('takes the 2-byte zlib header split across segments, and refuses a bad one', async () => {
    const text = Buffer.from('header split across two segments');
    const whole = await writer.compress(text);
    const stream = new ZlibStream();
    assert.equal(stream.inflate(whole.subarray(0, 1)).length, 0);
    assert.deepEqual(Buffer.from(stream.inflate(whole.subarray(1))), text);
    const badCheck = Buffer.from(whole);
    badCheck[1]! ^= 1;
    assert.throws(() => new ZlibStream().inflate(badCheck), isZlibError);
    const presetDictionary = Buffer.from([0x78, 0xbb]); // FDICT set, check bits valid: 0x78bb % 31 === 0
    assert.equal((0x78 * 256 + 0xbb) % 31, 0);
    assert.throws(() => new ZlibStream().inflate(presetDictionary), isZlibError);
  });

  it('starts over after reset (Tight’s reset bits)', async () => {
    const stream = new ZlibStream();
    assert.deepEqual(Buffer.from(stream.inflate(await writer.compress(Buffer.from('first stream')))), Buffer.from('first stream'));
    stream.reset();
    assert.deepEqual(Buffer.from(stream.inflate(deflateSync(Buffer.from('second stream')))), Buffer.from('second stream'));
  });

  it('returns nothing for an empty segment', () => {
    assert.equal(new ZlibStream().inflate(new Uint8Array(0)).length, 0);
  });
});
