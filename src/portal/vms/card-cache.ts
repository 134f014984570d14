import type { PlainState } from '../../jobs/index.js';
import type { ActionView, GuestWay, JobView } from './service.js';

/** Everything a card of "my machines" shows. The cache compares all of it, so it never serves a stale card. */
export interface CardInputs {
  readonly id: number;
  readonly name: string;
  readonly state: PlainState;
  readonly actions: readonly ActionView[];
  readonly job: CardJob | null;
  readonly guestWays: readonly GuestWay[];
}

/** What a card shows of its VM's queued or running job. */
export type CardJob = Pick<JobView, 'action' | 'state' | 'error'>;

interface Entry {
  readonly inputs: CardInputs;
  readonly html: Buffer;
  /** When it was last served (a tick of this cache): a hit writes a number, nothing is allocated. */
  used: number;
}

const WAY_BIT: Record<GuestWay, number> = { ssh: 1, rdp: 2, vnc: 4 };

/**
 * The markup of each card, rendered once and reused until one of its inputs changes: the page is then a join
 * of ready UTF-8 buffers. Bounded: past `capacity` cards the least recently used tenth goes at once (one sort
 * per tenth of the capacity, not per card). A VM whose cards differ between users (other guest ways in) keeps
 * one entry per variant.
 */
export class CardCache {
  readonly #entries = new Map<number, Entry>();
  #tick = 0;

  constructor(
    private readonly render: (card: CardInputs) => string,
    readonly capacity = 10_000,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(card: CardInputs): Buffer {
    const slot = slotOf(card);
    const hit = this.#entries.get(slot);
    this.#tick += 1;
    if (hit && sameCard(hit.inputs, card)) {
      hit.used = this.#tick;
      return hit.html;
    }
    const html = Buffer.from(this.render(card));
    this.#entries.set(slot, { inputs: snapshot(card), html, used: this.#tick });
    if (this.#entries.size > this.capacity) this.#evict();
    return html;
  }

  #evict(): void {
    const keep = this.capacity - Math.floor(this.capacity / 10);
    const oldestFirst = [...this.#entries].sort((a, b) => a[1].used - b[1].used);
    for (let i = 0; i < oldestFirst.length - keep; i += 1) this.#entries.delete(oldestFirst[i]![0]);
  }
}

function slotOf(card: CardInputs): number {
  let ways = 0;
  for (const w of card.guestWays) ways |= WAY_BIT[w];
  return card.id * 8 + ways;
}

/** A copy of exactly the inputs (not the caller's whole view, nor anything it might change later). */
function snapshot(card: CardInputs): CardInputs {
  return {
    id: card.id,
    name: card.name,
    state: card.state,
    actions: frozen(card.actions) ? card.actions : card.actions.map((a) => ({ action: a.action, label: a.label, destructive: a.destructive })),
    job: card.job ? { action: card.job.action, state: card.job.state, error: card.job.error } : null,
    guestWays: [...card.guestWays],
  };
}

function sameCard(a: CardInputs, b: CardInputs): boolean {
  return a.id === b.id && a.name === b.name && a.state === b.state && sameActions(a.actions, b.actions) && sameJob(a.job, b.job) && sameWays(a.guestWays, b.guestWays);
}

/** A list that cannot change, nor can its actions (the service's one list per state): kept, not copied. */
function frozen(actions: readonly ActionView[]): boolean {
  return Object.isFrozen(actions) && actions.every((a) => Object.isFrozen(a));
}

function sameActions(a: readonly ActionView[], b: readonly ActionView[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.action !== y.action || x.label !== y.label || x.destructive !== y.destructive) return false;
  }
  return true;
}

function sameJob(a: CardJob | null, b: CardJob | null): boolean {
  if (a === null || b === null) return a === b;
  return a.action === b.action && a.state === b.state && a.error === b.error;
}

function sameWays(a: readonly GuestWay[], b: readonly GuestWay[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
