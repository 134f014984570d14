import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth.js';
import type { Params, Route, SimContext } from './context.js';
import { PveError, paramError } from './errors.js';
import type { FaultDecision } from './faults.js';
import { Router } from './router.js';
import { loadSchema, validateParams } from './schema.js';

/** Largest accepted request body; PVE refuses bigger ones too. */
export const MAX_BODY_BYTES = 64 * 1024;
const PREFIX = '/api2/json';
const JSON_TYPE = 'application/json;charset=UTF-8';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface ServerOptions {
  readonly port: number;
  readonly key: string;
  readonly cert: string;
  readonly routes: readonly Route[];
  readonly onUpgrade: UpgradeHandler;
}

/** The HTTPS front: routing under /api2/json, body limits, auth, schema checks, faults, PVE-shaped replies. */
export class PveHttpServer {
  private server: Server | undefined;
  private readonly router: Router;
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly sim: SimContext,
    private readonly options: ServerOptions,
  ) {
    this.router = new Router(options.routes);
  }

  async start(): Promise<number> {
    const server = createServer({ key: this.options.key, cert: this.options.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => this.sendError(res, err));
    });
    server.on('upgrade', this.options.onUpgrade);
    server.on('secureConnection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => undefined);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://pvesim.invalid');
    const rel = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) || '/' : undefined;
    const fault: FaultDecision = rel?.startsWith('/_sim/') ? { latencyMs: 0, reset: false } : this.sim.faults.decide(method, rel === undefined ? undefined : this.router.templateOf(rel));
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);

    const body = await readBody(req);
    const matched = rel === undefined ? undefined : this.router.match(method, rel);
    if (!matched) throw new PveError(501, `Method '${method} ${url.pathname}' not implemented`);
    const { route, vars } = matched;

    const params: Params = {};
    for (const [k, v] of url.searchParams) addParam(params, k, v);
    if (body.length) {
      const ctype = String(req.headers['content-type'] ?? '');
      if (ctype.startsWith('application/json')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new PveError(400, 'malformed JSON body');
        }
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          for (const [k, v] of Object.entries(parsed)) addParam(params, k, typeof v === 'string' ? v : JSON.stringify(v));
        }
      } else {
        for (const [k, v] of new URLSearchParams(body.toString('utf8'))) addParam(params, k, v);
      }
    }
    Object.assign(params, vars);

    const who = route.auth === false ? { authid: '', userid: '', privsep: false, viaTicket: false } : await this.authOrDelay(req, method);

    if (!route.unchecked) {
      const info = loadSchema()[route.template]?.info[method];
      if (info && info.allowtoken === 0 && who.tokenid) throw new PveError(401, 'not available with API token, need proper ticket');
      const errors = validateParams(params, info?.parameters);
      if (Object.keys(errors).length) throw paramError(errors);
    }
    if (vars.node !== undefined && route.auth !== false) {
      if (!this.sim.state.nodes.has(vars.node)) {
        throw new PveError(500, `hostname lookup '${vars.node}' failed - failed to get address info for: ${vars.node}: Name or service not known`);
      }
      if (this.sim.faults.offlineNodes.has(vars.node)) throw new PveError(595, `Connection refused`);
    }
    if (fault.error) throw new PveError(fault.error.status, fault.error.message);

    const data = await route.handler({ sim: this.sim, who, params });
    const json = JSON.stringify({ data: data === undefined ? null : data });
    if (fault.reset) {
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(json) });
      res.write(json.slice(0, Math.floor(json.length / 2)));
      setImmediate(() => req.socket.destroy());
      return;
    }
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  }

  private async authOrDelay(req: IncomingMessage, method: string) {
    try {
      return authenticate(this.sim.state, this.sim.signer, req.headers, method);
    } catch (err) {
      if (this.sim.authFailDelayMs > 0) await sleep(this.sim.authFailDelayMs);
      throw err;
    }
  }

  private sendError(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!(err instanceof PveError) && !(err instanceof BodyTooLarge)) {
      // A simulator bug, not a simulated failure: say what broke, the client only sees PVE's generic 500.
      process.stderr.write(`pve-sim: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    const e = err instanceof PveError ? err : new PveError(500, err instanceof BodyTooLarge ? 'request entity too large' : 'internal error');
    const status = err instanceof BodyTooLarge ? 413 : e.status;
    const reason = e.message.split('\n')[0]!.replace(/[^\x20-\x7e]/g, '?');
    if (status === 401) {
      // PVE answers 401 in plain text, without a JSON content type.
      res.writeHead(401, reason, { 'Content-Length': Buffer.byteLength(reason) });
      res.end(reason);
      return;
    }
    const body: Record<string, unknown> = { data: null, message: `${e.message}\n` };
    if (e.errors) body.errors = e.errors;
    const json = JSON.stringify(body);
    res.writeHead(status, reason, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
    if (err instanceof BodyTooLarge) res.once('finish', () => res.socket?.destroy());
  }
}

class BodyTooLarge extends Error {}

function addParam(params: Params, key: string, value: string): void {
  const prev = params[key];
  if (prev === undefined) params[key] = value;
  else params[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
