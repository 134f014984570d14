import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { LiveFeed, type FeedSource } from '../../../src/portal/live-feed.js';
import type { Principal } from '../../../src/portal/types.js';
import { VmService, type VmLiveView, type VmServiceDeps } from '../../../src/portal/vms/service.js';

/** Just enough of an express Response for an event stream: what was written, and a close to emit. */
class StreamResponse extends EventEmitter {
  readonly written: string[] = [];
  status(): this {
    return this;
  }
  set(): this {
    return this;
  }
  flushHeaders(): void {}
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  end(): void {}
  events(): string[] {
    return this.written.filter((t) => t.startsWith('event: '));
  }
}

const user: Principal = { entityId: 7, name: 'alice', state: 'active', admin: false };

function view(id: number, state: VmLiveView['state']): VmLiveView {
  return { id, name: `vm${id}`, cluster: 'c', node: 'n', vmid: 100 + id, state, actions: [], job: null };
}

describe('LiveFeed', () => {
  it('#subscribe sends the first snapshot and keeps the stream until it closes', async () => {
    const source: FeedSource = { visibleIds: async () => [1], views: async (ids) => ids.map((id) => view(id, 'running')), jobsChangedSince: async () => [] };
    const feed = new LiveFeed(source);
    const res = new StreamResponse();
    await feed.subscribe(user, res as unknown as Response);
    assert.equal(res.events().length, 1);
    assert.equal(feed.size, 1);
    res.emit('close');
    assert.equal(feed.size, 0);
  });

  it('#subscribe does not keep a stream that closed while its snapshot was being read', async () => {
    const res = new StreamResponse();
    const source: FeedSource = {
      visibleIds: async () => {
        res.emit('close');
        return [1];
      },
      views: async (ids) => ids.map((id) => view(id, 'running')),
      jobsChangedSince: async () => [],
    };
    const feed = new LiveFeed(source);
    await feed.subscribe(user, res as unknown as Response);
    assert.equal(feed.size, 0);
  });

  it('a poll sends each subscriber only the changes of its own VMs', async () => {
    let state: VmLiveView['state'] = 'stopped';
    const source: FeedSource = {
      visibleIds: async (u) => (u.entityId === 7 ? [1] : [2]),
      views: async (ids) => ids.map((id) => view(id, state)),
      jobsChangedSince: async () => [],
    };
    const feed = new LiveFeed(source, { pollMs: 5 });
    const a = new StreamResponse();
    const b = new StreamResponse();
    await feed.subscribe(user, a as unknown as Response);
    await feed.subscribe({ ...user, entityId: 8, name: 'bob' }, b as unknown as Response);
    state = 'running';
    feed.start();
    try {
      for (let i = 0; i < 100 && (a.events().length < 2 || b.events().length < 2); i++) await new Promise((r) => setTimeout(r, 5));
    } finally {
      feed.stop();
    }
    assert.deepEqual(
      a.events().map((e) => (JSON.parse(e.split('data: ')[1]!) as VmLiveView).id),
      [1, 1],
    );
    assert.deepEqual(
      b.events().map((e) => (JSON.parse(e.split('data: ')[1]!) as VmLiveView).id),
      [2, 2],
    );
    assert.equal((JSON.parse(a.events()[1]!.split('data: ')[1]!) as VmLiveView).state, 'running');
  });
});

describe('VmService.views (what the live feed sends)', () => {
  it('is the list view without guest ways, which depend on the user and are not the feed\'s to tell', async () => {
    const vm = { id: 1, name: 'web', clusterName: 'lab', node: 'pve1', vmid: 100, status: 'running', qmpstatus: 'running', lockState: null, goneAt: null };
    const deps = {
      vms: { states: async () => [vm] },
      jobs: { activeForVms: async () => [] },
    } as unknown as VmServiceDeps;
    const [live] = await new VmService(deps).views([1]);
    assert.deepEqual(Object.keys(live!).sort(), ['actions', 'cluster', 'id', 'job', 'name', 'node', 'state', 'vmid']);
    assert.equal(live!.state, 'running');
  });
});
