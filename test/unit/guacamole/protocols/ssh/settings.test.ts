import assert from 'node:assert/strict';
import { parseSshSettings, SSH_ARG_NAMES, SshSettingsError } from '../../../../../guacamole/protocols/ssh/settings.js';

describe('ssh settings', () => {
  it('lists guacd\'s parameters in wire order', () => {
    assert.deepEqual(SSH_ARG_NAMES.slice(0, 7), ['hostname', 'host-key', 'port', 'username', 'password', 'font-name', 'font-size']);
    for (const name of ['private-key', 'passphrase', 'color-scheme', 'command', 'scrollback', 'terminal-type', 'backspace', 'read-only', 'disable-copy', 'disable-paste']) {
      assert.ok(SSH_ARG_NAMES.includes(name as (typeof SSH_ARG_NAMES)[number]), name);
    }
    assert.ok(SSH_ARG_NAMES.indexOf('private-key') < SSH_ARG_NAMES.indexOf('color-scheme'));
    assert.equal(new Set(SSH_ARG_NAMES).size, SSH_ARG_NAMES.length);
  });

  it('applies defaults for empty values', () => {
    const s = parseSshSettings({ hostname: 'vm1', port: '', 'font-size': '', scrollback: '' });
    assert.equal(s.port, 22);
    assert.equal(s.fontName, 'monospace');
    assert.equal(s.fontSize, 12);
    assert.equal(s.scrollback, 1000);
    assert.equal(s.backspace, 127);
    assert.equal(s.terminalType, 'xterm-256color');
    assert.equal(s.password, undefined);
    assert.equal(s.hostKey, undefined);
    assert.equal(s.readOnly, false);
  });

  it('reads the values given', () => {
    const s = parseSshSettings({
      hostname: '10.0.0.5', port: '2222', username: 'alice', password: 'pw', 'font-name': 'DejaVu Sans Mono', 'font-size': '14',
      'color-scheme': 'black-white', command: 'top', scrollback: '5000', 'terminal-type': 'xterm', backspace: '8',
      'read-only': 'true', 'disable-copy': 'true', 'server-alive-interval': '30', locale: 'de_DE.UTF-8', timezone: 'Europe/Berlin',
    });
    assert.deepEqual(
      [s.port, s.username, s.password, s.fontName, s.fontSize, s.colorScheme, s.command, s.scrollback, s.terminalType, s.backspace],
      [2222, 'alice', 'pw', 'DejaVu Sans Mono', 14, 'black-white', 'top', 5000, 'xterm', 8],
    );
    assert.deepEqual([s.readOnly, s.disableCopy, s.disablePaste, s.serverAliveInterval, s.locale, s.timezone], [true, true, false, 30, 'de_DE.UTF-8', 'Europe/Berlin']);
  });

  it('refuses bad values with one message naming each, without echoing secrets', () => {
    assert.throws(
      () => parseSshSettings({ hostname: '', port: '70000', 'font-size': 'big', 'terminal-type': 'x; rm -rf', password: 'sekrit' }),
      (e: unknown) =>
        e instanceof SshSettingsError &&
        e.code === 'SSH_BAD_SETTINGS' &&
        /hostname/.test(e.message) &&
        /port/.test(e.message) &&
        /font-size/.test(e.message) &&
        /terminal-type/.test(e.message) &&
        !e.message.includes('sekrit'),
    );
  });
});
