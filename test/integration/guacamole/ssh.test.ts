import assert from 'node:assert/strict';
import { createGuacd, GuacStatus, type GuacTerminal, type HostKeyInfo, type Instruction } from '../../../guacamole/index.js';
import { BrowserDisplayModel } from '../../helpers/browser-canvas.js';
import { GuacTestClient, wire } from '../../helpers/guac-wire.js';
import { startSshd, type Sshd } from '../../helpers/sshd.js';

const WIDTH = 800;
const HEIGHT = 480;

/** Handshake as guacamole-lite 1.2.0 sends it (values in `args` order). */
async function handshake(client: GuacTestClient, settings: Record<string, string>, width = WIDTH, height = HEIGHT): Promise<Instruction> {
  client.send(wire('select', 'ssh'));
  const args = await client.waitFor((i) => i.opcode === 'args');
  client.send(wire('size', width, height, 96) + wire('audio', 'audio/L16') + wire('video') + wire('image', 'image/png', 'image/jpeg') + wire('timezone'));
  client.send(wire('connect', 'VERSION_1_1_0', ...args.args.slice(1).map((name) => settings[name] ?? '')));
  return args;
}

function typeText(client: GuacTestClient, text: string): void {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const keysym = cp >= 0x20 && cp <= 0x7e ? cp : 0x01000000 | cp;
    out += wire('key', keysym, 1) + wire('key', keysym, 0);
  }
  client.send(out);
}

function pressReturn(client: GuacTestClient): void {
  client.send(wire('key', 0xff0d, 1) + wire('key', 0xff0d, 0));
}

/** Waits until `check` holds, re-checking whenever the daemon sends something (no fixed sleeps in assertions). */
async function until<T>(client: GuacTestClient, check: () => T | undefined, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await client.waitFor(() => true, Math.max(1, deadline - Date.now()), client.received.length).catch(() => undefined);
  }
}

function rowWith(term: GuacTerminal, pattern: RegExp): number | undefined {
  const i = term.text().findIndex((line) => pattern.test(line));
  return i >= 0 ? i : undefined;
}

