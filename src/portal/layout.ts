import { html, raw, type Html } from './html.js';

export interface PageUser {
  name: string;
  admin: boolean;
}

export interface PageOptions {
  title: string;
  user?: PageUser | undefined;
  csrfToken: string;
  body: Html;
  /** web/src/<script>.ts, served as /assets/<script>.js */
  script?: string;
  flash?: { kind: 'info' | 'error'; text: string } | undefined;
}

/** The page frame: header with the user and logout, a flash message, the body, one page script. */
export function layout(o: PageOptions): Html {
  return html`${layoutHead(o)}${o.body}${LAYOUT_TAIL}`;
}

/** The frame up to the body (for a body sent as ready buffers, followed by LAYOUT_TAIL). */
export function layoutHead(o: Omit<PageOptions, 'body'>): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${o.csrfToken}">
<title>${o.title} · EarCandle</title>
<link rel="stylesheet" href="/assets/styles.css">
${o.script ? html`<script type="module" src="/assets/${o.script}.js"></script>` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/">EarCandle</a>
  ${o.user
    ? html`<nav>
    <a href="/">My machines</a>
    ${o.user.admin ? html`<a href="/admin">Administration</a>` : ''}
    <span class="who">${o.user.name}</span>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${o.csrfToken}"><button class="link">Log out</button></form>
  </nav>`
    : ''}
</header>
<main>
${o.flash ? html`<p class="flash ${o.flash.kind}" role="status">${o.flash.text}</p>` : ''}
`;
}

/** The frame after the body. */
export const LAYOUT_TAIL = raw(`
</main>
</body>
</html>`);

/** A hidden CSRF field for a form. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}
