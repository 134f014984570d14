import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';

export function loginForm(o: { csrf: string; name?: string; next?: string; error?: string; registration: boolean; message?: string }): Html {
  return html`<section class="narrow">
<h1>Log in</h1>
${o.message ? html`<p class="flash info">${o.message}</p>` : ''}
${o.error ? html`<p class="flash error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/login" class="stack">
  ${csrfField(o.csrf)}
  ${o.next ? html`<input type="hidden" name="next" value="${o.next}">` : ''}
  <label>User name <input name="name" autocomplete="username" required maxlength="128" value="${o.name ?? ''}" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
  <button class="primary">Log in</button>
</form>
<p><a href="/forgot-password">Forgot your password?</a>${o.registration ? html` · <a href="/register">Create an account</a>` : ''}</p>
</section>`;
}

export function registerForm(o: { csrf: string; name?: string; email?: string; error?: string }): Html {
  return html`<section class="narrow">
<h1>Create an account</h1>
${o.error ? html`<p class="flash error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/register" class="stack">
  ${csrfField(o.csrf)}
  <label>User name <input name="name" autocomplete="username" required maxlength="64" value="${o.name ?? ''}"></label>
  <label>E-mail address <input name="email" type="email" autocomplete="email" required maxlength="254" value="${o.email ?? ''}"></label>
  <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="1024"></label>
  <label>Password again <input name="password2" type="password" autocomplete="new-password" required minlength="10" maxlength="1024"></label>
  <p class="hint">At least 10 characters, not containing your user name.</p>
  <button class="primary">Create account</button>
</form>
<p><a href="/login">Back to log in</a></p>
</section>`;
}

export function messagePage(title: string, text: string, link?: { href: string; text: string }): Html {
  return html`<section class="narrow"><h1>${title}</h1><p>${text}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}</section>`;
}

export function forgotForm(o: { csrf: string; error?: string }): Html {
  return html`<section class="narrow">
<h1>Forgot your password?</h1>
${o.error ? html`<p class="flash error" role="alert">${o.error}</p>` : ''}
<p>Give the e-mail address of your account; we send you a link to choose a new password.</p>
<form method="post" action="/forgot-password" class="stack">
  ${csrfField(o.csrf)}
  <label>E-mail address <input name="email" type="email" autocomplete="email" required maxlength="254"></label>
  <button class="primary">Send the link</button>
</form>
<p><a href="/login">Back to log in</a></p>
</section>`;
}

export function resetForm(o: { csrf: string; token: string; error?: string }): Html {
  return html`<section class="narrow">
<h1>Choose a new password</h1>
${o.error ? html`<p class="flash error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/reset-password" class="stack">
  ${csrfField(o.csrf)}
  <input type="hidden" name="token" value="${o.token}">
  <label>New password <input name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="1024"></label>
  <label>New password again <input name="password2" type="password" autocomplete="new-password" required minlength="10" maxlength="1024"></label>
  <button class="primary">Set password</button>
</form>
</section>`;
}

export function logoutForm(csrf: string): Html {
  return html`<section class="narrow"><h1>Log out?</h1><form method="post" action="/logout">${csrfField(csrf)}<button class="primary">Log out</button></form></section>`;
}
