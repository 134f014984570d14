import type { Request, Response } from 'express';
import { z } from 'zod';
import { ACTION_LABEL, DESTRUCTIVE, POWER_ACTIONS } from '../../jobs/index.js';
import { csrfToken } from '../csrf.js';
import { Html } from '../html.js';
import { layout, layoutHead, LAYOUT_TAIL } from '../layout.js';
import type { RouteTable } from '../route-table.js';
import { parseId } from '../route-table.js';
import { parse } from '../validate.js';
import type { VmService } from './service.js';
import { CardCache } from './card-cache.js';
import { confirmPage, consoleView, myMachines, vmCard, vmPage, WAY_LABEL } from './views.js';
import { NotFoundError } from '../errors.js';

/** Renders the console page for a VM the user may use (the console module replaces the placeholder). */
export type ConsolePage = (req: Request, res: Response, vm: { id: number; name: string }) => void | Promise<void>;

/** `?via=` of the console page: the guest's own ssh/rdp/vnc instead of the screen. */
export const consoleQuerySchema = z.object({ via: z.enum(['ssh', 'rdp', 'vnc'], 'Unknown way in.').optional() });

export const powerFormSchema = z.object({ action: z.enum(POWER_ACTIONS, 'Unknown action.'), confirm: z.literal('yes').optional() });

const TAIL = Buffer.from(LAYOUT_TAIL.value);

/** Sends a page in the layout; a body of ready UTF-8 buffers (my machines) is joined without re-encoding. */
export function sendPage(req: Request, res: Response, title: string, body: Html | readonly Buffer[], script?: string, status = 200): void {
  const flash = req.session.flash;
  delete req.session.flash;
  const frame = { title, user: req.user, csrfToken: csrfToken(req), flash, ...(script ? { script } : {}) };
  res.status(status).type('html');
  if (body instanceof Html) {
    res.send(layout({ ...frame, body }).value);
    return;
  }
  res.send(Buffer.concat([Buffer.from(layoutHead(frame).value), ...body, TAIL]));
}

export function vmRoutes(table: RouteTable, vms: VmService, consolePage?: ConsolePage): void {
  const cards = new CardCache(vmCard);
  table.add({ method: 'get', path: '/', access: 'user', api: false, summary: 'My machines' }, async (req, res) => {
    const list = await vms.list(req.user!);
    sendPage(req, res, 'My machines', myMachines(list, csrfToken(req), req.user!.admin, cards), 'vms');
  });

  table.add({ method: 'get', path: '/vms/:id', access: 'vm', api: false, summary: 'One machine: state, actions, history' }, async (req, res) => {
    const vm = await vms.detail(req.user!, parseId(req.params.id)!);
    sendPage(req, res, vm.name, vmPage(vm, csrfToken(req)), 'vms');
  });

  table.add({ method: 'post', path: '/vms/:id/power', access: 'vm', api: false, summary: 'Power action (form)' }, async (req, res) => {
    const id = parseId(req.params.id)!;
    const form = parse(powerFormSchema, req.body);
    if (DESTRUCTIVE.has(form.action) && form.confirm !== 'yes') {
      const vm = await vms.vm(req.user!, id);
      sendPage(req, res, 'Are you sure?', confirmPage(vm, { action: form.action, label: ACTION_LABEL[form.action], destructive: true }, csrfToken(req)));
      return;
    }
    const { created } = await vms.power(req.user!, id, form.action, req.ip ?? '');
    req.session.flash = { kind: 'info', text: created ? `${ACTION_LABEL[form.action]}: on its way.` : 'That is already in progress.' };
    res.redirect(303, `/vms/${id}`);
  });

  table.add({ method: 'get', path: '/vms/:id/console', access: 'vm', api: false, summary: 'Console of a machine: its screen, or ?via=ssh|rdp|vnc at the guest' }, async (req, res) => {
    const { via } = parse(consoleQuerySchema, req.query);
    if (via) {
      const vm = await vms.detail(req.user!, parseId(req.params.id)!);
      if (!vm.guestWays.includes(via)) throw new NotFoundError(`This machine has no ${WAY_LABEL[via]} connection for you.`);
      sendPage(req, res, `${WAY_LABEL[via]}: ${vm.name}`, consoleView(vm, { via, hasAddress: vm.ipv4 !== null }), 'console');
      return;
    }
    const vm = await vms.vm(req.user!, parseId(req.params.id)!);
    if (consolePage) return consolePage(req, res, vm);
    sendPage(req, res, `Console: ${vm.name}`, consoleView(vm), 'console');
  });
}
