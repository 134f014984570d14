import type { EntityManager } from 'typeorm';
import { SyncWriter } from '../db/index.js';
import { isEmpty, type ChangeSet } from './types.js';

export interface ApplyOptions {
  keaDatabase: string | null;
  keaSubnetId: number | null;
  now: Date;
}

/**
 * Writes a change set in ONE transaction on the given connection (the sync lock's); nothing at all when the
 * change set is empty. Returns the rows written (affected rows). A failure rolls everything back.
 */
export async function applyChanges(manager: EntityManager, cs: ChangeSet, options: ApplyOptions): Promise<number> {
  if (isEmpty(cs)) return 0;
  const qr = manager.queryRunner;
  if (!qr) throw new Error('applyChanges needs a manager bound to a query runner (the sync lock connection)');
  await qr.startTransaction();
  try {
    const w = new SyncWriter(qr.manager, cs.clusterId, options.keaDatabase);
    const now = options.now;
    let groupId = cs.groupId;
    if (cs.createGroup !== null) groupId = await w.createGroup(cs.createGroup);
    await w.insertVms(cs.vmInserts, now);
    for (const u of cs.vmUpdates) await w.updateVm(u.id, u.fields, now);
    await w.insertEvents(cs.events);
    for (const e of cs.eventActors) await w.setEventActor(e.id, e.actor, e.upid);
    await w.deleteConnections(cs.connectionDeletes);
    for (const u of cs.connectionUpdates) await w.updateConnection(u);
    for (const r of cs.revokes) await w.revoke(r.connectionId, r.entityId);
    for (const g of cs.grants) await w.grant(g.connectionId, g.entityId);
    if (cs.connectionInserts.length > 0) {
      if (groupId === null) throw new Error('sync: connections to insert but no connection group');
      await w.insertConnections(groupId, cs.connectionInserts);
    }
    const subnet = options.keaSubnetId;
    if (subnet !== null) {
      for (const r of cs.reservationReleases) await w.releaseReservation(subnet, r, now);
      for (const r of cs.reservationUpdates) await w.updateReservation(subnet, r);
      await w.insertReservations(subnet, cs.reservationInserts);
    }
    await qr.commitTransaction();
    return w.written;
  } catch (err) {
    await qr.rollbackTransaction();
    throw err;
  }
}
