import assert from 'node:assert/strict';
import { CardCache, type CardInputs, type CardJob } from '../../../src/portal/vms/card-cache.js';
import type { ActionView } from '../../../src/portal/vms/service.js';
import { vmCard } from '../../../src/portal/vms/views.js';

const START: ActionView = { action: 'start', label: 'Start', destructive: false };
const STOP: ActionView = { action: 'stop', label: 'Stop (force)', destructive: true };

const BASE: CardInputs = {
  id: 7,
  name: 'alpha',
  state: 'stopped',
  actions: [START],
  job: { action: 'start', state: 'queued', error: null },
  guestWays: ['ssh'],
};

/** A renderer that shows every input, so a stale card is visible whichever input the cache failed to compare. */
function showAll(card: CardInputs): string {
  return JSON.stringify(card);
}

function counting(render: (card: CardInputs) => string): { render: (card: CardInputs) => string; calls: () => number } {
  let n = 0;
  return {
    render: (card) => {
      n += 1;
      return render(card);
    },
    calls: () => n,
  };
}

// One changed value per input, per field of the job and of an action. Typed as complete records: a field added
// to CardInputs, CardJob or ActionView does not compile here until it has a variant, and so a test.
const CARD_VARIANTS: { [K in keyof CardInputs]: CardInputs[K] } = {
  id: 8,
  name: 'beta',
  state: 'running',
  actions: [START, STOP],
  job: null,
  guestWays: ['rdp'],
};
const JOB_VARIANTS: { [K in keyof CardJob]: CardJob[K] } = { action: 'stop', state: 'failed', error: 'It did not start.' };
const ACTION_VARIANTS: { [K in keyof ActionView]: ActionView[K] } = { action: 'resume', label: 'Go', destructive: true };

