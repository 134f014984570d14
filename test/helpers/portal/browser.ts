/** A tiny cookie-keeping HTTP client for the portal (no redirects followed). */
export class PortalClient {
  #cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  get cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, init: { form?: Record<string, string>; json?: unknown; body?: string; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<{ status: number; text: string; headers: Headers; json<T = unknown>(): T }> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.#cookies.size) headers.cookie = this.cookieHeader;
    let body: string | undefined = init.body;
    if (init.form) {
      const form = { ...(init.csrf === false ? {} : { _csrf: this.csrf }), ...init.form };
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
      if (init.csrf !== false) headers['x-csrf-token'] = this.csrf;
    } else if (method !== 'GET' && init.csrf !== false && !headers['x-csrf-token']) {
      headers['x-csrf-token'] = this.csrf;
    }
    if (!headers.accept) headers.accept = path.startsWith('/api/') ? 'application/json' : 'text/html';
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const text = await res.text();
    const meta = /<meta name="csrf-token" content="([^"]+)"/.exec(text);
    if (meta) this.csrf = meta[1]!;
    return { status: res.status, text, headers: res.headers, json: <T>() => JSON.parse(text) as T };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, headers ? { headers } : {});
  }

  post(path: string, form: Record<string, string>) {
    return this.request('POST', path, { form });
  }

  /** Loads the login form (for its CSRF token) and logs in; returns the response of the POST. */
  async login(name: string, password: string) {
    await this.get('/login');
    return this.post('/login', { name, password });
  }

  /** Fetches the CSRF token of the current session through the API. */
  async refreshCsrf(): Promise<string> {
    const r = await this.get('/api/v1/session');
    if (r.status === 200) this.csrf = r.json<{ csrfToken: string }>().csrfToken;
    return this.csrf;
  }
}
