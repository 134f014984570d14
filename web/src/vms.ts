// "My machines" and the machine page: power buttons without reload, and live state through Server-Sent Events.

interface ActionView {
  action: string;
  label: string;
  destructive: boolean;
}
interface JobView {
  id: number;
  vmId: number | null;
  action: string;
  state: string;
  error: string | null;
}
interface VmView {
  id: number;
  name: string;
  state: string;
  actions: ActionView[];
  job: JobView | null;
}

const STATE_TEXT: Record<string, string> = { running: 'Running', stopped: 'Stopped', paused: 'Paused', suspended: 'Suspended', gone: 'Gone', unknown: 'Unknown' };
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

function card(vmId: number): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-vm-id="${vmId}"]`);
}

function jobText(job: JobView): string {
  if (job.state === 'queued') return `${job.action}: waiting…`;
  if (job.state === 'running') return `${job.action}: in progress…`;
  if (job.state === 'failed') return job.error ?? `${job.action} failed`;
  return `${job.action}: done`;
}

function showJob(vmId: number, job: JobView | null, keepFinished = false): void {
  const el = card(vmId)?.querySelector<HTMLElement>('[data-field="job"]');
  if (!el) return;
  if (!job) {
    if (!keepFinished) {
      el.textContent = '';
      el.className = 'job';
    }
    return;
  }
  el.textContent = jobText(job);
  el.className = `job job-${job.state}`;
}

// The buttons sit in a form carrying the page's CSRF field (one around all cards on "my machines", the
// machine page's own), and each names its VM's power route, as the server renders them.
function renderActions(vm: VmView): void {
  const slot = card(vm.id)?.querySelector<HTMLElement>('[data-field="actions"]');
  if (!slot) return;
  for (const b of [...slot.querySelectorAll('button')]) b.remove();
  for (const a of vm.actions) {
    const b = document.createElement('button');
    b.formAction = `/vms/${vm.id}/power`;
    b.name = 'action';
    b.value = a.action;
    b.textContent = a.label;
    b.className = a.destructive ? 'danger' : 'primary';
    if (a.destructive) b.dataset.confirm = 'yes';
    b.disabled = vm.job !== null;
    slot.append(b);
  }
}

function renderConsole(vm: VmView): void {
  const slot = card(vm.id)?.querySelector<HTMLElement>('[data-field="console"]');
  if (!slot) return;
  const wanted = vm.state === 'running' || vm.state === 'paused';
  // The guest's own ways in (ssh/rdp/vnc), rendered by the server, show only while the machine runs.
  const ways = card(vm.id)?.querySelector<HTMLElement>('[data-field="ways"]');
  if (ways) ways.hidden = !wanted;
  if (wanted && slot.tagName !== 'A') {
    const a = document.createElement('a');
    a.className = 'button';
    a.href = `/vms/${vm.id}/console`;
    a.dataset.field = 'console';
    a.textContent = 'Screen';
    slot.replaceWith(a);
  } else if (!wanted && slot.tagName === 'A') {
    const span = document.createElement('span');
    span.dataset.field = 'console';
    slot.replaceWith(span);
  }
}

function applyVm(vm: VmView): void {
  const el = card(vm.id);
  if (!el) return;
  el.dataset.state = vm.state;
  const badge = el.querySelector<HTMLElement>('[data-field="state"]');
  if (badge) {
    badge.textContent = STATE_TEXT[vm.state] ?? vm.state;
    badge.className = `state state-${vm.state}`;
  }
  showJob(vm.id, vm.job, true);
  renderActions(vm);
  renderConsole(vm);
}

async function power(vmId: number, action: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const res = await fetch(`/api/v1/vms/${vmId}/power`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ action }),
      credentials: 'same-origin',
    });
    const body = (await res.json()) as { job?: JobView; error?: { message: string } };
    if (!res.ok) {
      showJob(vmId, { id: 0, vmId, action, state: 'failed', error: body.error?.message ?? 'That did not work.' });
      button.disabled = false;
      return;
    }
    if (body.job) showJob(vmId, body.job);
  } catch {
    showJob(vmId, { id: 0, vmId, action, state: 'failed', error: 'The gateway cannot be reached. Check your connection.' });
    button.disabled = false;
  }
}

document.addEventListener('click', (ev) => {
  const button = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-field="actions"] button[name="action"]');
  if (!button) return;
  ev.preventDefault();
  const el = button.closest<HTMLElement>('[data-vm-id]');
  const vmId = Number(el?.dataset.vmId);
  const name = el?.querySelector('h1, h2')?.textContent?.trim() ?? 'this machine';
  if (button.dataset.confirm === 'yes' && !window.confirm(`${button.textContent ?? button.value}: ${name}? Unsaved work inside it may be lost.`)) return;
  void power(vmId, button.value, button);
});

const status = document.getElementById('live-status');
if (document.querySelector('[data-vm-id]')) {
  const source = new EventSource('/api/v1/events', { withCredentials: true });
  source.addEventListener('vm', (e) => applyVm(JSON.parse((e as MessageEvent<string>).data) as VmView));
  source.addEventListener('job', (e) => {
    const job = JSON.parse((e as MessageEvent<string>).data) as JobView;
    if (job.vmId !== null && (job.state === 'failed' || job.state === 'succeeded')) showJob(job.vmId, job);
  });
  source.addEventListener('open', () => {
    if (status) status.textContent = '';
  });
  source.addEventListener('error', () => {
    if (status) status.textContent = 'Live updates paused; reconnecting…';
  });
}
