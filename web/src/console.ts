// The console page: a Guacamole client on /tunnel, scaled to the window, with keyboard, mouse, clipboard both
// ways, Ctrl-Alt-Del, full screen, reconnect after a drop (a fresh token every time) and a plain message for
// every failure. It uses only the documented routes: POST /api/v1/vms/:id/console-token, GET /api/v1/vms/:id,
// POST /api/v1/vms/:id/power and the /tunnel WebSocket.
import Guacamole from 'guacamole-common-js';

interface TokenAnswer {
  token: string;
  tunnelUrl: string;
}

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
} as const;

const CTRL = 0xffe3;
const ALT = 0xffe9;
const DELETE = 0xffff;
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

  constructor(el: HTMLElement) {
    this.#vmId = Number(el.dataset.vmId);
    this.#screen = el.querySelector<HTMLElement>('[data-console="screen"]') ?? el;
    this.#status = byId('console-status');
    this.#message = byId('console-message');
    this.#startButton = byId<HTMLButtonElement>('console-start');
    this.#reconnectButton = byId<HTMLButtonElement>('console-reconnect');
    this.#clipboard = byId<HTMLTextAreaElement>('console-clipboard');
    byId('console-cad').addEventListener('click', () => this.ctrlAltDel());
    byId('console-fullscreen').addEventListener('click', () => void this.fullscreen());
    this.#reconnectButton.addEventListener('click', () => {
      this.#retries = 0;
      void this.connect();
    });
    this.#startButton.addEventListener('click', () => void this.startMachine());
    this.#clipboard.addEventListener('change', () => this.sendClipboard(this.#clipboard.value));
    window.addEventListener('resize', () => this.rescale());
    document.addEventListener('fullscreenchange', () => this.rescale());
    window.addEventListener('beforeunload', () => {
      this.state = 'closed';
      this.#client?.disconnect();
    });
    this.#screen.tabIndex = 0;
    this.#screen.addEventListener('mousedown', () => this.#screen.focus());
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
      this.#fail(err instanceof MintError ? err.kind : 'unreachable');
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

    tunnel.onerror = (status) => this.#onError(status);
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

    const rect = this.#screen.getBoundingClientRect();
    const width = Math.max(320, Math.round(rect.width));
    const height = Math.max(240, Math.round(rect.height || window.innerHeight - rect.top));
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
    if (!display || display.getWidth() === 0 || display.getHeight() === 0) return;
    const box = this.#screen.getBoundingClientRect();
    const boxHeight = document.fullscreenElement ? window.innerHeight : Math.max(240, window.innerHeight - box.top - 16);
    const scale = Math.min(1, box.width / display.getWidth(), boxHeight / display.getHeight());
    display.scale(scale > 0 ? scale : 1);
  }

  ctrlAltDel(): void {
    const c = this.#client;
    if (!c) return;
    c.sendKeyEvent(1, CTRL);
    c.sendKeyEvent(1, ALT);
    c.sendKeyEvent(1, DELETE);
    c.sendKeyEvent(0, DELETE);
    c.sendKeyEvent(0, ALT);
    c.sendKeyEvent(0, CTRL);
    this.#screen.focus();
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

  #onError(status: Guacamole.Status): void {
    if (this.#fatal) return;
    const code = status.code;
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

  #failFatal(kind: FailureKind): void {
    this.#fatal = true;
    this.#fail(kind);
  }

  #fail(kind: FailureKind): void {
    this.state = 'failed';
    this.#teardown();
    this.#setStatus('');
    const p = this.#message.querySelector('p');
    if (p) p.textContent = MESSAGES[kind];
    this.#message.dataset.kind = kind;
    show(this.#message, true);
    show(this.#startButton, !(kind !== 'off'));
    show(this.#reconnectButton, !(kind === 'noAccess' || kind === 'gone' || kind === 'off'));
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
      body: JSON.stringify({ kind: 'console' }),
      credentials: 'same-origin',
    });
    if (res.status === 401 || res.status === 403 || res.status === 404) throw new MintError('noAccess');
    if (res.status === 410) throw new MintError('gone');
    if (!res.ok) throw new MintError('unreachable');
    return (await res.json()) as TokenAnswer;
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

type FailureKind = 'off' | 'noAccess' | 'gone' | 'unreachable';

class MintError extends Error {
  constructor(readonly kind: FailureKind) {
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
  void page.connect();
}
