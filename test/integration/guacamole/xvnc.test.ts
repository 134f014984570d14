/**
 * The daemon against a real VNC server, TigerVNC's Xvnc: what reaches the X display (pointer position, button
 * and key events, the CLIPBOARD selection) and what comes back (ServerCutText as a Guacamole clipboard stream),
 * for every `clipboard-encoding`. RFB cut text is ISO 8859-1 (RFC 6143 §7.5.6), and Xvnc reads and writes it so
 * (it would use UTF-8 only with the Extended Clipboard pseudo-encoding, which we never announce); the other
 * encodings are for servers that break the rule, so here they show up as the raw bytes the daemon sent.
 */
import assert from 'node:assert/strict';
import { createGuacd, GuacStatus, type Instruction } from '../../../guacamole/index.js';
import { GuacTestClient, guacdHandshake, wire } from '../../helpers/guac-wire.js';
import { XEventLog, type XInputEvent } from '../../helpers/x-events.js';
import { startXvnc, xvncAvailable, type Xvnc } from '../../helpers/xvnc.js';

const WIDTH = 800;
const HEIGHT = 600;
const PASSWORD = 'Secret-1';
/** Keysyms (X11 keysymdef.h). */
const XK_Shift_L = 0xffe1;
/** guacd's clipboard blob size. */
const CLIPBOARD_BLOB_BYTES = 4096;
/** guacd's clipboard buffer: the most either direction carries. */
const CLIPBOARD_MAX_BYTES = 262144;

/** Polls `probe` until `accept` holds; the error names `what` and the last value seen. */
async function until<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CLIPBOARD selection as `target`: STRING is ISO 8859-1 bytes, UTF8_STRING UTF-8; undefined when nobody owns it. */
async function xClipboard(xvnc: Xvnc, target: 'STRING' | 'UTF8_STRING'): Promise<Buffer | undefined> {
  const result = await xvnc.run('xclip', ['-o', '-selection', 'clipboard', '-t', target]);
  return result.code === 0 ? result.stdout : undefined;
}

/** Waits until the X clipboard holds exactly `expected` as `target`. */
function xClipboardBecomes(xvnc: Xvnc, target: 'STRING' | 'UTF8_STRING', expected: Buffer): Promise<Buffer | undefined> {
  return until(`X clipboard (${target}) = ${expected.toString('hex')}`, () => xClipboard(xvnc, target), (b) => b?.equals(expected) === true);
}

/** A Guacamole `clipboard` stream from the browser, its UTF-8 cut into blobs of `blobBytes` (mid-character too). */
function paste(client: GuacTestClient, text: string, blobBytes = CLIPBOARD_BLOB_BYTES): void {
  const bytes = Buffer.from(text, 'utf8');
  let out = wire('clipboard', 2, 'text/plain');
  for (let i = 0; i < bytes.length; i += blobBytes) out += wire('blob', 2, bytes.subarray(i, i + blobBytes).toString('base64'));
  client.send(out + wire('end', 2));
}

/** Makes an X client own CLIPBOARD with `text` (UTF-8), as copying in an application on the machine does. */
function copyInVm(xvnc: Xvnc, text: string): void {
  const owner = xvnc.spawn('xclip', ['-i', '-selection', 'clipboard', '-quiet']);
  owner.stdin!.end(Buffer.from(text, 'utf8'));
}

