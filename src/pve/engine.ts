import type { ApiRequestable } from 'proxmox-api';
import { Agent, fetch } from 'undici';
import type { Secret } from '../config/index.js';
import { httpError, PveBadResponseError, PveError, PveUnreachableError } from './errors.js';
import { Limiter } from './limiter.js';

export interface EngineOptions {
  /** https://host:port of one PVE node's API (the port is required: 8006 is not assumed). */
  apiUrl: string;
  /** USER@REALM!TOKENID */
  tokenId: string;
  /** The token's UUID secret. */
  tokenSecret: Secret;
  /** The cluster CA to pin (PEM); null or absent trusts the system store. */
  caPem?: string | null | undefined;
  /** Requests in flight at once for this cluster. */
  concurrency?: number;
  /** Per-request timeout (connect + answer). */
  timeoutMs?: number;
}

const TOKEN_ID = /^[^@\s]+@[^!\s]+![A-Za-z][A-Za-z0-9._-]*$/;
const TOKEN_SECRET = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TLS_CODES = /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL|HOSTNAME_MISMATCH|ERR_TLS_CERT)/;

/** A PVE API origin that cannot be used; the message never contains the secret. */
export class PveConfigError extends Error {
  override readonly name = 'PveConfigError';
  readonly code = 'PVE_CONFIG';
}

/**
 * proxmox-api's request engine, replaced: the package's ProxmoxEngine retries a failed request once, POST
 * included, needs NODE_TLS_REJECT_UNAUTHORIZED=0 or a custom fetch for a private CA, leaves its timeout timer
 * running after a failure and reports errors as plain text. This engine keeps the package's typed path
 * proxy (`proxmoxApi(engine)`) and does the HTTP itself: CA pinned per cluster through an undici Agent,
 * only GET retried (once, on network failure), a concurrency limit, typed errors.
 */
export class PinnedEngine implements ApiRequestable {
  readonly origin: string;
  readonly dispatcher: Agent;
  readonly limiter: Limiter;
  readonly #authorization: string;
  readonly #timeoutMs: number;

  constructor(options: EngineOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new PveConfigError(`PVE API URL ${JSON.stringify(options.apiUrl)} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PveConfigError(`PVE API URL must be https://host:port`);
    if (!url.port) throw new PveConfigError(`PVE API URL ${url.origin} has no port (PVE listens on 8006; write it)`);
    if (!TOKEN_ID.test(options.tokenId)) throw new PveConfigError(`PVE token id ${JSON.stringify(options.tokenId)} is not USER@REALM!TOKENID`);
    if (!TOKEN_SECRET.test(options.tokenSecret.reveal())) throw new PveConfigError('PVE token secret is not a lower-case UUID');
    this.origin = url.origin;
    this.#authorization = `PVEAPIToken=${options.tokenId}=${options.tokenSecret.reveal()}`;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.limiter = new Limiter(options.concurrency ?? 4);
    this.dispatcher = new Agent({
      connect: { ...(options.caPem ? { ca: options.caPem } : {}), timeout: this.#timeoutMs },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      keepAliveTimeout: 4_000,
      connections: options.concurrency ?? 4,
    });
  }

  /** The headers that authenticate as the token (for the console bridge's WebSocket); secret-bearing. */
  authHeaders(): Record<string, string> {
    return { Authorization: this.#authorization };
  }

  doRequest(httpMethod: string, path: string, _pathTemplate: string, params?: Record<string, unknown>): Promise<unknown> {
    const method = httpMethod.toUpperCase();
    return this.limiter.run(async () => {
      try {
        return await this.#once(method, path, params);
      } catch (err) {
        // A GET changes nothing: one more try after a network failure. Writes are never repeated blindly.
        if (method === 'GET' && err instanceof PveUnreachableError && err.reason === 'network') return this.#once(method, path, params);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  async #once(method: string, path: string, params: Record<string, unknown> | undefined): Promise<unknown> {
    const url = new URL(path, this.origin);
    const form = encodeParams(params);
    let body: string | undefined;
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: this.#authorization };
    if (method === 'POST' || method === 'PUT') {
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      for (const [k, v] of form) url.searchParams.append(k, v);
    }
    let res;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body, dispatcher: this.dispatcher, signal: AbortSignal.timeout(this.#timeoutMs) });
      text = await res.text();
    } catch (err) {
      throw unreachable(err, method, url.pathname);
    }
    if (res.status !== 200) throw httpError(res.status, res.statusText, text, method, url.pathname);
    try {
      return (JSON.parse(text) as { data: unknown }).data;
    } catch {
      throw new PveBadResponseError(`${method} ${url.pathname}: answer is not JSON`);
    }
  }
}

function encodeParams(params: Record<string, unknown> | undefined): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const e of v) out.append(k, String(e));
    else if (typeof v === 'boolean') out.set(k, v ? '1' : '0');
    else out.set(k, String(v));
  }
  return out;
}

function unreachable(err: unknown, method: string, path: string): PveError {
  if (err instanceof PveError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  const inner = e.cause ?? e;
  const code = inner.code ?? e.code ?? '';
  const where = `${method} ${path}`;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/i.test(code)) {
    return new PveUnreachableError(`${where}: no answer in time`, 'timeout', { cause: err });
  }
  if (TLS_CODES.test(code) || /certificate|TLS|SSL/i.test(inner.message ?? '')) {
    return new PveUnreachableError(`${where}: TLS failed (${code || inner.message}); check the pinned CA`, 'tls', { cause: err });
  }
  return new PveUnreachableError(`${where}: ${code || inner.message || 'network error'}`, 'network', { cause: err });
}
