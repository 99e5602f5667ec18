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

  it('retention: 30 days of logs and an hourly purge by default, both settable', () => {
    const d = loadConfig({});
    assert.equal(d.logRetentionDays, 30);
    assert.equal(d.purgeIntervalMinutes, 60);
    const c = loadConfig({ TESSERA_LOG_RETENTION_DAYS: '90', TESSERA_PURGE_INTERVAL_MINUTES: '0' });
    assert.equal(c.logRetentionDays, 90);
    assert.equal(c.purgeIntervalMinutes, 0);
    assert.throws(
      () => loadConfig({ TESSERA_LOG_RETENTION_DAYS: 'forever' }),
      /TESSERA_LOG_RETENTION_DAYS must be a whole number from 1 to 36500, got "forever"/,
    );
    assert.throws(
      () => loadConfig({ TESSERA_PURGE_INTERVAL_MINUTES: '-5' }),
      /TESSERA_PURGE_INTERVAL_MINUTES must be a whole number from 0 to 10080/,
    );
  });

  it('TESSERA_DATABASE_URL: accepts the documented forms only, naming them', () => {
    const ok = [
      'postgres://tessera@db.acme.test:5432/tessera',
      'postgresql://u:p@127.0.0.1/x',
      'sqlite:/var/lib/tessera/tessera.db',
      'sqlite:data/tessera.db',
      'sqlite:///abs/tessera.db',
      './tessera.db',
      '/var/lib/tessera/tessera.db',
      'tessera.sqlite3',
      ':memory:',
    ];
    for (const url of ok) assert.equal(loadConfig({ TESSERA_DATABASE_URL: url }).databaseUrl, url);
    const forms =
      /use postgres:\/\/USER@HOST:5432\/DB \(or postgresql:\/\/…\), sqlite:PATH, a file path such as \.\/tessera\.db or \/var\/lib\/tessera\/tessera\.db, or :memory:$/;
    const refused: [string, RegExp][] = [
      ['nonsense', /^TESSERA_DATABASE_URL "nonsense" is neither a URL nor a file path; /],
      [
        'mysql://root:hunter2@db/x',
        /^TESSERA_DATABASE_URL "mysql:\/\/root:\*\*\*@db\/x" is a mysql URL, which Tessera does not support; /,
      ],
      ['http://db.acme.test/x', /"http:\/\/db\.acme\.test\/x" is a http URL, which Tessera does not support/],
      ['sqlite:', /"sqlite:" names no file/],
      ['postgres://[bad', /"postgres:\/\/\[bad" is not a valid PostgreSQL URL/],
    ];
    for (const [url, message] of refused) {
      assert.throws(
        () => loadConfig({ TESSERA_DATABASE_URL: url }),
        (e: Error) => e instanceof ConfigError && message.test(e.message) && forms.test(e.message),
        url,
      );
    }
    assert.equal(loadConfig({ TESSERA_DATABASE_URL: '' }).databaseUrl, 'sqlite:.tessera/tessera.db');
  });

  it("TESSERA_LOG_LEVEL: one of pino's levels, else an error naming them", () => {
    assert.equal(loadConfig({ TESSERA_LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.equal(loadConfig({ TESSERA_LOG_LEVEL: 'WARN' }).logLevel, 'warn');
    assert.equal(loadConfig({ TESSERA_LOG_LEVEL: '' }).logLevel, 'info');
    assert.throws(
      () => loadConfig({ TESSERA_LOG_LEVEL: 'loud' }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message ===
          'TESSERA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });
});
