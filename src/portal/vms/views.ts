import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import { CREDENTIAL_LIMITS } from '../../console/index.js';
import type { CardCache, CardInputs, CardJob } from './card-cache.js';
import type { ActionView, GuestWay, VmDetail } from './service.js';

const STATE_TEXT: Record<string, string> = {
  running: 'Running',
  stopped: 'Stopped',
  paused: 'Paused',
  suspended: 'Suspended',
  gone: 'Gone',
  unknown: 'Unknown',
};

export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}" data-field="state">${STATE_TEXT[state] ?? state}</span>`;
}

export function jobLine(job: CardJob | null): Html {
  if (!job) return html`<span class="job" data-field="job"></span>`;
  const text = job.state === 'queued' ? `${job.action}: waiting…` : job.state === 'running' ? `${job.action}: in progress…` : job.state === 'failed' ? job.error ?? 'failed' : `${job.action}: done`;
  return html`<span class="job job-${job.state}" data-field="job">${text}</span>`;
}

/**
 * A VM's power buttons. Each submits the form it sits in, which carries the page's one CSRF field, to the
 * VM's own power route (formaction): no button depends on the session, so a card can be drawn once for all.
 */
function actionButtons(vmId: number, actions: readonly ActionView[]): Html {
  return html`${actions.map(
    (a) => html`<button formaction="/vms/${vmId}/power" name="action" value="${a.action}" class="${a.destructive ? 'danger' : 'primary'}"${a.destructive ? html` data-confirm="yes"` : ''}>${a.label}</button>`,
  )}`;
}

export const WAY_LABEL: Record<'console' | GuestWay, string> = { console: 'Screen', ssh: 'SSH', rdp: 'Remote desktop (RDP)', vnc: 'VNC' };

/** The ways in: the screen (PVE console) and, while the machine runs, the guest's own ssh/rdp/vnc. */
function consoleButton(vm: Pick<CardInputs, 'id' | 'state' | 'guestWays'>): Html {
  const on = vm.state === 'running' || vm.state === 'paused';
  const screen = on ? html`<a class="button" href="/vms/${vm.id}/console" data-field="console">${WAY_LABEL.console}</a>` : html`<span data-field="console"></span>`;
  if (vm.guestWays.length === 0) return screen;
  return html`${screen} <span class="ways" data-field="ways" ${on ? '' : html`hidden`}>${vm.guestWays.map(
    (w) => html`<a class="button" href="/vms/${vm.id}/console?via=${w}" data-way="${w}">${WAY_LABEL[w]}</a> `,
  )}</span>`;
}

/** One card of "my machines"; it shows only its inputs (CardCache keeps it until one of them changes). */
export function vmCard(vm: CardInputs): string {
  return html`<article class="vm" data-vm-id="${vm.id}" data-state="${vm.state}"><h2><a href="/vms/${vm.id}">${vm.name}</a></h2>
<p>${stateBadge(vm.state)} ${jobLine(vm.job)}</p>
<div class="actions" data-field="actions">${actionButtons(vm.id, vm.actions)}</div>
<p>${consoleButton(vm)}</p></article>
`.value;
}

const LIST_END = Buffer.from('</div>\n</form>');

/**
 * "My machines" as UTF-8 parts: the cards come ready from the cache; one form around them all carries the
 * session's CSRF token.
 */
export function myMachines(vms: readonly CardInputs[], csrf: string, admin: boolean, cards: CardCache): Buffer[] {
  if (vms.length === 0) {
    return [Buffer.from(html`<h1>My machines</h1><p class="empty">You have no machines yet. ${admin ? 'Add a cluster under Administration.' : 'Ask an administrator to give you one.'}</p>`.value)];
  }
  const parts = new Array<Buffer>(vms.length + 2);
  parts[0] = Buffer.from(html`<h1>My machines</h1>
<p class="live-status" id="live-status" aria-live="polite"></p>
<form method="post" class="power">${csrfField(csrf)}
<div class="vms">
`.value);
  for (let i = 0; i < vms.length; i += 1) parts[i + 1] = cards.get(vms[i]!);
  parts[vms.length + 1] = LIST_END;
  return parts;
}