/** The first complete clipboard stream from index `from` on whose text is `expected` (or a timeout listing all seen). */
async function clipboardArrives(client: GuacTestClient, from: number, expected: string): Promise<{ open: Instruction; blobs: Buffer[] }> {
  const seen: string[] = [];
  const match = (): { open: Instruction; blobs: Buffer[] } | undefined => {
    seen.length = 0;
    for (let i = from; i < client.received.length; i++) {
      const open = client.received[i]!;
      if (open.opcode !== 'clipboard') continue;
      const bytes = client.streamBytes(i);
      if (bytes === undefined) continue;
      seen.push(bytes.toString('utf8'));
      if (bytes.toString('utf8') !== expected) continue;
      const blobs = client.received.slice(i + 1)
        .filter((b) => b.opcode === 'blob' && b.args[0] === open.args[0])
        .map((b) => Buffer.from(b.args[1]!, 'base64'));
      return { open, blobs };
    }
    return undefined;
  };
  try {
    await client.waitFor(() => match() !== undefined, 5000, from);
  } catch (err) {
    throw new Error(`no clipboard ${JSON.stringify(expected)}; got ${JSON.stringify(seen)} (${(err as Error).message.slice(0, 120)})`, { cause: err });
  }
  return match()!;
}

describe('guacd daemon against TigerVNC Xvnc (integration)', function () {
  this.timeout(20000);
  const guacd = createGuacd({ port: 0 });
  let port: number;
  let xvnc: Xvnc;
  let lockedXvnc: Xvnc;
  const clients: GuacTestClient[] = [];

  before(async function () {
    if (!xvncAvailable()) throw new Error('Xvnc, xclip, xdotool and xev are needed (provision/test-prerequisites.sh installs them)');
    ({ port } = await guacd.start());
    [xvnc, lockedXvnc] = await Promise.all([startXvnc({ width: WIDTH, height: HEIGHT }), startXvnc({ password: PASSWORD })]);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    await guacd.stop();
    await Promise.all([xvnc?.stop(), lockedXvnc?.stop()]);
  });

  /** A session with the default Xvnc, up to its first frame. */
  async function connect(settings: Record<string, string> = {}): Promise<GuacTestClient> {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    await guacdHandshake(client, 'vnc', { hostname: '127.0.0.1', port: String(xvnc.port), ...settings });
    await client.waitFor((i) => i.opcode === 'sync' || i.opcode === 'error');
    assert.equal(client.received.find((i) => i.opcode === 'error'), undefined);
    return client;
  }

  describe('connecting', () => {
    it('shows the desktop at its size, with security type None', async () => {
      const client = await connect();
      const size = await client.waitFor((i) => i.opcode === 'size' && i.args[0] === '0');
      assert.deepEqual(size.args.slice(1), [String(WIDTH), String(HEIGHT)]);
      await client.waitFor((i) => i.opcode === 'name');
      assert.equal(client.received.find((i) => i.opcode === 'name')!.args[0], 'earcandle-test');
    });

    it('logs in with VNC authentication and the right password', async () => {
      const client = await GuacTestClient.open(port);
      clients.push(client);
      await guacdHandshake(client, 'vnc', { hostname: '127.0.0.1', port: String(lockedXvnc.port), password: PASSWORD });
      const first = await client.waitFor((i) => i.opcode === 'sync' || i.opcode === 'error');
      assert.equal(first.opcode, 'sync', first.args.join(','));
    });

    it('reports a wrong password as 0x0301 (CLIENT_UNAUTHORIZED)', async () => {
      const client = await GuacTestClient.open(port);
      clients.push(client);
      await guacdHandshake(client, 'vnc', { hostname: '127.0.0.1', port: String(lockedXvnc.port), password: 'wrong' });
      const error = await client.waitFor((i) => i.opcode === 'error');
      assert.equal(Number(error.args[1]), GuacStatus.CLIENT_UNAUTHORIZED, error.args.join(','));
      await client.waitForClose();
    });
  });

  describe('pointer', () => {
    async function pointerAt(): Promise<{ x: number; y: number }> {
      const out = (await xvnc.run('xdotool', ['getmouselocation', '--shell'])).stdout.toString();
      return { x: Number(/^X=(\d+)$/m.exec(out)?.[1]), y: Number(/^Y=(\d+)$/m.exec(out)?.[1]) };
    }

    it('moves the X pointer to where the browser sends it, negative coordinates clamped to 0', async () => {
      const client = await connect();
      for (const [x, y, expected] of [
        [123, 45, { x: 123, y: 45 }],
        [WIDTH - 1, HEIGHT - 1, { x: WIDTH - 1, y: HEIGHT - 1 }],
        [-5, -7, { x: 0, y: 0 }],
        [321, 234, { x: 321, y: 234 }],
      ] as const) {
        client.send(wire('mouse', x, y, 0));
        await until(`pointer at ${expected.x},${expected.y}`, pointerAt, (p) => p.x === expected.x && p.y === expected.y);
      }
    });

    it('presses and releases left, middle, right and the wheel as X buttons 1, 2, 3, 4 and 5, and drags', async () => {
      const client = await connect();
      const events = await XEventLog.start(xvnc);
      client.send(wire('mouse', 200, 150, 0));
      for (const mask of [1, 2, 4, 8, 16]) client.send(wire('mouse', 200, 150, mask) + wire('mouse', 200, 150, 0));
      // A drag: press at one place, move with the button held, release at another.
      client.send(wire('mouse', 10, 20, 1) + wire('mouse', 60, 70, 1) + wire('mouse', 60, 70, 0));
      await events.waitFor((e) => e.type === 'ButtonRelease' && e.x === 60);
      const buttons = events.events.filter((e) => e.button !== undefined).map((e: XInputEvent) => `${e.type} ${e.button} ${e.x},${e.y}`);
      assert.deepEqual(buttons, [
        'ButtonPress 1 200,150', 'ButtonRelease 1 200,150',
        'ButtonPress 2 200,150', 'ButtonRelease 2 200,150',
        'ButtonPress 3 200,150', 'ButtonRelease 3 200,150',
        'ButtonPress 4 200,150', 'ButtonRelease 4 200,150',
        'ButtonPress 5 200,150', 'ButtonRelease 5 200,150',
        'ButtonPress 1 10,20', 'ButtonRelease 1 60,70',
      ]);
      const dragEnd = events.events.at(-1)!;
      assert.equal(dragEnd.state & 0x100, 0x100, 'button 1 was held during the drag (Button1Mask)');
    });
  });

  describe('keys', () => {
    it('delivers keysyms as the keys and characters an X application reads', async () => {
      const client = await connect();
      const events = await XEventLog.start(xvnc);
      const cases: { keysyms: number[]; keysym: number; text: string; shift: boolean }[] = [
        { keysyms: [0x61], keysym: 0x61, text: 'a', shift: false },
        { keysyms: [XK_Shift_L, 0x41], keysym: 0x41, text: 'A', shift: true },
        { keysyms: [0x31], keysym: 0x31, text: '1', shift: false },
        { keysyms: [0xfc], keysym: 0xfc, text: 'ü', shift: false }, // udiaeresis
        { keysyms: [0x20ac], keysym: 0x20ac, text: '€', shift: false }, // EuroSign
        // Guacamole's keysym for a character without a legacy keysym: 0x01000000 | code point (ő, U+0151).
        { keysyms: [0x01000151], keysym: 0x01000151, text: 'ő', shift: false },
      ];
      for (const { keysyms, keysym, text, shift } of cases) {
        const from = events.events.length;
        // Press in order, release in reverse, like a person holding Shift; one key at a time, because Xvnc
        // rebinds a spare keycode for keysyms its keymap lacks and xev reads the keymap as it prints.
        client.send(keysyms.map((k) => wire('key', k, 1)).join('') + [...keysyms].reverse().map((k) => wire('key', k, 0)).join(''));
        const release = await events.waitFor((e) => e.type === 'KeyRelease' && e.keysym === keysyms[0], 5000, from);
        const press = events.events.slice(from).find((e) => e.type === 'KeyPress' && e.keysym === keysym);
        assert.ok(press, `a KeyPress of ${keysym.toString(16)}; saw ${JSON.stringify(events.events.slice(from))}`);
        assert.equal(press.text, text);
        assert.equal((press.state & 1) === 1, shift, `Shift ${shift ? 'held' : 'not held'} for ${text}`);
        assert.ok(events.events.indexOf(press) < events.events.indexOf(release));
      }
    });
  });

  describe('clipboard, browser → machine', () => {
    const text = 'Grüße, café — 100 € Š ő\nzweite Zeile';

    it('ISO8859-1 (default): Latin-1 text arrives as it is, the rest as "?"', async () => {
      const client = await connect();
      paste(client, text);
      const expected = 'Grüße, café ? 100 ? ? ?\nzweite Zeile';
      await xClipboardBecomes(xvnc, 'UTF8_STRING', Buffer.from(expected, 'utf8'));
      assert.deepEqual(await xClipboard(xvnc, 'STRING'), Buffer.from(expected, 'latin1'));
      // Xvnc set PRIMARY too (SetPrimary), from the same cut text.
      assert.equal((await xvnc.run('xclip', ['-o', '-selection', 'primary'])).stdout.toString('utf8'), expected);
    });

    it('UTF-8: the cut text is the text\'s UTF-8 bytes (which Xvnc, by the standard, reads as Latin-1)', async () => {
      const client = await connect({ 'clipboard-encoding': 'UTF-8' });
      paste(client, text);
      await xClipboardBecomes(xvnc, 'STRING', Buffer.from(text, 'utf8'));
    });

    it('CP1252: the cut text is Windows-1252 bytes (€ 0x80, — 0x97, Š 0x8A), "?" for what it lacks', async () => {
      const client = await connect({ 'clipboard-encoding': 'CP1252' });
      paste(client, text);
      const expected = Buffer.concat([
        Buffer.from('Grüße, café ', 'latin1'), Buffer.from([0x97]), Buffer.from(' 100 ', 'latin1'), Buffer.from([0x80]),
        Buffer.from(' ', 'latin1'), Buffer.from([0x8a]), Buffer.from(' ?\nzweite Zeile', 'latin1'),
      ]);
      await xClipboardBecomes(xvnc, 'STRING', expected);
    });

    it('UTF-16: the cut text is UTF-16LE bytes', async () => {
      const client = await connect({ 'clipboard-encoding': 'UTF-16' });
      // Xvnc keeps cut text as a C string and stops at the first NUL byte, so only characters whose UTF-16LE
      // has no zero byte get through whole: 中 4E2D, 文 6587, € 20AC.
      paste(client, '中文€');
      await xClipboardBecomes(xvnc, 'STRING', Buffer.from([0x2d, 0x4e, 0x87, 0x65, 0xac, 0x20]));
    });

    it('carries a long text pasted in blobs cut mid-character, in one piece', async () => {
      const client = await connect();
      const long = Array.from({ length: 2500 }, (_, i) => `${i}: Grüße aus Köln\n`).join('');
      paste(client, long, 4001);
      await xClipboardBecomes(xvnc, 'STRING', Buffer.from(long, 'latin1'));
    });

    it('cuts a paste larger than 256 KiB to 262144 bytes, as guacd does', async () => {
      const client = await connect();
      paste(client, 'ab'.repeat(140000), 6000);
      await xClipboardBecomes(xvnc, 'STRING', Buffer.from('ab'.repeat(CLIPBOARD_MAX_BYTES / 2), 'latin1'));
    });

    it('disable-paste: nothing reaches the machine', async () => {
      const client = await connect({ 'disable-paste': 'true' });
      paste(client, 'must not arrive');
      const ack = await client.waitFor((i) => i.opcode === 'ack');
      assert.deepEqual(ack.args, ['2', 'Clipboard unsupported', String(GuacStatus.UNSUPPORTED)]);
      // RFB messages are handled in order: once a pointer move sent after the paste has arrived, so would the paste.
      client.send(wire('mouse', 77, 66, 0));
      await until('pointer at 77,66', async () => (await xvnc.run('xdotool', ['getmouselocation'])).stdout.toString(), (s) => s.startsWith('x:77 y:66 '));
      assert.notEqual((await xClipboard(xvnc, 'UTF8_STRING'))?.toString('utf8'), 'must not arrive');
    });
  });

  describe('clipboard, machine → browser', () => {
    it('ISO8859-1 (default): a copy on the machine arrives as text/plain, "?" where Latin-1 has no character', async () => {
      const client = await connect();
      const from = client.received.length;
      copyInVm(xvnc, 'VM: Grüße — 5 €\nzweite Zeile');
      const { open } = await clipboardArrives(client, from, 'VM: Grüße ? 5 ?\nzweite Zeile');
      assert.equal(open.args[1], 'text/plain');
    });

    it('CP1252: bytes 0x80–0x9F arrive as the Windows-1252 characters (€ — Š)', async () => {
      const client = await connect({ 'clipboard-encoding': 'CP1252' });
      const from = client.received.length;
      // Xvnc sends U+0080, U+0097, U+008A as the Latin-1 bytes 0x80, 0x97, 0x8A.
      copyInVm(xvnc, 'VM: \u0080 \u0097 \u008a ü');
      await clipboardArrives(client, from, 'VM: € — Š ü');
    });

    it('UTF-8: the cut text\'s bytes are read as UTF-8', async () => {
      const client = await connect({ 'clipboard-encoding': 'UTF-8' });
      const from = client.received.length;
      // A server that sends UTF-8: the Latin-1 characters whose bytes are the UTF-8 of "Grüße €".
      copyInVm(xvnc, Buffer.from('VM: Grüße €', 'utf8').toString('latin1'));
      await clipboardArrives(client, from, 'VM: Grüße €');
    });

    it('UTF-16: the cut text\'s bytes are read as UTF-16LE', async () => {
      const client = await connect({ 'clipboard-encoding': 'UTF-16' });
      const from = client.received.length;
      copyInVm(xvnc, String.fromCharCode(0x2d, 0x4e, 0x87, 0x65, 0xac, 0x20));
      await clipboardArrives(client, from, '中文€');
    });

    it('sends a long copy in blobs of at most 4096 bytes that join to the text', async () => {
      const client = await connect();
      const from = client.received.length;
      const long = Array.from({ length: 2500 }, (_, i) => `${i}: Grüße aus Köln\n`).join('');
      copyInVm(xvnc, long);
      const { blobs } = await clipboardArrives(client, from, long);
      assert.ok(blobs.length >= 2, `${blobs.length} blobs`);
      for (const b of blobs) assert.ok(b.length <= CLIPBOARD_BLOB_BYTES, `a blob of ${b.length} bytes`);
    });

    it('cuts a copy larger than 256 KiB to 262144 bytes of UTF-8, before the character that would not fit', async () => {
      const client = await connect();
      const from = client.received.length;
      // 'x' then two-byte characters: byte 262144 is the second byte of a 'ü', so that 'ü' stays behind.
      copyInVm(xvnc, 'x' + 'ü'.repeat(140000));
      await clipboardArrives(client, from, 'x' + 'ü'.repeat((CLIPBOARD_MAX_BYTES - 2) / 2));
    });

    it('disable-copy: the text stays on the machine', async () => {
      const client = await connect({ 'disable-copy': 'true' });
      const witness = await connect();
      const from = client.received.length;
      const witnessFrom = witness.received.length;
      copyInVm(xvnc, 'stays on the machine');
      // Xvnc sent the cut text to both sessions once the witness has it; a window mapped after that is drawn in
      // an update that follows the cut text on the same RFB connection, so the first session's drawing of it
      // comes after any clipboard the daemon would have forwarded.
      await clipboardArrives(witness, witnessFrom, 'stays on the machine');
      const drawnFrom = client.received.length;
      const window = xvnc.spawn('xev', ['-geometry', '40x40+5+5']);
      try {
        await client.waitFor((i) => i.opcode === 'img' || i.opcode === 'cfill', 5000, drawnFrom);
      } finally {
        window.kill();
      }
      assert.equal(client.received.slice(from).some((i) => i.opcode === 'clipboard'), false);
    });
  });
});
