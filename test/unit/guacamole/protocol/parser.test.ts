import assert from 'node:assert/strict';
import { GuacParseError, GuacStatus, Parser, parseInstructions, type Instruction } from '../../../../guacamole/index.js';

/** Literal fixtures and what they parse to. */
const FIXTURES: readonly [string, Instruction][] = [
  ['4.size,1.0,4.1024,3.768;', { opcode: 'size', args: ['0', '1024', '768'] }],
  ['6.select,3.vnc;', { opcode: 'select', args: ['vnc'] }],
  ['5.video;', { opcode: 'video', args: [] }],
  ['0.,4.ping,13.1700000000000;', { opcode: '', args: ['ping', '1700000000000'] }],
  ['7.connect,13.VERSION_1_1_0,9.127.0.0.1,0.,4.5901;', { opcode: 'connect', args: ['VERSION_1_1_0', '127.0.0.1', '', '5901'] }],
  // Lengths count code points: é is 2 bytes, € 3 bytes, 😀 4 bytes (2 UTF-16 units) — one code point each.
  ['4.name,5.héllo;', { opcode: 'name', args: ['héllo'] }],
  ['9.clipboard,3.a€b;', { opcode: 'clipboard', args: ['a€b'] }],
  ['4.name,3.😀x😀;', { opcode: 'name', args: ['😀x😀'] }],
  ['3.key,5.a,b;c,1.1;', { opcode: 'key', args: ['a,b;c', '1'] }],
];

function feedSplit(bytes: Buffer, at: number): Instruction[] {
  const parser = new Parser();
  const out = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at))];
  assert.equal(parser.buffered, 0);
  return out;
}

function expectError(text: string | Buffer, code: string, status: GuacStatus): void {
  assert.throws(
    () => new Parser().push(text),
    (err: unknown) => err instanceof GuacParseError && err.code === code && err.status === status,
  );
}

