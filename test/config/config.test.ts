import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, assertSecret, loadConfig } from '../../src/config/config.js';

describe('config', () => {
  it('has embedded defaults: SQLite under .tessera, port 3000, issuer on localhost', () => {
    const c = loadConfig({});
    assert.equal(c.databaseUrl, 'sqlite:.tessera/tessera.db');
    assert.equal(c.port, 3000);
    assert.equal(c.issuer, 'http://localhost:3000/');
  });

  it("reads the environment and adds the issuer's trailing slash", () => {
    const c = loadConfig({
      TESSERA_DATABASE_URL: 'postgres://db/x',
      TESSERA_ISSUER: 'https://auth.acme.test',
      PORT: '8443',
      HOST: '127.0.0.1',
    });
    assert.equal(c.databaseUrl, 'postgres://db/x');
    assert.equal(c.issuer, 'https://auth.acme.test/');
    assert.equal(c.port, 8443);
    assert.equal(c.host, '127.0.0.1');
  });

  it('names the setting that is wrong', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty' }),
      (e: Error) => e instanceof ConfigError && /PORT must be a port number/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ TESSERA_ISSUER: 'not a url' }),
      /TESSERA_ISSUER must be an absolute URL/,
    );
    assert.throws(
      () => loadConfig({ TESSERA_TLS_CERT: 'cert.pem' }),
      /TESSERA_TLS_CERT and TESSERA_TLS_KEY must be set together/,
    );
    assert.throws(
      () => loadConfig({ TESSERA_CLOCK_SKEW: '1m' }),
      /TESSERA_CLOCK_SKEW must be a whole number of seconds from 0 to 3600, got "1m"/,
    );
    assert.throws(
      () => loadConfig({ TESSERA_REFRESH_RETRY_WINDOW: '-1' }),
      /TESSERA_REFRESH_RETRY_WINDOW must be a whole number of seconds/,
    );
    assert.throws(() => assertSecret(''), /TESSERA_SECRET is not set/);
    assert.throws(() => assertSecret('short'), /TESSERA_SECRET is too short/);
  });
});
