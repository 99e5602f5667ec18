import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('outage settings', () => {
  it('have defaults', () => {
    const c = loadConfig({});
    assert.equal(c.dbConnectTimeoutMs, 2000);
    assert.equal(c.dbAcquireTimeoutMs, 2000);
    assert.equal(c.dbStatementTimeoutMs, 5000);
    assert.equal(c.requestTimeoutMs, 10000);
    assert.equal(c.redisCommandTimeoutMs, 500);
    assert.equal(c.redisConnectTimeoutMs, 1000);
    assert.equal(c.retryAfterSeconds, 5);
    assert.equal(c.dbPreparedStatements, true);
  });

  it('are read from the environment', () => {
    const c = loadConfig({
      TESSERA_DB_CONNECT_TIMEOUT_MS: '1500',
      TESSERA_DB_ACQUIRE_TIMEOUT_MS: '700',
      TESSERA_DB_STATEMENT_TIMEOUT_MS: '3000',
      TESSERA_REQUEST_TIMEOUT_MS: '8000',
      TESSERA_REDIS_COMMAND_TIMEOUT_MS: '200',
      TESSERA_REDIS_CONNECT_TIMEOUT_MS: '400',
      TESSERA_RETRY_AFTER_S: '30',
    });
    assert.deepEqual(
      [
        c.dbConnectTimeoutMs,
        c.dbAcquireTimeoutMs,
        c.dbStatementTimeoutMs,
        c.requestTimeoutMs,
        c.redisCommandTimeoutMs,
        c.redisConnectTimeoutMs,
        c.retryAfterSeconds,
      ],
      [1500, 700, 3000, 8000, 200, 400, 30],
    );
    assert.equal(loadConfig({ TESSERA_DB_PREPARED_STATEMENTS: 'false' }).dbPreparedStatements, false);
    assert.equal(loadConfig({ TESSERA_DB_PREPARED_STATEMENTS: 'true' }).dbPreparedStatements, true);
  });

  it('refuse a bad value, naming the setting', () => {
    assert.throws(
      () => loadConfig({ TESSERA_DB_STATEMENT_TIMEOUT_MS: '5s' }),
      new ConfigError('TESSERA_DB_STATEMENT_TIMEOUT_MS must be a whole number from 1 to 600000, got "5s"'),
    );
    assert.throws(
      () => loadConfig({ TESSERA_DB_CONNECT_TIMEOUT_MS: '0' }),
      new ConfigError('TESSERA_DB_CONNECT_TIMEOUT_MS must be a whole number from 1 to 600000, got "0"'),
    );
    assert.throws(
      () => loadConfig({ TESSERA_RETRY_AFTER_S: '-1' }),
      new ConfigError('TESSERA_RETRY_AFTER_S must be a whole number from 1 to 3600, got "-1"'),
    );
    assert.throws(
      () => loadConfig({ TESSERA_DB_PREPARED_STATEMENTS: 'off' }),
      new ConfigError('TESSERA_DB_PREPARED_STATEMENTS must be true or false, got "off"'),
    );
  });
});
