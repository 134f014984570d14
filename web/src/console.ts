// The console page: a Guacamole client on /tunnel, scaled to the window, with keyboard, mouse, clipboard both
// ways, Ctrl-Alt-Del, full screen, reconnect after a drop (a fresh token every time) and a plain message for
// every failure. It uses only the documented routes: POST /api/v1/vms/:id/console-token, GET /api/v1/vms/:id,
// POST /api/v1/vms/:id/power and the /tunnel WebSocket.
// For the guest's own ways in (?via=ssh|rdp|vnc) it first asks for the guest login in a small form; the values
// go only into the token request body (same origin, CSRF header) and stay in this page's memory for
// reconnects; the remote screen follows the window's size instead of being scaled.
import Guacamole from 'guacamole-common-js';

interface TokenAnswer {
  token: string;
  tunnelUrl: string;
  /** ssh: the guest's recorded host key. */
  hostKey?: { fingerprint: string; firstSeen: string };
}

type Via = 'console' | 'ssh' | 'rdp' | 'vnc';

interface GuestLogin {
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

const WAY_NAME: Record<Via, string> = { console: 'console', ssh: 'SSH', rdp: 'remote desktop', vnc: 'VNC' };

/** Guacamole status codes the page tells apart (guacd-protocol.md §3). */
const STATUS = {
  RESOURCE_NOT_FOUND: 0x0204,
  UPSTREAM_NOT_FOUND: 0x0207,
  CLIENT_UNAUTHORIZED: 0x0301,
  CLIENT_FORBIDDEN: 0x0303,
  CLIENT_TIMEOUT: 0x0308,
} as const;

const MESSAGES = {
  off: 'This machine is off — start it?',
  noAccess: 'You no longer have access to this machine.',
  gone: 'This machine no longer exists.',
  unreachable: 'The console could not be reached.',
  lost: 'The connection was lost. Reconnecting…',
  starting: 'Starting the machine…',
  noAddress: 'This machine has no network address yet. Start it and wait until it is up, then try again.',
  wrongPassword: 'The machine did not accept that user name and password (or key).',
  hostKeyChanged: "The machine's SSH key has changed — ask an administrator.",
  guestUnreachable: 'The machine did not answer. Is it up, and is the service running?',
} as const;

const CTRL = 0xffe3;
const ALT = 0xffe9;
const DELETE = 0xffff;
const F1 = 0xffbe;

/** Combinations the local desktop or the browser keeps for itself (switching consoles, the Windows key …). */
const KEY_COMBOS: readonly { label: string; keys: readonly number[] }[] = [
  { label: 'Ctrl-Alt-Backspace', keys: [CTRL, ALT, 0xff08] },
  ...Array.from({ length: 12 }, (_, i) => ({ label: `Ctrl-Alt-F${i + 1}`, keys: [CTRL, ALT, F1 + i] })),
  { label: 'Windows key', keys: [0xffeb] },
  { label: 'Alt-Tab', keys: [ALT, 0xff09] },
  { label: 'Alt-F4', keys: [ALT, F1 + 3] },
  { label: 'Ctrl-Esc', keys: [CTRL, 0xff1b] },
  { label: 'Print Screen', keys: [0xff61] },
];
const MAX_RETRIES = 3;

const root = document.getElementById('console');
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

type PageState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

class ConsolePage {
  state: PageState = 'connecting';
  readonly #vmId: number;
  readonly #screen: HTMLElement;
  readonly #status: HTMLElement;
  readonly #message: HTMLElement;
  readonly #startButton: HTMLButtonElement;
  readonly #reconnectButton: HTMLButtonElement;
  readonly #clipboard: HTMLTextAreaElement;
  #client: Guacamole.Client | undefined;
  #keyboard: Guacamole.Keyboard | undefined;
  #retries = 0;
  /** Set when the failure was reported, so the following disconnect does not trigger a reconnect. */
  #fatal = false;
  #everConnected = false;
  readonly via: Via;
  #login: GuestLogin | undefined;
  #hostKeySince: string | undefined;
  #resizeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(el: HTMLElement) {
    this.#vmId = Number(el.dataset.vmId);
    const via = el.dataset.via;
    this.via = via === 'ssh' || via === 'rdp' || via === 'vnc' ? via : 'console';
    this.#screen = el.querySelector<HTMLElement>('[data-console="screen"]') ?? el;
    this.#status = byId('console-status');
    this.#message = byId('console-message');
    this.#startButton = byId<HTMLButtonElement>('console-start');
    this.#reconnectButton = byId<HTMLButtonElement>('console-reconnect');
    this.#clipboard = byId<HTMLTextAreaElement>('console-clipboard');
    document.getElementById('console-cad')?.addEventListener('click', () => this.sendKeys([CTRL, ALT, DELETE]));
    this.#keysMenu(document.getElementById('console-keys'));
    document.getElementById('console-login')?.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#submitLogin();
    });
    byId('console-fullscreen').addEventListener('click', () => void this.fullscreen());
    this.#reconnectButton.addEventListener('click', () => {
      this.#retries = 0;
      void this.connect();
    });
    this.#startButton.addEventListener('click', () => void this.startMachine());
    this.#clipboard.addEventListener('change', () => this.sendClipboard(this.#clipboard.value));
    window.addEventListener('resize', () => this.#onWindowResize());
    document.addEventListener('fullscreenchange', () => this.rescale());
    window.addEventListener('beforeunload', () => {
      this.state = 'closed';
      this.#client?.disconnect();
    });
    this.#screen.tabIndex = 0;
    this.#screen.addEventListener('mousedown', () => this.#screen.focus());
  }

  /** First step of the page: the screen connects at once; a guest way in asks for the login first. */
  start(): void {
    if (this.via === 'console') {
      void this.connect();
      return;
    }
    if (root?.dataset.noAddress === 'yes') {
      this.#showLogin(false);
      this.#fail('noAddress');
      return;
    }
    this.state = 'closed';
    this.#setStatus('');
    this.#showLogin(true);
  }

  #submitLogin(): void {
    const value = (id: string): string => (document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement | null)?.value ?? '';
    const login: GuestLogin = { username: value('console-username').trim() };
    const password = value('console-password');
    const privateKey = value('console-private-key').trim();
    const passphrase = value('console-passphrase');
    if (password) login.password = password;
    if (privateKey) login.privateKey = `${privateKey}\n`;
    if (passphrase && privateKey) login.passphrase = passphrase;
    if (!login.username) return this.#loginError('Enter the user name.');
    if (!login.password && !login.privateKey) return this.#loginError(this.via === 'ssh' ? 'Enter the password or a private key.' : 'Enter the password.');
    this.#login = login;
    this.#showLogin(false);
    this.#retries = 0;
    void this.connect();
  }

  #showLogin(visible: boolean): void {
    const form = document.getElementById('console-login');
    if (form) show(form, visible);
    if (visible) document.getElementById('console-username')?.focus();
  }

  #loginError(text: string): void {
    const p = document.getElementById('console-login-error');
    if (p) {
      p.textContent = text;
      show(p, text !== '');
    }
    this.#showLogin(true);
  }

  /** Back to the form after the guest refused the login; the password is forgotten. */
  #askAgain(text: string): void {
    this.#fatal = true;
    this.state = 'failed';
    this.#teardown();
    this.#setStatus('');
    this.#login = undefined;
    const pw = document.getElementById('console-password') as HTMLInputElement | null;
    if (pw) pw.value = '';
    const pp = document.getElementById('console-passphrase') as HTMLInputElement | null;
    if (pp) pp.value = '';
    this.#message.dataset.kind = 'wrongPassword';
    this.#loginError(text);
  }

  /** The box the remote screen gets, in CSS pixels: the screen element, which the stylesheet stretches to the window. */
  #box(): [number, number] {
    const rect = this.#screen.getBoundingClientRect();
    const height = rect.height > 0 ? rect.height : window.innerHeight - rect.top - 8;
    return [Math.max(320, Math.floor(rect.width)), Math.max(240, Math.floor(height))];
  }

  #onWindowResize(): void {
    if (this.via === 'console') {
      this.rescale();
      return;
    }
    // A guest's screen (terminal, desktop) follows the window: tell the server the new size.
    clearTimeout(this.#resizeTimer);
    this.#resizeTimer = setTimeout(() => {
      if (this.#client && this.state === 'connected') {
        const [w, h] = this.#box();
        this.#client.sendSize(w, h);
      }
    }, 150);
  }

  async connect(): Promise<void> {
    this.#teardown();
    this.#fatal = false;
    this.#hideMessage();
    this.#setStatus(this.state === 'reconnecting' ? MESSAGES.lost : 'Connecting…');
    if (this.state !== 'reconnecting') this.state = 'connecting';
    let answer: TokenAnswer;
    try {
      answer = await this.#mint();
    } catch (err) {
      if (err instanceof MintError && err.kind === 'badLogin') {
        this.state = 'failed';
        this.#setStatus('');
        this.#loginError(err.detail || 'The user name or password is not usable.');
        return;
      }
      this.#fail(err instanceof MintError && err.kind !== 'badLogin' ? err.kind : 'unreachable');
      return;
    }
    const tunnel = new Guacamole.WebSocketTunnel(tunnelAddress(answer.tunnelUrl));
    const client = new Guacamole.Client(tunnel);
    this.#client = client;
    const display = client.getDisplay();
    const element = display.getElement();
    element.classList.add('console-display');
    this.#screen.replaceChildren(element);
    display.onresize = () => this.rescale();

    tunnel.onerror = (status) => this.#onTunnelError(status);
    client.onerror = (status) => this.#onError(status);
    client.onstatechange = (state) => this.#onState(state);
    client.onclipboard = (stream, mimetype) => this.#receiveClipboard(stream, mimetype);
    client.onname = (name) => {
      document.title = `${name} · EarCandle`;
    };

    const mouse = new Guacamole.Mouse(element);
    mouse.onEach(['mousedown', 'mouseup', 'mousemove'], (e) => {
      client.sendMouseState((e as Guacamole.Mouse.Event).state, true);
    });
    const keyboard = new Guacamole.Keyboard(this.#screen);
    keyboard.onkeydown = (keysym) => {
      client.sendKeyEvent(1, keysym);
      return false;
    };
    keyboard.onkeyup = (keysym) => client.sendKeyEvent(0, keysym);
    this.#keyboard = keyboard;

    const [width, height] = this.#box();
    const dpi = Math.round(96 * (window.devicePixelRatio || 1));
    client.connect(`token=${encodeURIComponent(answer.token)}&width=${width}&height=${height}&dpi=${dpi}`);
    this.#screen.focus();
  }

  /** The remote screen's size in pixels (0×0 before the first frame). */
  size(): [number, number] {
    const d = this.#client?.getDisplay();
    return d ? [d.getWidth(), d.getHeight()] : [0, 0];
  }

  /** Fits the remote screen into the box, never enlarging past 1:1. */
  rescale(): void {
    const display = this.#client?.getDisplay();
    if (this.via !== 'console') {
      display?.scale(1);
      return;
    }
    if (!display || display.getWidth() === 0 || display.getHeight() === 0) return;
    const [boxWidth, boxHeight] = this.#box();
    const scale = Math.min(1, boxWidth / display.getWidth(), boxHeight / display.getHeight());
    display.scale(scale > 0 ? scale : 1);
  }

  /** Presses the keys in order and releases them in reverse, as one combination. */
  sendKeys(keys: readonly number[]): void {
    const c = this.#client;
    if (!c) return;
    for (const k of keys) c.sendKeyEvent(1, k);
    for (const k of [...keys].reverse()) c.sendKeyEvent(0, k);
    this.#screen.focus();
  }

  /** Fills the Keys drop-down (a <details>) with a button a combination; choosing one sends it and closes it. */
  #keysMenu(menu: HTMLElement | null): void {
    const list = menu?.querySelector('[data-console="keys"]');
    if (!(menu instanceof HTMLDetailsElement) || !list) return;
    for (const combo of KEY_COMBOS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = combo.label;
      button.addEventListener('click', () => {
        menu.open = false;
        this.sendKeys(combo.keys);
      });
      list.append(button);
    }
  }

  async fullscreen(): Promise<void> {
    const target = document.getElementById('console') ?? this.#screen;
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await target.requestFullscreen();
    } catch {
      // the browser refused (no user gesture, iframe …): nothing to do
    }
    this.#screen.focus();
  }

  sendClipboard(text: string): void {
    const c = this.#client;
    if (!c || this.state !== 'connected') return;
    const writer = new Guacamole.StringWriter(c.createClipboardStream('text/plain'));
    writer.sendText(text);
    writer.sendEnd();
  }

  async startMachine(): Promise<void> {
    this.#startButton.disabled = true;
    this.#setStatus(MESSAGES.starting);
    try {
      const res = await fetch(`/api/v1/vms/${this.#vmId}/power`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ action: 'start' }),
        credentials: 'same-origin',
      });
      if (res.status === 404 || res.status === 403) return this.#fail('noAccess');
      if (!res.ok) return this.#fail('unreachable');
      // Wait for the machine to report running, then connect.
      for (let i = 0; i < 60; i++) {
        await sleep(1000);
        if ((await this.#vmState()) === 'running') {
          this.#startButton.disabled = false;
          this.#retries = 0;
          await this.connect();
          return;
        }
      }
      this.#fail('unreachable');
    } catch {
      this.#fail('unreachable');
    } finally {
      this.#startButton.disabled = false;
    }
  }

  #onState(state: number): void {
    // Guacamole.Client.State: 0 IDLE, 1 CONNECTING, 2 WAITING, 3 CONNECTED, 4 DISCONNECTING, 5 DISCONNECTED
    if (state === 3) {
      this.state = 'connected';
      this.#everConnected = true;
      this.#retries = 0;
      this.#setStatus('');
      show(this.#reconnectButton, false);
      this.rescale();
    } else if (state === 5) {
      if (this.#fatal || this.state === 'closed' || this.state === 'failed') return;
      this.#dropped();
    }
  }

  /** A drop without a reported cause: reconnect with a fresh token, a few times, then offer a button. */
  #dropped(): void {
    if (!this.#everConnected || this.#retries >= MAX_RETRIES) {
      this.#fail('unreachable');
      return;
    }
    this.#retries++;
    this.state = 'reconnecting';
    this.#setStatus(MESSAGES.lost);
    setTimeout(() => void this.connect(), 500 * 2 ** (this.#retries - 1));
  }

  /**
   * The tunnel itself failed (the server's own refusals and errors come as `error` instructions, to
   * client.onerror). On an established console that is a drop, whatever code the browser gives the closed
   * WebSocket (a lost network reads as 1006, which guacamole-common-js maps to UPSTREAM_NOT_FOUND, "the
   * machine's screen is unreachable"): reconnect. Before that, the status says why the console did not open.
   */
  #onTunnelError(status: Guacamole.Status): void {
    if (!this.#fatal && this.#everConnected && this.state === 'connected') {
      this.#fatal = true;
      this.#dropped();
      return;
    }
    this.#onError(status);
  }

  #onError(status: Guacamole.Status): void {
    if (this.#fatal) return;
    const code = status.code;
    if (this.via !== 'console' && this.#guestError(code, status.message ?? '')) return;
    if (code === STATUS.UPSTREAM_NOT_FOUND) {
      this.#fatal = true;
      void this.#vmState().then((s) => this.#fail(s === 'running' ? 'unreachable' : 'off'));
      return;
    }
    if (code === STATUS.CLIENT_FORBIDDEN) return this.#failFatal('noAccess');
    if (code === STATUS.RESOURCE_NOT_FOUND) return this.#failFatal('gone');
    if (code === STATUS.CLIENT_UNAUTHORIZED || code === STATUS.CLIENT_TIMEOUT) {
      // Our token was refused (expired on a slow link, used twice): a fresh one may work.
      if (this.#retries < MAX_RETRIES) {
        this.#retries++;
        this.#fatal = true;
        this.state = 'reconnecting';
        setTimeout(() => void this.connect(), 300);
        return;
      }
      return this.#failFatal('unreachable');
    }
    // Anything else is a drop of an established console (reconnect) or a failure to reach it.
    if (this.#everConnected && this.state === 'connected') {
      this.#fatal = true;
      this.#dropped();
      return;
    }
    this.#failFatal('unreachable');
  }

  /**
   * Refusals by the guest itself (reported by the daemon, after the tunnel admitted the session): wrong
   * login, changed host key, nothing listening. The tunnel's own refusals (token, access) use fixed
   * sentences and fall through to the screen's handling.
   */
  #guestError(code: number, message: string): boolean {
    if (code === STATUS.CLIENT_UNAUTHORIZED && /^Authentication failed/.test(message)) {
      this.#askAgain(MESSAGES.wrongPassword);
      return true;
    }
    if (code === STATUS.CLIENT_FORBIDDEN && /^Host key (mismatch|.* was not accepted)/.test(message)) {
      this.#failFatal('hostKeyChanged');
      return true;
    }
    if (code === STATUS.UPSTREAM_NOT_FOUND) {
      this.#fatal = true;
      void this.#vmState().then((s) => this.#fail(s === 'running' || s === undefined ? 'guestUnreachable' : 'off'));
      return true;
    }
    return false;
  }

  #failFatal(kind: FailureKind): void {
    this.#fatal = true;
    this.#fail(kind);
  }

  #fail(kind: FailureKind): void {
    this.state = 'failed';
    this.#teardown();
    this.#setStatus('');
    const p = this.#message.querySelector('p');
    if (p) p.textContent = this.#text(kind);
    this.#message.dataset.kind = kind;
    show(this.#message, true);
    show(this.#startButton, !(kind !== 'off'));
    show(this.#reconnectButton, !(kind === 'noAccess' || kind === 'gone' || kind === 'off' || kind === 'hostKeyChanged' || kind === 'noAddress'));
  }

  #text(kind: FailureKind): string {
    if (kind === 'hostKeyChanged') {
      const since = this.#hostKeySince ? new Date(this.#hostKeySince) : undefined;
      return since && !Number.isNaN(since.getTime())
        ? `The machine's SSH key has changed since ${since.toISOString().slice(0, 10)} — ask an administrator.`
        : MESSAGES.hostKeyChanged;
    }
    if (kind === 'guestUnreachable') return `The machine did not answer on its ${WAY_NAME[this.via]} port. Is it up, and is the service running?`;
    return MESSAGES[kind];
  }

  #hideMessage(): void {
    show(this.#message, false);
    delete this.#message.dataset.kind;
    show(this.#startButton, false);
    show(this.#reconnectButton, false);
  }

  #setStatus(text: string): void {
    this.#status.textContent = text;
    show(this.#status, !(text === ''));
  }

  #teardown(): void {
    const c = this.#client;
    this.#client = undefined;
    if (this.#keyboard) {
      this.#keyboard.onkeydown = null;
      this.#keyboard.onkeyup = null;
      this.#keyboard.reset();
      this.#keyboard = undefined;
    }
    if (c) {
      c.onstatechange = null;
      c.onerror = null;
      c.disconnect();
    }
  }

  #receiveClipboard(stream: Guacamole.InputStream, mimetype: string): void {
    if (!/^text\//.test(mimetype)) return;
    const reader = new Guacamole.StringReader(stream);
    let text = '';
    reader.ontext = (chunk) => {
      text += chunk;
    };
    reader.onend = () => {
      this.#clipboard.value = text;
      navigator.clipboard?.writeText(text).catch(() => undefined);
    };
  }

  async #mint(): Promise<TokenAnswer> {
    const res = await fetch(`/api/v1/vms/${this.#vmId}/console-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(this.via === 'console' ? { kind: 'console' } : { kind: this.via, credentials: this.#login }),
      credentials: 'same-origin',
    });
    if (res.status === 401 || res.status === 403 || res.status === 404) throw new MintError('noAccess');
    if (res.status === 410) throw new MintError('gone');
    if (this.via !== 'console' && (res.status === 400 || res.status === 409)) {
      const message = ((await res.json().catch(() => ({}))) as { error?: { message?: string } }).error?.message ?? '';
      throw new MintError(res.status === 400 ? 'badLogin' : /address/.test(message) ? 'noAddress' : 'unreachable', message);
    }
    if (!res.ok) throw new MintError('unreachable');
    const answer = (await res.json()) as TokenAnswer;
    this.#hostKeySince = answer.hostKey?.firstSeen;
    return answer;
  }

  async #vmState(): Promise<string | undefined> {
    try {
      const res = await fetch(`/api/v1/vms/${this.#vmId}`, { credentials: 'same-origin' });
      if (!res.ok) return undefined;
      return ((await res.json()) as { vm?: { state?: string } }).vm?.state;
    } catch {
      return undefined;
    }
  }
}

type FailureKind = 'off' | 'noAccess' | 'gone' | 'unreachable' | 'noAddress' | 'wrongPassword' | 'hostKeyChanged' | 'guestUnreachable';

class MintError extends Error {
  constructor(
    readonly kind: FailureKind | 'badLogin',
    readonly detail = '',
  ) {
    super(kind);
  }
}

/** [hidden] alone loses to the stylesheet's `button { display: … }`; set both. */
function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
  el.style.display = visible ? '' : 'none';
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the console page lacks #${id}`);
  return el as T;
}

/** ws(s)://<this host>/tunnel from the path the server gave. */
function tunnelAddress(path: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (root) {
  const page = new ConsolePage(root);
  (window as unknown as { earcandleConsole: ConsolePage }).earcandleConsole = page;
  page.start();
}
