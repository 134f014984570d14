/**
 * The server half of bench/console.ts, run as a child process so that its CPU and memory are its own:
 *   gateway <guacd-token-key-hex>  guacd (createGuacd) + guacamole-lite on /tunnel, as the gateway runs them
 *                                  (TUNNEL_WEBSOCKET_OPTIONS; BENCH_TUNNEL_DEFLATE=off|<JSON> changes them)
 *   relay <vnc-port>               a websockify-style WebSocket ↔ TCP relay to QEMU's VNC port (the noVNC path)
 * Sends {port} over IPC when listening; answers {cmd:'usage'} with its process.cpuUsage() and memoryUsage(), and
 * for every WebSocket connection so far the bytes written to and read from its TCP socket after the upgrade
 * (what crosses the wire: frames, compressed or not).
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import GuacamoleLite from 'guacamole-lite';
import { WebSocketServer, type PerMessageDeflateOptions, type ServerOptions } from 'ws';
import { createGuacd } from '../guacamole/index.js';
import { TUNNEL_WEBSOCKET_OPTIONS } from '../src/console/index.js';

const [role, arg] = process.argv.slice(2);
const GUACAMOLE_LITE_ERRORS = 10;

export interface WireCount {
  /** Connections are numbered from 1 in the order they opened. */
  id: number;
  bytesOut: number;
  bytesIn: number;
}

const connections: { socket: Socket; out0: number; in0: number }[] = [];

/** Counts from the 'connection' event on: the 101 response and the request are already written and read. */
function countWire(wss: WebSocketServer): void {
  wss.on('connection', (_ws, req) => connections.push({ socket: req.socket, out0: req.socket.bytesWritten, in0: req.socket.bytesRead }));
}

const wireCounts = (): WireCount[] =>
  connections.map((c, i) => ({ id: i + 1, bytesOut: c.socket.bytesWritten - c.out0, bytesIn: c.socket.bytesRead - c.in0 }));

/**
 * The product's tunnel options; BENCH_TUNNEL_DEFLATE=off turns compression off, and a JSON object is merged over
 * the product's permessage-deflate options, to measure what a setting costs on the same code.
 */
function tunnelOptions(): ServerOptions {
  const override = process.env.BENCH_TUNNEL_DEFLATE;
  if (!override) return TUNNEL_WEBSOCKET_OPTIONS;
  if (override === 'off') return { ...TUNNEL_WEBSOCKET_OPTIONS, perMessageDeflate: false };
  const o = JSON.parse(override) as PerMessageDeflateOptions;
  const product = TUNNEL_WEBSOCKET_OPTIONS.perMessageDeflate;
  return { ...TUNNEL_WEBSOCKET_OPTIONS, perMessageDeflate: { ...product, ...o, zlibDeflateOptions: { ...product.zlibDeflateOptions, ...o.zlibDeflateOptions } } };
}

async function gateway(keyHex: string): Promise<{ http: Server; stop: () => Promise<void> }> {
  const guacd = createGuacd({ host: '127.0.0.1', port: 0 });
  const { port } = await guacd.start();
  const http = createServer((_req, res) => res.writeHead(404).end());
  const lite = new GuacamoleLite(
    { server: http, path: '/tunnel', ...tunnelOptions() },
    { host: '127.0.0.1', port },
    { crypt: { cypher: 'AES-256-CBC', key: Buffer.from(keyHex, 'hex') }, log: { level: GUACAMOLE_LITE_ERRORS } },
  );
  for (const h of [lite.sigTermHandler, lite.sigIntHandler]) if (h) process.removeListener('SIGTERM', h).removeListener('SIGINT', h);
  lite.on('error', () => undefined);
  countWire(lite.webSocketServer);
  return {
    http,
    stop: async () => {
      lite.close();
      await guacd.stop();
    },
  };
}

function relay(vncPort: number): { http: Server; stop: () => Promise<void> } {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  countWire(wss);
  wss.on('connection', (ws) => {
    const tcp = connect(vncPort, '127.0.0.1');
    tcp.setNoDelay(true);
    tcp.on('data', (d) => ws.send(d));
    ws.on('message', (d: Buffer) => tcp.write(d));
    tcp.on('close', () => ws.close());
    ws.on('close', () => tcp.destroy());
    tcp.on('error', () => ws.close());
    ws.on('error', () => tcp.destroy());
  });
  return { http, stop: async () => { for (const c of wss.clients) c.terminate(); wss.close(); } };
}

const server = role === 'gateway' ? await gateway(arg!) : relay(Number(arg));
server.http.listen(0, '127.0.0.1', () => process.send?.({ port: (server.http.address() as AddressInfo).port }));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'usage') process.send?.({ cpu: process.cpuUsage(), memory: process.memoryUsage(), connections: wireCounts() });
  if (m.cmd === 'stop') {
    void server.stop().then(() => {
      server.http.closeAllConnections();
      server.http.close(() => process.exit(0));
    });
  }
});
process.on('disconnect', () => process.exit(0));
