/**
 * HTML templates: one tagged template (`html`) escapes every interpolated value unless it is already Html
 * (made by `html` itself or by `raw` for trusted constants). Arrays are joined.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const SPECIAL = /[&<>"'`]/;
const SPECIALS = /[&<>"'`]/g;

export function escapeHtml(text: string): string {
  // most values (names, ids, states) have nothing to escape: no copy for them
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] as string) : text;
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (typeof v === 'string') return escapeHtml(v);
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) {
    let out = '';
    for (const item of v as readonly Value[]) out += render(item);
    return out;
  }
  return escapeHtml(String(v as boolean));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i] as Value) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Trusted markup (constants written in this code base only). */
export function raw(text: string): Html {
  return new Html(text);
}

/** JSON for a <script type="application/json"> block: cannot close the element. */
export function jsonForScript(data: unknown): Html {
  return new Html(JSON.stringify(data).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'));
}
