import assert from 'node:assert/strict';
import { escapeHtml, html, jsonForScript, raw } from '../../../src/portal/html.js';

describe('html', () => {
  it('escapes every interpolated value', () => {
    const name = `<script>alert("x")</script>&'\``;
    assert.equal(html`<p title="${name}">${name}</p>`.value, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>');
  });
  it('keeps nested templates and raw constants, joins arrays, drops null, undefined and false', () => {
    const items = ['a<', 'b'];
    assert.equal(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${raw('<br>')}${0}`.value, '<ul><li>a&lt;</li><li>b</li></ul><br>0');
  });
  it('escapeHtml leaves plain text alone', () => {
    assert.equal(escapeHtml('plain text 123'), 'plain text 123');
  });
  it('jsonForScript cannot close a script element', () => {
    assert.doesNotMatch(jsonForScript({ a: '</script><b>&' }).value, /<|>|&/);
  });
});
