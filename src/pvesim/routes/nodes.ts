import type { Route, RouteRequest } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { may, requirePriv } from '../guards.js';
import { parseBool } from '../schema.js';
import { parseUpid, type SimTask } from '../tasks.js';

function taskOf(req: RouteRequest): SimTask {
  const node = str(req.params, 'node')!;
  const upid = str(req.params, 'upid')!;
  const parsed = parseUpid(upid);
  if (!parsed) throw new PveError(400, 'Parameter verification failed.', { upid: 'unable to parse worker upid' });
  if (parsed.node !== node) throw new PveError(400, `upid does not belong to node '${node}'`);
  const task = req.sim.tasks.get(upid);
  if (!task) throw new PveError(500, `can't open file - No such file or directory`);
  const own = task.user === req.who.authid || task.user === req.who.userid;
  if (!own) requirePriv(req, `/nodes/${node}`, ['Sys.Audit']);
  return task;
}

function taskSummary(t: SimTask): Record<string, unknown> {
  const r: Record<string, unknown> = { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
  if (t.status === 'stopped') {
    r.status = t.exitstatus;
    r.endtime = t.endtime;
  }
  return r;
}

/** GET /nodes, task list, status and log. */
export const nodeRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes',
    handler(req) {
      return [...req.sim.state.nodes.values()]
        .map((n) => {
          const online = n.online && !req.sim.faults.offlineNodes.has(n.name);
          const audit = may(req, `/nodes/${n.name}`, ['Sys.Audit']);
          const r: Record<string, unknown> = { node: n.name, status: online ? 'online' : 'offline', level: '', ssl_fingerprint: '00:11:22:33' };
          if (audit && online) Object.assign(r, { maxcpu: n.maxcpu, maxmem: n.maxmem, cpu: 0.02, mem: Math.floor(n.maxmem / 4), uptime: Math.floor(process.uptime()) });
          return r;
        });
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/tasks',
    handler(req) {
      const node = str(req.params, 'node')!;
      const audit = may(req, `/nodes/${node}`, ['Sys.Audit']);
      const vmid = str(req.params, 'vmid');
      const typefilter = str(req.params, 'typefilter');
      const userfilter = str(req.params, 'userfilter');
      const source = str(req.params, 'source') ?? 'archive';
      const errorsOnly = parseBool(req.params.errors) ?? false;
      const start = Number(str(req.params, 'start') ?? 0);
      const limit = Number(str(req.params, 'limit') ?? 50);
      const list = req.sim.tasks
        .list(node)
        .filter((t) => audit || t.user === req.who.authid || t.user === req.who.userid)
        .filter((t) => vmid === undefined || t.id === vmid)
        .filter((t) => !typefilter || t.type === typefilter)
        .filter((t) => !userfilter || t.user.includes(userfilter))
        .filter((t) => source === 'all' || (source === 'active' ? t.status === 'running' : t.status === 'stopped'))
        .filter((t) => !errorsOnly || (t.status === 'stopped' && t.exitstatus !== 'OK'))
        .reverse();
      return list.slice(start, start + limit).map(taskSummary);
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/tasks/{upid}/status',
    handler(req) {
      const t = taskOf(req);
      const r: Record<string, unknown> = { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user, status: t.status };
      if (t.status === 'stopped') r.exitstatus = t.exitstatus;
      return r;
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/tasks/{upid}/log',
    handler(req) {
      const t = taskOf(req);
      const start = Number(str(req.params, 'start') ?? 0);
      const limit = Number(str(req.params, 'limit') ?? 50);
      const lines = t.log.length ? t.log : ['no content'];
      return lines.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
    },
  },
];
