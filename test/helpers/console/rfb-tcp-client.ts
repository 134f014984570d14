/**
 * A test-only RFB 3.8 client over TCP (written apart from src/console): VNC authentication, ClientInit,
 * ServerInit, Raw framebuffer updates. Used to talk to the bridge's loopback endpoint and to QEMU directly.
 */
import { connect, type Socket } from 'node:net';
import { vncDesResponse } from '../vnc-des.js';

export class RfbTcpClient {
  /** Every byte the server sent. */
  readonly all: Buffer[] = [];
  #buf = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  closed = false;
  width = 0;
  height = 0;
  name = '';

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.all.push(d);
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RfbTcpClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RfbTcpClient(s)));
      s.once('error', reject);
    });
  }

  async read(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.closed) throw new Error(`closed (wanted ${n}, have ${this.#buf.length})`);
      await new Promise<void>((r) => (this.#waiter = r));
      this.#waiter = undefined;
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Version, security (VNC auth with `password`, or None), ClientInit(shared), ServerInit. */
  async handshake(password: string | undefined): Promise<void> {
    await this.read(12);
    this.socket.write('RFB 003.008\n');
    const n = (await this.read(1))[0]!;
    if (n === 0) throw new Error('refused');
    const types = [...(await this.read(n))];
    if (password !== undefined && types.includes(2)) {
      this.socket.write(Buffer.from([2]));
      this.socket.write(vncDesResponse(await this.read(16), password));
    } else {
      this.socket.write(Buffer.from([1]));
    }
    const result = (await this.read(4)).readUInt32BE(0);
    if (result !== 0) {
      const len = (await this.read(4)).readUInt32BE(0);
      throw new Error(`security failed: ${(await this.read(len)).toString()}`);
    }
    this.socket.write(Buffer.from([1]));
    const init = await this.read(24);
    this.width = init.readUInt16BE(0);
    this.height = init.readUInt16BE(2);
    this.name = (await this.read(init.readUInt32BE(20))).toString('latin1');
  }

  /** 32 bpp little-endian true colour, Raw only; one full update; returns RGBA-less BGRX pixels. */
  async frame(): Promise<{ width: number; height: number; pixels: Buffer }> {
    const pf = Buffer.alloc(20);
    pf[0] = 0; // SetPixelFormat
    pf[4] = 32;
    pf[5] = 24;
    pf[6] = 0; // little endian
    pf[7] = 1; // true colour
    pf.writeUInt16BE(255, 8);
    pf.writeUInt16BE(255, 10);
    pf.writeUInt16BE(255, 12);
    pf[14] = 16;
    pf[15] = 8;
    pf[16] = 0;
    this.socket.write(pf);
    this.socket.write(Buffer.from([2, 0, 0, 1, 0, 0, 0, 0])); // SetEncodings: Raw
    const req = Buffer.alloc(10);
    req[0] = 3;
    req.writeUInt16BE(this.width, 6);
    req.writeUInt16BE(this.height, 8);
    this.socket.write(req);
    const pixels = Buffer.alloc(this.width * this.height * 4);
    for (;;) {
      const type = (await this.read(1))[0]!;
      if (type === 0) break;
      if (type === 2) continue; // bell
      if (type === 3) {
        const h = await this.read(7);
        await this.read(h.readUInt32BE(3));
        continue;
      }
      throw new Error(`unexpected message ${type}`);
    }
    await this.read(1);
    const count = (await this.read(2)).readUInt16BE(0);
    for (let r = 0; r < count; r++) {
      const h = await this.read(12);
      const [x, y, w, hh, enc] = [h.readUInt16BE(0), h.readUInt16BE(2), h.readUInt16BE(4), h.readUInt16BE(6), h.readInt32BE(8)];
      if (enc !== 0) throw new Error(`unexpected encoding ${enc}`);
      const data = await this.read(w * hh * 4);
      for (let row = 0; row < hh; row++) data.copy(pixels, ((y + row) * this.width + x) * 4, row * w * 4, (row + 1) * w * 4);
    }
    return { width: this.width, height: this.height, pixels };
  }

  close(): void {
    this.socket.destroy();
  }
}