describe('Parser', () => {
  describe('#push', () => {
    for (const [text, expected] of FIXTURES) {
      it(`parses ${JSON.stringify(text)} whole, split at every byte, and back to back`, () => {
        assert.deepEqual(new Parser().push(text), [expected]);
        const bytes = Buffer.from(text, 'utf8');
        for (let at = 0; at <= bytes.length; at++) assert.deepEqual(feedSplit(bytes, at), [expected], `split at ${at}`);
        const twice = Buffer.concat([bytes, bytes]);
        for (let at = 0; at <= twice.length; at++) assert.deepEqual(feedSplit(twice, at), [expected, expected], `double split at ${at}`);
      });
    }

    it('parses every fixture in one stream fed one byte at a time', () => {
      const stream = Buffer.from(FIXTURES.map(([t]) => t).join(''), 'utf8');
      const parser = new Parser();
      const out: Instruction[] = [];
      for (const byte of stream) out.push(...parser.push(Uint8Array.of(byte)));
      assert.deepEqual(out, FIXTURES.map(([, i]) => i));
    });

    it('keeps an unfinished tail and reports how much is buffered', () => {
      const parser = new Parser();
      assert.deepEqual(parser.push('4.size,1.0'), []);
      assert.equal(parser.buffered, 10);
      assert.deepEqual(parser.push(',1.1,1.2;3.nop;'), [
        { opcode: 'size', args: ['0', '1', '2'] },
        { opcode: 'nop', args: [] },
      ]);
    });

    it('accepts an instruction of exactly 8192 bytes and refuses 8193', () => {
      // '4.blob,1.1,' (11) + '8175.' (5) + 8175 + ';' (1) = 8192 bytes.
      const ok = `4.blob,1.1,8175.${'x'.repeat(8175)};`;
      assert.equal(Buffer.byteLength(ok), 8192);
      assert.equal(new Parser().push(ok).length, 1);
      expectError(`4.blob,1.1,8176.${'x'.repeat(8176)};`, 'GUAC_INSTRUCTION_TOO_LONG', GuacStatus.CLIENT_OVERRUN);
    });

    it('raises GUAC_INSTRUCTION_TOO_LONG for an unterminated stream past 8192 bytes', () => {
      const parser = new Parser();
      const element = `,1000.${'x'.repeat(1000)}`;
      parser.push(`4.blob${element.repeat(7)}`);
      assert.equal(parser.buffered, 6 + 7 * 1006);
      assert.throws(() => parser.push(element.repeat(2)), { code: 'GUAC_INSTRUCTION_TOO_LONG' });
      // The parser stays failed.
      assert.throws(() => parser.push('3.nop;'), { code: 'GUAC_INSTRUCTION_TOO_LONG' });
    });

    it('raises GUAC_INSTRUCTION_TOO_LONG at once for a declared length beyond the limit', () => {
      expectError('4.blob,1.1,10000.', 'GUAC_INSTRUCTION_TOO_LONG', GuacStatus.CLIENT_OVERRUN);
    });

    it('raises GUAC_LENGTH_TOO_LONG for more than 5 length digits', () => {
      expectError('000004.size;', 'GUAC_LENGTH_TOO_LONG', GuacStatus.CLIENT_OVERRUN);
    });

    it('raises GUAC_TOO_MANY_ELEMENTS beyond 128 elements', () => {
      assert.equal(new Parser().push(`3.arg${',1.x'.repeat(127)};`)[0]!.args.length, 127);
      expectError(`3.arg${',1.x'.repeat(128)};`, 'GUAC_TOO_MANY_ELEMENTS', GuacStatus.CLIENT_TOO_MANY);
    });

    it('raises GUAC_BAD_LENGTH for text that cannot begin an instruction', () => {
      expectError('hello;', 'GUAC_BAD_LENGTH', GuacStatus.CLIENT_BAD_REQUEST);
      expectError('3.nop; 3.nop;', 'GUAC_BAD_LENGTH', GuacStatus.CLIENT_BAD_REQUEST);
      expectError('.nop;', 'GUAC_BAD_LENGTH', GuacStatus.CLIENT_BAD_REQUEST);
    });

    it('raises GUAC_BAD_TERMINATOR when a value is longer than declared', () => {
      expectError('3.nopx;', 'GUAC_BAD_TERMINATOR', GuacStatus.CLIENT_BAD_REQUEST);
      // Counting UTF-16 units instead of code points ends here: 😀 is one code point.
      expectError('4.name,2.😀;3.nop;', 'GUAC_BAD_TERMINATOR', GuacStatus.CLIENT_BAD_REQUEST);
    });
  });

  describe('parseInstructions', () => {
    it('parses whole text and refuses an unfinished tail', () => {
      assert.deepEqual(parseInstructions('3.nop;3.nop;').length, 2);
      assert.throws(() => parseInstructions('3.nop;3.no'), { code: 'GUAC_INCOMPLETE' });
    });
  });

  describe('fuzzing', () => {
    /** mulberry32: a small seeded PRNG, so a failure can be replayed. */
    function prng(seed: number): () => number {
      return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    it('survives 100,000 random and mutated instructions: only its own errors, no hang', function () {
      this.timeout(60000);
      const random = prng(0xec6);
      const alphabet = ['a', '0', '9', '.', ',', ';', 'é', '€', '😀', ' ', '\n', '5', '1'];
      const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;
      const randomValue = (): string => Array.from({ length: Math.floor(random() * 12) }, () => pick(alphabet)).join('');
      const wellFormed = (): string =>
        Array.from({ length: 1 + Math.floor(random() * 6) }, randomValue)
          .map((v) => `${Array.from(v).length}.${v}`)
          .join(',') + ';';
      let parsed = 0;
      let refused = 0;
      const started = Date.now();
      for (let n = 0; n < 100000; n++) {
        let bytes = Buffer.from(wellFormed(), 'utf8');
        const mode = random();
        if (mode < 0.3) {
          // Mutate a few bytes.
          bytes = Buffer.from(bytes);
          for (let k = 0; k < 1 + random() * 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        } else if (mode < 0.4) {
          bytes = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
        } else if (mode < 0.45) {
          bytes = Buffer.concat([bytes, Buffer.from(`5.${'9'.repeat(random() < 0.5 ? 5 : 6)}`)]);
        }
        const parser = new Parser();
        try {
          const cut = Math.floor(random() * (bytes.length + 1));
          parser.push(bytes.subarray(0, cut));
          parsed += parser.push(bytes.subarray(cut)).length;
        } catch (err) {
          if (!(err instanceof GuacParseError)) throw err;
          assert.ok(typeof err.code === 'string' && err.status >= 0x300);
          refused++;
        }
      }
      assert.ok(parsed > 50000 && refused > 10000, `parsed ${parsed}, refused ${refused}`);
      assert.ok(Date.now() - started < 50000);
    });
  });
});
