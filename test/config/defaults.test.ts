import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { DEFAULTS as SETTINGS } from '../../src/config/config.js';
import { DEFAULTS } from '../../src/config/defaults.js';

/**
 * README.md documents every default: the server settings in the tables of
 * environment variables, everything else in the "Defaults" table. Both are
 * checked against `DEFAULTS` (src/config/defaults.ts), so that neither can
 * change without the other.
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The setting each documented environment variable defaults to. */
const ENV: Record<string, keyof typeof DEFAULTS.settings> = {
  TESSERA_DATA_DIR: 'dataDir',
  TESSERA_LOG_LEVEL: 'logLevel',
  TESSERA_ADMISSION_BUDGET_MS: 'admissionBudgetMs',
  TESSERA_HELPER_THREADS_NICE: 'helperThreadsNice',
  TESSERA_REFRESH_RETRY_WINDOW: 'refreshRetryWindowSec',
  TESSERA_CLOCK_SKEW: 'clockSkewSec',
  TESSERA_LOG_RETENTION_DAYS: 'logRetentionDays',
  TESSERA_PURGE_INTERVAL_MINUTES: 'purgeIntervalMinutes',
  TESSERA_DB_CONNECT_TIMEOUT_MS: 'dbConnectTimeoutMs',
  TESSERA_DB_ACQUIRE_TIMEOUT_MS: 'dbAcquireTimeoutMs',
  TESSERA_DB_STATEMENT_TIMEOUT_MS: 'dbStatementTimeoutMs',
  TESSERA_DB_PREPARED_STATEMENTS: 'dbPreparedStatements',
  TESSERA_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  TESSERA_REDIS_COMMAND_TIMEOUT_MS: 'redisCommandTimeoutMs',
  TESSERA_REDIS_CONNECT_TIMEOUT_MS: 'redisConnectTimeoutMs',
  TESSERA_RETRY_AFTER_S: 'retryAfterSeconds',
};

/** Defaults the README gives in words because they depend on the machine. */
const IN_WORDS: Record<string, [string, unknown]> = {
  'rules.limits.busyLogins': [
    'half the cores (at least 1)',
    Math.max(1, Math.floor(availableParallelism() / 2)),
  ],
};

/** Every value of a nested object, by its dotted path. */
function leaves(o: object, prefix = ''): [string, unknown][] {
  return Object.entries(o).flatMap(([k, v]): [string, unknown][] =>
    v && typeof v === 'object' && !Array.isArray(v) ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

/** The cells of the table rows of a README section (from its heading to the next heading). */
function tableRows(heading: string): string[][] {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no "${heading}" section`);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,6} /);
  return (end < 0 ? rest : rest.slice(0, end))
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('the defaults: one object, documented in the README', () => {
  it('is the object config.ts reads its settings from', () => {
    assert.equal(SETTINGS, DEFAULTS.settings);
  });

  it('has each environment variable default of the README tables', () => {
    const rows = [...tableRows('## Configuration'), ...tableRows('### Outages and timeouts')];
    const seen = new Set<string>();
    for (const [names = '', value = ''] of rows) {
      const vars = ticked(names);
      const defaults = ticked(value);
      if (vars[0] === 'HOST') {
        assert.deepEqual(defaults.slice(0, 2), [DEFAULTS.settings.host, String(DEFAULTS.settings.port)]);
        seen.add('host').add('port');
      } else if (vars[0] === 'TESSERA_DATABASE_URL') {
        assert.equal(defaults[0], `sqlite:${DEFAULTS.settings.dataDir}/tessera.db`);
      } else if (vars[0] && ENV[vars[0]]) {
        const key = ENV[vars[0]]!;
        assert.equal(defaults[0], String(DEFAULTS.settings[key]), `${vars[0]} (settings.${key})`);
        seen.add(key);
      }
    }
    assert.deepEqual([...seen].sort(), [...Object.values(ENV), 'host', 'port'].sort());
  });

  it('has every other default, with its value, in the README "Defaults" table', () => {
    const inEnvTables = new Set<string>([...Object.values(ENV), 'host', 'port'].map((k) => `settings.${k}`));
    const expected = leaves(DEFAULTS).filter(([k]) => !inEnvTables.has(k));
    const documented = new Map(
      tableRows('### Defaults')
        .slice(1)
        .map(([key = '', value = '']) => [ticked(key)[0] ?? key, value]),
    );
    const missing = expected.filter(([k]) => !documented.has(k));
    assert.deepEqual(
      missing.map(([k, v]) => `| \`${k}\` | \`${JSON.stringify(v)}\` | … |`),
      [],
      'defaults missing from the README table (rows to add)',
    );
    const known = new Set(expected.map(([k]) => k));
    assert.deepEqual(
      [...documented.keys()].filter((k) => !known.has(k)),
      [],
      'README rows naming no default',
    );
    for (const [key, value] of expected) {
      const words = IN_WORDS[key];
      if (words) {
        assert.equal(documented.get(key), words[0], key);
        assert.equal(value, words[1], key);
      } else assert.equal(documented.get(key), `\`${JSON.stringify(value)}\``, key);
    }
  });
});