export function vmPage(vm: VmDetail, csrf: string): Html {
  return html`<p><a href="/">← My machines</a></p>
<article class="vm vm-detail" data-vm-id="${vm.id}" data-state="${vm.state}">
  <h1>${vm.name}</h1>
  <p>${stateBadge(vm.state)} ${jobLine(vm.job)}</p>
  <form method="post" action="/vms/${vm.id}/power" class="actions" data-field="actions">${csrfField(csrf)}${actionButtons(vm.id, vm.actions)}</form>
  <p>${consoleButton(vm)}</p>
  <dl class="facts">
    <dt>Address</dt><dd>${vm.ipv4 ?? 'not known'}</dd>
    <dt>Cluster</dt><dd>${vm.cluster} (node ${vm.node}, id ${vm.vmid})</dd>
  </dl>
</article>
<section>
<h2>History</h2>
${vm.events.length === 0
  ? html`<p class="empty" id="history">Nothing has happened to this machine yet.</p>`
  : html`<table class="history" id="history"><thead><tr><th>When</th><th>What</th><th>Who</th><th>Details</th></tr></thead><tbody>
  ${vm.events.map((e) => html`<tr><td><time datetime="${e.at.toISOString()}">${e.at.toISOString().replace('T', ' ').slice(0, 19)}</time></td><td>${e.kind}</td><td>${e.actor ?? ''}</td><td>${e.detail ?? ''}</td></tr>`)}
  </tbody></table>`}
</section>`;
}

export function confirmPage(vm: { id: number; name: string }, action: ActionView, csrf: string): Html {
  return html`<h1>${action.label}: ${vm.name}?</h1>
<p>${action.action === 'shutdown' ? 'The machine is asked to shut down. Unsaved work inside it may be lost.' : 'This interrupts the machine at once. Unsaved work inside it is lost.'}</p>
<form method="post" action="/vms/${vm.id}/power">${csrfField(csrf)}<input type="hidden" name="confirm" value="yes">
<button name="action" value="${action.action}" class="danger">Yes, ${action.label.toLowerCase()}</button> <a href="/vms/${vm.id}">Cancel</a></form>`;
}

/**
 * The credentials form of a guest way in (ssh/rdp/vnc): filled before connecting; the values go only into
 * the token request (web/src/console.ts), never into a URL or a page. autocomplete is off for the guest's
 * password: it is not the portal's.
 */
function credentialsForm(via: GuestWay): Html {
  return html`<form id="console-login" class="console-login narrow" autocomplete="off">
  <h2>Log in to the machine (${WAY_LABEL[via]})</h2>
  <p id="console-login-error" class="flash error" role="alert" hidden></p>
  <label>User name <input name="username" id="console-username" required maxlength="${CREDENTIAL_LIMITS.username}" autocomplete="off" autocapitalize="none" spellcheck="false"></label>
  <label>Password <input name="password" id="console-password" type="password" maxlength="${CREDENTIAL_LIMITS.password}" autocomplete="off"></label>
  ${via === 'ssh'
    ? html`<details><summary>Use a private key instead</summary>
    <label>Private key (OpenSSH or PEM) <textarea name="privateKey" id="console-private-key" rows="6" cols="64" maxlength="${CREDENTIAL_LIMITS.privateKey}" spellcheck="false" autocomplete="off"></textarea></label>
    <label>Key passphrase (if any) <input name="passphrase" id="console-passphrase" type="password" maxlength="${CREDENTIAL_LIMITS.passphrase}" autocomplete="off"></label>
  </details>`
    : ''}
  <button type="submit" class="primary" id="console-login-submit">Connect</button>
</form>`;
}

/** The console page body; web/src/console.ts drives it (src/console owns both). */
export function consoleView(vm: { id: number; name: string }, guest?: { via: GuestWay; hasAddress: boolean }): Html {
  return html`<div id="console" class="console-page" data-vm-id="${vm.id}" data-via="${guest?.via ?? 'console'}" ${guest && !guest.hasAddress ? html`data-no-address="yes"` : ''}>
  <div class="console-bar">
    <a href="/vms/${vm.id}">← ${vm.name}</a>
    ${guest?.via === 'ssh'
      ? ''
      : html`<button type="button" id="console-cad" title="Send Ctrl-Alt-Del">Ctrl-Alt-Del</button>
    <details class="console-keys" id="console-keys"><summary title="Send a key combination your computer would keep for itself">Keys</summary><div class="console-menu" data-console="keys"></div></details>`}
    <button type="button" id="console-fullscreen">Full screen</button>
    <button type="button" id="console-reconnect" hidden>Reconnect</button>
    <details class="console-clipboard"><summary>Clipboard</summary>
      <textarea id="console-clipboard" rows="4" cols="40" aria-label="Clipboard: text copied in the machine appears here; change it to paste into the machine"></textarea>
    </details>
    <span id="console-status" role="status">Connecting…</span>
  </div>
  <div id="console-message" class="console-message" role="alert" hidden><p></p><button type="button" id="console-start" hidden>Start it</button></div>
  ${guest ? credentialsForm(guest.via) : ''}
  <div class="console-screen" data-console="screen"></div>
</div>`;
}
