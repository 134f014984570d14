/**
 * The key and button events an X display delivers to its root window, read with `xev -root` (x11-utils):
 * what an application on a machine behind Xvnc would see. Events are parsed from xev's text blocks.
 */
import type { ChildProcess } from 'node:child_process';
import type { Xvnc } from './xvnc.js';

export interface XInputEvent {
  readonly type: 'KeyPress' | 'KeyRelease' | 'ButtonPress' | 'ButtonRelease';
  /** Pointer position on the root window. */
  readonly x: number;
  readonly y: number;
  /** Modifier and button state before the event (ShiftMask 0x1, Button1Mask 0x100 …). */
  readonly state: number;
  /** Keys: the keysym the X server's keymap gives, and the text XLookupString makes of it. */
  readonly keysym?: number;
  readonly text?: string;
  /** Buttons: 1 left, 2 middle, 3 right, 4 wheel up, 5 wheel down. */
  readonly button?: number;
}

const EVENT = /^(KeyPress|KeyRelease|ButtonPress|ButtonRelease) event/;

/** One xev block → an event, or undefined for other events. */
export function parseXevBlock(block: string): XInputEvent | undefined {
  const type = EVENT.exec(block.trimStart())?.[1] as XInputEvent['type'] | undefined;
  if (!type) return undefined;
  const root = /root:\((-?\d+),(-?\d+)\)/.exec(block);
  const state = /\bstate (0x[0-9a-f]+)/.exec(block);
  const keysym = /\(keysym (0x[0-9a-f]+),/.exec(block);
  const text = /XLookupString gives \d+ bytes: (?:\([0-9a-f ]*\) )?"(.*)"/.exec(block);
  const button = /\bbutton (\d+),/.exec(block);
  return {
    type,
    x: Number(root?.[1] ?? NaN),
    y: Number(root?.[2] ?? NaN),
    state: Number(state?.[1] ?? NaN),
    ...(keysym ? { keysym: Number(keysym[1]), text: text?.[1] ?? '' } : {}),
    ...(button ? { button: Number(button[1]) } : {}),
  };
}

/** Whether xev has written all of this event's lines (keys end with XFilterEvent's line, buttons with same_screen). */
function isComplete(block: string): boolean {
  if (!block.endsWith('\n')) return false;
  const type = EVENT.exec(block.trimStart())?.[1];
  if (type === 'KeyPress' || type === 'KeyRelease') return /XFilterEvent returns: \w+\n$/.test(block);
  if (type === 'ButtonPress' || type === 'ButtonRelease') return /same_screen \w+,?\n$/.test(block);
  return false;
}

export class XEventLog {
  readonly events: XInputEvent[] = [];
  #pending = '';
  #waiters = new Set<() => void>();
  #exited = false;

  private constructor(proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      this.#pending += chunk;
      // xev starts every event with a blank line, so the last block is complete only once its last line is in.
      const blocks = this.#pending.split('\n\n');
      this.#pending = isComplete(blocks.at(-1)!) ? '' : blocks.pop()!;
      for (const block of blocks) {
        const event = parseXevBlock(block);
        if (event) this.events.push(event);
      }
      for (const waiter of [...this.#waiters]) waiter();
    });
    proc.once('exit', () => {
      this.#exited = true;
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  /**
   * Starts xev on the root window and returns once it sees events: a probe key pressed with xdotool (XTEST)
   * until it shows up. The log starts empty after that.
   */
  static async start(xvnc: Xvnc, timeoutMs = 8000): Promise<XEventLog> {
    const log = new XEventLog(xvnc.spawn('xev', ['-root', '-event', 'keyboard', '-event', 'button']));
    const deadline = Date.now() + timeoutMs;
    while (!log.events.some((e) => e.type === 'KeyRelease')) {
      if (log.#exited) throw new Error('xev exited');
      if (Date.now() > deadline) throw new Error('xev saw no events');
      await xvnc.run('xdotool', ['key', 'Escape']);
      await log.waitFor(() => true, 200).catch(() => undefined);
    }
    log.events.length = 0;
    return log;
  }

  /** Resolves with the first event (from index `from` on) that matches; rejects after `timeoutMs`, listing what came. */
  waitFor(predicate: (e: XInputEvent) => boolean, timeoutMs = 5000, from = 0): Promise<XInputEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.slice(from).find(predicate);
        if (!found && !this.#exited) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        if (found) resolve(found);
        else reject(new Error(`xev exited; saw ${JSON.stringify(this.events.slice(from))}`));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no such X event within ${timeoutMs} ms; saw ${JSON.stringify(this.events.slice(from))}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