describe('CardCache', () => {
  it('renders a card once and serves the same bytes while nothing changes', () => {
    const r = counting(showAll);
    const cache = new CardCache(r.render);
    const first = cache.get(BASE);
    const again = cache.get({ ...BASE, actions: [{ ...START }], job: { ...BASE.job! }, guestWays: [...BASE.guestWays] });
    assert.equal(r.calls(), 1);
    assert.equal(again, first);
    assert.equal(first.toString(), showAll(BASE));
  });

  for (const field of Object.keys(CARD_VARIANTS) as (keyof CardInputs)[]) {
    it(`draws the card again when its ${field} changes`, () => {
      const cache = new CardCache(showAll);
      cache.get(BASE);
      const changed = { ...BASE, [field]: CARD_VARIANTS[field] } as CardInputs;
      assert.equal(cache.get(changed).toString(), showAll(changed));
      assert.equal(cache.get(BASE).toString(), showAll(BASE), 'and back');
    });
  }

  for (const field of Object.keys(JOB_VARIANTS) as (keyof CardJob)[]) {
    it(`draws the card again when its job's ${field} changes`, () => {
      const cache = new CardCache(showAll);
      cache.get(BASE);
      const changed: CardInputs = { ...BASE, job: { ...BASE.job!, [field]: JOB_VARIANTS[field] } };
      assert.equal(cache.get(changed).toString(), showAll(changed));
    });
  }

  for (const field of Object.keys(ACTION_VARIANTS) as (keyof ActionView)[]) {
    it(`draws the card again when an action's ${field} changes`, () => {
      const cache = new CardCache(showAll);
      cache.get(BASE);
      const changed: CardInputs = { ...BASE, actions: [{ ...START, [field]: ACTION_VARIANTS[field] }] };
      assert.equal(cache.get(changed).toString(), showAll(changed));
    });
  }

  it('draws the card again when the guest ways come in another order', () => {
    const cache = new CardCache(showAll);
    const two: CardInputs = { ...BASE, guestWays: ['ssh', 'vnc'] };
    cache.get(two);
    const swapped: CardInputs = { ...BASE, guestWays: ['vnc', 'ssh'] };
    assert.equal(cache.get(swapped).toString(), showAll(swapped));
  });

  describe('keeps what it was given, not what the caller may change later', () => {
    it('its guest ways', () => {
      const cache = new CardCache(showAll);
      const ways: CardInputs['guestWays'][number][] = ['ssh', 'rdp'];
      cache.get({ ...BASE, guestWays: ways });
      ways.reverse();
      const now: CardInputs = { ...BASE, guestWays: ways };
      assert.equal(cache.get(now).toString(), showAll(now));
    });
    for (const [what, list] of [['a list', (a: ActionView) => [a]], ['a frozen list of a changeable action', (a: ActionView) => Object.freeze([a])]] as const) {
      it(`its actions (${what})`, () => {
        const cache = new CardCache(showAll);
        const action = { ...START };
        const actions = list(action);
        cache.get({ ...BASE, actions });
        action.label = 'Changed';
        const now: CardInputs = { ...BASE, actions };
        assert.equal(cache.get(now).toString(), showAll(now));
      });
    }
    it('its job', () => {
      const cache = new CardCache(showAll);
      const job = { ...BASE.job! };
      cache.get({ ...BASE, job });
      job.state = 'running';
      const now: CardInputs = { ...BASE, job };
      assert.equal(cache.get(now).toString(), showAll(now));
    });
  });

  it('keeps a frozen action list by reference and still compares another list by its contents', () => {
    const r = counting(showAll);
    const cache = new CardCache(r.render);
    const frozen = Object.freeze([Object.freeze({ ...START })]);
    cache.get({ ...BASE, actions: frozen });
    cache.get({ ...BASE, actions: frozen });
    cache.get({ ...BASE, actions: [{ ...START }] });
    assert.equal(r.calls(), 1, 'same contents, same card');
    const relabelled: CardInputs = { ...BASE, actions: Object.freeze([Object.freeze({ ...START, label: 'Power on' })]) };
    assert.equal(cache.get(relabelled).toString(), showAll(relabelled));
  });

  it('keeps one card per variant of a VM that users see with different ways in', () => {
    const r = counting(showAll);
    const cache = new CardCache(r.render);
    const teacher: CardInputs = { ...BASE, guestWays: ['ssh', 'rdp'] };
    const student: CardInputs = { ...BASE, guestWays: [] };
    for (let i = 0; i < 3; i += 1) {
      assert.equal(cache.get(teacher).toString(), showAll(teacher));
      assert.equal(cache.get(student).toString(), showAll(student));
    }
    assert.equal(r.calls(), 2);
  });

  it('holds at most its capacity, dropping the least recently used cards', () => {
    const r = counting(showAll);
    const cache = new CardCache(r.render, 10);
    const card = (id: number): CardInputs => ({ ...BASE, id });
    for (let id = 1; id <= 10; id += 1) cache.get(card(id));
    cache.get(card(1)); // 1 is now the most recently used, 2 and 3 the least
    assert.equal(r.calls(), 10);
    cache.get(card(11));
    assert.ok(cache.size <= 10, `${cache.size} cards`);
    const before = r.calls();
    for (const id of [1, 4, 5, 6, 7, 8, 9, 10, 11]) cache.get(card(id));
    assert.equal(r.calls(), before, 'the recently used stayed');
    cache.get(card(2));
    cache.get(card(3));
    assert.equal(r.calls(), before + 2, 'the least recently used went');
    assert.ok(cache.size <= 10, `${cache.size} cards`);
    assert.throws(() => new CardCache(showAll, 0), RangeError);
  });

  it('stays within a capacity of one', () => {
    const cache = new CardCache(showAll, 1);
    for (let id = 1; id <= 5; id += 1) assert.equal(cache.get({ ...BASE, id }).toString(), showAll({ ...BASE, id }));
    assert.equal(cache.size, 1);
  });

  it('serves the real card escaped, from the cache as when first drawn', () => {
    const cache = new CardCache(vmCard);
    const evil: CardInputs = { ...BASE, name: '<script>alert("x")</script>&', job: { action: 'start', state: 'failed', error: '<img src=x onerror=alert(1)>' } };
    const first = cache.get(evil).toString();
    const cached = cache.get({ ...evil }).toString();
    assert.equal(cached, first);
    assert.ok(!cached.includes('<script>') && !cached.includes('<img'), cached);
    assert.ok(cached.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;'), cached);
    assert.ok(cached.includes('&lt;img src=x onerror=alert(1)&gt;'), cached);
  });
});
