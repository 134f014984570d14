/**
 * `GET /api/v1/vms` as JSON text, written field by field: the parts every VM of a state shares (its action
 * list, its guest-way list: frozen arrays, one per state or set of ways) are serialised once and reused, so a
 * list of 200 machines no longer stringifies 200 copies of the same five actions. The output parses to exactly
 * what `JSON.stringify({ vms })` gives (tests compare the two).
 */
import type { VmView } from '../vms/service.js';

type WrittenField = 'id' | 'name' | 'cluster' | 'node' | 'vmid' | 'state' | 'actions' | 'job' | 'guestWays';
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** Fails to compile when VmView's fields and the ones `vmListJson` writes differ. */
const EVERY_FIELD_WRITTEN: Same<keyof VmView, WrittenField> = true;
void EVERY_FIELD_WRITTEN;

const frozenJson = new WeakMap<object, string>();

/** JSON of a list; remembered only for frozen lists, whose text cannot change. */
function listJson(list: readonly unknown[]): string {
  let text = frozenJson.get(list);
  if (text === undefined) {
    text = JSON.stringify(list);
    if (Object.isFrozen(list) && list.every((item) => typeof item !== 'object' || item === null || Object.isFrozen(item))) frozenJson.set(list, text);
  }
  return text;
}

export function vmListJson(vms: readonly VmView[]): string {
  const parts: string[] = [];
  for (const v of vms) {
    parts.push(
      `{"id":${JSON.stringify(v.id)},"name":${JSON.stringify(v.name)},"cluster":${JSON.stringify(v.cluster)},"node":${JSON.stringify(v.node)},` +
        `"vmid":${JSON.stringify(v.vmid)},"state":${JSON.stringify(v.state)},"actions":${listJson(v.actions)},` +
        `"job":${JSON.stringify(v.job)},"guestWays":${listJson(v.guestWays)}}`,
    );
  }
  return `{"vms":[${parts.join(',')}]}`;
}
