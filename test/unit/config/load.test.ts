import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { loadConfig, configKeys, requireSecret, ConfigError } from '../../../src/config/index.js';

const KEY = 'a'.repeat(64);
const base = { EARCANDLE_DB_URL: 'mysql://ec:pw@127.0.0.1:3306/earcandle' };

describe('loadConfig', () => {
  it('reads EARCANDLE_* variables and applies defaults', () => {
    const c = loadConfig({ env: { ...base, EARCANDLE_HTTP_PORT: '9090', EARCANDLE_REGISTRATION_ENABLED: 'true' } });
    assert.equal(c.http.port, 9090);
    assert.equal(c.http.bind, '127.0.0.1');
    assert.equal(c.registration.enabled, true);
    assert.equal(c.guacd.port, 4822);
    assert.equal(c.db.url.reveal(), base.EARCANDLE_DB_URL);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http));
  });

  it('names the key and what was expected when a value is bad', () => {
    assert.throws(
      () => loadConfig({ env: { ...base, EARCANDLE_HTTP_PORT: 'eighty' } }),
      (err: unknown) => err instanceof ConfigError && /http\.port \(EARCANDLE_HTTP_PORT\)/.test(err.message) && /number/.test(err.message),
    );
  });

  it('reports a missing database URL', () => {
    assert.throws(() => loadConfig({ env: {} }), /db \(EARCANDLE_DB\): missing|db\.url.*missing/);
  });

  it('refuses unknown variables and unknown file keys', () => {
    assert.throws(() => loadConfig({ env: { ...base, EARCANDLE_HTTP_PROT: '1' } }), /unknown configuration variable EARCANDLE_HTTP_PROT/);
    assert.throws(() => loadConfig({ env: base, overrides: { http: { prot: 1 } } }), /http.*unknown key "prot"/);
  });

  it('rejects a database URL that is not mysql://', () => {
    assert.throws(() => loadConfig({ env: { EARCANDLE_DB_URL: 'postgres://x@h/db' } }), /db\.url.*mysql:\/\//);
  });

  it('never shows secrets when printed, logged or serialised', () => {
    const c = loadConfig({
      env: {
        ...base,
        EARCANDLE_SECRETS_ENCRYPTION_KEY: KEY,
        EARCANDLE_SECRETS_SESSION_SECRET: 's'.repeat(40),
        EARCANDLE_MAIL_SMTP_URL: 'smtp://mailer:smtp-pw-42@127.0.0.1:2525',
      },
    });
    const shown = [inspect(c, { depth: 10 }), JSON.stringify(c), String(c.secrets.encryptionKey)].join('\n');
    assert.ok(!shown.includes(KEY) && !shown.includes('s'.repeat(40)) && !shown.includes(':pw@') && !shown.includes('smtp-pw-42'), shown);
    assert.equal(c.mail.smtpUrl?.reveal(), 'smtp://mailer:smtp-pw-42@127.0.0.1:2525');
    assert.equal(requireSecret(c, 'encryptionKey').reveal().length, 32);
  });

  it('asks for a secret a command needs by its variable name', () => {
    const c = loadConfig({ env: base });
    assert.throws(() => requireSecret(c, 'consoleTokenKey'), /EARCANDLE_SECRETS_CONSOLE_TOKEN_KEY/);
  });

  it('rejects a key of the wrong length', () => {
    assert.throws(() => loadConfig({ env: { ...base, EARCANDLE_SECRETS_ENCRYPTION_KEY: 'abcd' } }), /secrets\.encryptionKey.*32-byte/);
  });
});

describe('configKeys', () => {
  it('lists every key with its variable', () => {
    const keys = configKeys();
    assert.ok(keys.some((k) => k.path === 'db.url' && k.env === 'EARCANDLE_DB_URL'));
    assert.ok(keys.some((k) => k.path === 'sync.goneGraceSeconds' && k.env === 'EARCANDLE_SYNC_GONE_GRACE_SECONDS'));
    assert.equal(loadConfig({ env: { ...base, EARCANDLE_DHCP_KEA_DATABASE: 'kea' } }).dhcp.keaDatabase, 'kea');
  });
});