describe('ssh protocol module against a real sshd (integration)', function () {
  this.timeout(60000);
  let sshd: Sshd;
  let port: number;
  const terminals = new Map<string, GuacTerminal>();
  const hostKeys: HostKeyInfo[] = [];
  let refuseFirstUse = false;
  const guacd = createGuacd({
    port: 0,
    ssh: {
      onTerminal: (terminal, id) => terminals.set(id, terminal),
      onHostKey: (info) => {
        hostKeys.push(info);
        return !refuseFirstUse;
      },
    },
  });
  const clients: GuacTestClient[] = [];

  async function open(settings: Record<string, string>, width = WIDTH, height = HEIGHT): Promise<{ client: GuacTestClient; term: GuacTerminal }> {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    await handshake(client, settings, width, height);
    const ready = await client.waitFor((i) => i.opcode === 'ready');
    const id = ready.args[0]!;
    const term = await until(client, () => terminals.get(id), 'the terminal');
    return { client, term };
  }

  const login = (): Record<string, string> => ({
    hostname: '127.0.0.1',
    port: String(sshd.port),
    username: sshd.user,
    password: sshd.password,
    'host-key': sshd.hostKey,
  });

  before(async () => {
    sshd = await startSshd();
    ({ port } = await guacd.start());
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    await guacd.stop();
    await sshd?.stop();
  });

  it('logs in with a password, runs a command and shows its output in the model and in the pixels', async () => {
    const { client, term } = await open(login());
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    typeText(client, 'echo hello-$((1000+234))');
    pressReturn(client);
    const row = await until(client, () => rowWith(term, /^hello-1234$/), 'the output');
    const commandRow = rowWith(term, /echo hello-/)!;
    assert.ok(commandRow < row);
    // Let the frame carrying the output reach the client.
    await term.settled();
    term.flush();
    await client.waitFor((i) => i.opcode === 'sync', 5000, client.received.length);

    // The pixels the client would show equal the daemon's picture.
    const canvas = new BrowserDisplayModel();
    canvas.apply(client.received);
    const surface = term.display.surface;
    const layer = canvas.layer(0).read();
    assert.equal(layer.width, surface.width);
    assert.equal(Buffer.compare(Buffer.from(layer.data), Buffer.from(surface.data)), 0, 'client canvas equals the display');

    // "hello-" drawn in the output row has the same pixels as in the command line, and has ink.
    const cw = term.font.cellWidth;
    const ch = term.font.cellHeight;
    const commandCol = term.text()[commandRow]!.indexOf('hello-');
    const bg = term.scheme.background;
    const pixel = (x: number, y: number): number[] => [...layer.data.subarray((y * layer.width + x) * 4, (y * layer.width + x + 1) * 4)];
    for (let i = 0; i < 6; i++) {
      let ink = 0;
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          const a = pixel(i * cw + x, row * ch + y);
          const b = pixel((commandCol + i) * cw + x, commandRow * ch + y);
          assert.deepEqual(a, b, `cell ${i} pixel ${x},${y}`);
          if (a[0] !== bg[0] || a[1] !== bg[1] || a[2] !== bg[2]) ink++;
        }
      }
      assert.ok(ink > 0, `character ${i} has ink`);
    }
    // The glyph cache was hit for the repeated characters.
    assert.ok(term.glyphStats.hits > 0);
    assert.ok((canvas.counts.get('copy') ?? 0) > 0);
  });

  it('follows a size instruction: cols/rows change and the remote `stty size` agrees', async () => {
    const { client, term } = await open(login());
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    client.send(wire('size', 640, 300));
    const cols = Math.floor(640 / term.font.cellWidth);
    const rows = Math.floor(300 / term.font.cellHeight);
    await until(client, () => term.cols === cols && term.rows === rows, 'the resize');
    typeText(client, 'stty size');
    pressReturn(client);
    await until(client, () => rowWith(term, new RegExp(`^${rows} ${cols}$`)), `"${rows} ${cols}" from stty`);
    const size = client.received.filter((i) => i.opcode === 'size' && i.args[0] === '0').at(-1)!;
    assert.deepEqual(size.args.slice(1), ['640', '300']);
  });

  it('copies a mouse selection to the clipboard and pastes the clipboard with the middle button', async () => {
    const { client, term } = await open(login());
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    typeText(client, 'echo copy-$((40+2))');
    pressReturn(client);
    const row = await until(client, () => rowWith(term, /^copy-42$/), 'the output');
    const y = row * term.font.cellHeight + 2;
    const x1 = 7 * term.font.cellWidth - 1;
    client.send(wire('mouse', 1, y, 0) + wire('mouse', 1, y, 1) + wire('mouse', x1, y, 1) + wire('mouse', x1, y, 0));
    const clip = await client.waitFor((i) => i.opcode === 'clipboard');
    const blob = await client.waitFor((i) => i.opcode === 'blob' && i.args[0] === clip.args[0]);
    assert.equal(Buffer.from(blob.args[1]!, 'base64').toString('utf8'), 'copy-42');

    client.send(wire('clipboard', 2, 'text/plain') + wire('blob', 2, Buffer.from('echo pasted-$((3*3))').toString('base64')) + wire('end', 2));
    client.send(wire('mouse', 5, 5, 0) + wire('mouse', 5, 5, 2) + wire('mouse', 5, 5, 0));
    pressReturn(client);
    await until(client, () => rowWith(term, /^pasted-9$/), 'the pasted command output');
  });

  it('logs in with a private key', async () => {
    const { password: _password, ...settings } = login();
    const { client, term } = await open({ ...settings, 'private-key': sshd.clientKey });
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    typeText(client, 'whoami');
    pressReturn(client);
    await until(client, () => rowWith(term, new RegExp(`^${sshd.user}$`)), 'whoami');
  });

  it('reports a wrong password as 0x0301 "Authentication failed"', async () => {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    await handshake(client, { ...login(), password: 'not-the-password' });
    const error = await client.waitFor((i) => i.opcode === 'error', 30000);
    assert.equal(Number(error.args[1]), GuacStatus.CLIENT_UNAUTHORIZED);
    assert.match(error.args[0]!, /Authentication failed/);
    assert.doesNotMatch(error.args[0]!, /not-the-password/);
    await client.waitForClose();
  });

  it('refuses a mismatched host key with a clear message', async () => {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    await handshake(client, { ...login(), 'host-key': `127.0.0.1 ssh-ed25519 ${sshd.otherHostKey}` });
    const error = await client.waitFor((i) => i.opcode === 'error', 20000);
    assert.equal(Number(error.args[1]), GuacStatus.CLIENT_FORBIDDEN);
    assert.match(error.args[0]!, /Host key mismatch/);
    assert.ok(error.args[0]!.includes(sshd.hostKeyFingerprint), error.args[0]);
  });

  it('without a host key, reports the fingerprint for a first-use decision and honours a refusal', async () => {
    const { 'host-key': _key, ...settings } = login();
    hostKeys.length = 0;
    const { client, term } = await open(settings);
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    assert.equal(hostKeys.length, 1);
    assert.equal(hostKeys[0]!.fingerprint, sshd.hostKeyFingerprint);
    assert.equal(hostKeys[0]!.key, sshd.hostKey);
    assert.equal(hostKeys[0]!.algorithm, 'ssh-ed25519');

    refuseFirstUse = true;
    try {
      const refused = await GuacTestClient.open(port);
      clients.push(refused);
      await handshake(refused, settings);
      const error = await refused.waitFor((i) => i.opcode === 'error', 20000);
      assert.equal(Number(error.args[1]), GuacStatus.CLIENT_FORBIDDEN);
      assert.match(error.args[0]!, /not accepted/);
    } finally {
      refuseFirstUse = false;
    }
  });

  it('reports an unreachable server as 0x0207 (UPSTREAM_NOT_FOUND)', async () => {
    const client = await GuacTestClient.open(port);
    clients.push(client);
    await handshake(client, { ...login(), port: '1' });
    const error = await client.waitFor((i) => i.opcode === 'error');
    assert.equal(Number(error.args[1]), GuacStatus.UPSTREAM_NOT_FOUND);
  });

  it('ends the connection with disconnect when the shell exits', async () => {
    const { client, term } = await open(login());
    await until(client, () => rowWith(term, /\$\s*$/), 'the prompt');
    typeText(client, 'exit');
    pressReturn(client);
    await client.waitFor((i) => i.opcode === 'disconnect');
    await client.waitForClose();
  });
});
