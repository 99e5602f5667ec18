// First: sizes libuv's thread pool before anything uses it (see the module).
import { THREADPOOL_SIZE } from './threadpool.js';

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { hashPassword, verifyPassword } from '../src/identity/passwords.js';
import { signCompactJwt } from '../src/keys/jwt-sign.js';
import { autocannonCli, opsSlice, run } from './lib.js';

/**
 * What the issue's ratio goals leave for everything but the hash or the
 * signature, on this machine, from four floors measured here in CPU time
 * (all threads) per operation:
 *
 * - an RS256 signature of an access token (node:crypto, the server's signer),
 *   on libuv's pool, 16 in flight;
 * - an argon2id verification (OWASP parameters, the server's hasher);
 * - an HTTP request to a bare Fastify route that parses an urlencoded form
 *   and answers a fixed token-sized JSON, the load from the autocannon CLI in
 *   its own process: the least any token request costs in this stack; and
 *   what the rest of the machine spends on it meanwhile (the load generator
 *   and the kernel, from /proc/stat), which the grant benches pay on the same
 *   cores: each ceiling is printed again with that share counted;
 * - one durable SQLite write transaction as a rotation makes it (WAL,
 *   synchronous=NORMAL: a refresh-token row and an audit row, BEGIN
 *   IMMEDIATE … COMMIT), with SQLite's automatic checkpoint on the
 *   committing thread (wal_autocheckpoint=1000) and without it.
 *
 * A grant's ratio to its baseline (requests/s ÷ operations/s with every
 * core busy) is at most baseline CPU ÷ grant CPU. So a rotating refresh is
 * at most sign ÷ (sign + HTTP + commit), a login at most
 * argon2 ÷ (argon2 + sign + HTTP + commit), before any of Tessera's own
 * work (client authentication, lookups, attack protection, the audit event's
 * content): the printed ceilings are upper bounds for any server on this
 * stack, and "budget" is what the goal leaves for that work. (One way past
 * the commit floor is group commit: several requests' writes in one
 * transaction, each answered after the shared COMMIT. Tessera commits each
 * request's writes on their own.)
 *
 *     npm run bench:ceiling
 */

const ANSWER = JSON.stringify({
  access_token: 'x'.repeat(720),
  refresh_token: 'y'.repeat(43),
  scope: 'offline_access read:orders',
  expires_in: 86400,
  token_type: 'Bearer',
});
const FORM = `grant_type=refresh_token&client_id=bench-rotating&client_secret=${'s'.repeat(32)}&refresh_token=${'z'.repeat(43)}`;

/** CPU ms the whole machine has spent (all processes, from /proc/stat), or undefined off Linux. */
function machineCpuMs(): number | undefined {
  try {
    const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return ((user! + nice! + system! + irq! + softirq!) * 1000) / 100; // USER_HZ ticks
  } catch {
    return undefined;
  }
}

/**
 * CPU ms per request of a bare Fastify token route under 16 connections from
 * the autocannon CLI: the server's, and the rest of the machine's (the load
 * generator and the kernel; undefined off Linux), which a grant's bench pays
 * on the same cores.
 */
async function httpFloor(seconds: number): Promise<{ server: number; rest: number | undefined }> {
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.post('/oauth/token', async (req, reply) => {
    if (!(req.body as Record<string, string>).refresh_token) return reply.code(400).send('{}');
    reply.header('cache-control', 'no-store').header('content-type', 'application/json');
    return ANSWER;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/oauth/token`;
  const cannon = async (secs: number) => {
    const cpu = process.cpuUsage();
    const machine = machineCpuMs();
    const r = await autocannonCli(url, FORM, 16, secs);
    const used = process.cpuUsage(cpu);
    const now = machineCpuMs();
    if (r.non2xx > 0 || r.errors > 0) throw new Error('the bare route answered errors');
    const server = (used.user + used.system) / 1000;
    const rest = machine === undefined || now === undefined ? undefined : now - machine - server;
    return {
      server: server / r.requests.total,
      rest: rest === undefined ? undefined : rest / r.requests.total,
    };
  };
  await cannon(1);
  const ms = await cannon(seconds);
  await app.close();
  return ms;
}

/** CPU ms per durable rotation-shaped write transaction on a temporary SQLite file (WAL, NORMAL). */
function commitFloor(autocheckpoint: number, count: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ceiling-'));
  try {
    const db = new SQLite(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    db.exec(`create table t (id text primary key, token_hash text unique, family_id text, user_id text,
               client_id text, scope text, created_at integer, expires_at integer, replaced_by text);
             create index t_family on t(family_id); create index t_user on t(user_id);
             create table e (id text primary key, date integer, type text, user_id text, details text);
             create index e_date on e(date); create index e_user on e(user_id, date);`);
    const insert = db.prepare('insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const event = db.prepare('insert into e values (?, ?, ?, ?, ?)');
    const begin = db.prepare('begin immediate');
    const commit = db.prepare('commit');
    const write = (i: number) => {
      begin.run();
      const now = Date.now();
      insert.run(
        randomUUID(),
        randomUUID(),
        `fam${i % 16}`,
        `u${i % 50}`,
        'bench',
        'offline_access',
        now,
        now,
        null,
      );
      event.run(randomUUID(), now, 'sertft', `u${i % 50}`, '{"client_id":"bench","scope":"offline_access"}');
      commit.run();
    };
    for (let i = 0; i < 2000; i++) write(i);
    const cpu = process.cpuUsage();
    for (let i = 0; i < count; i++) write(i);
    const used = process.cpuUsage(cpu);
    db.close();
    return (used.user + used.system) / 1000 / count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perOp = (s: { cpuMs: number; count: number }) => s.cpuMs / s.count;
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

run(async () => {
  console.log(
    `ceiling bench: ${availableParallelism()} cores, UV_THREADPOOL_SIZE=${THREADPOOL_SIZE}, CPU time per operation (all threads)`,
  );
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://tessera.test/',
    sub: 'auth0|u1',
    aud: 'https://api',
    iat,
    exp: iat + 86400,
    scope: 'offline_access read:orders',
    gty: ['refresh_token', 'password'],
    azp: 'bench-rotating',
  };
  const header = { alg: 'RS256', typ: 'JWT', kid: 'k1' } as const;
  await opsSlice(1, () => signCompactJwt(header, claims, privateKey));
  const sign = perOp(await opsSlice(3, () => signCompactJwt(header, claims, privateKey)));
  const hash = await hashPassword('correct horse battery staple');
  await opsSlice(1, () => verifyPassword(hash, 'correct horse battery staple'));
  const argon2 = perOp(await opsSlice(3, () => verifyPassword(hash, 'correct horse battery staple')));
  const { server: http, rest: loadGen } = await httpFloor(4);
  const commitWithCheckpoint = commitFloor(1000, 20000);
  const commit = commitFloor(0, 20000);

  console.log('');
  console.log(`  RS256 signature (node:crypto, pool)          ${fmt(sign)}`);
  console.log(`  argon2id verification                        ${fmt(argon2)}`);
  console.log(`  bare Fastify form POST, fixed JSON answer    ${fmt(http)}`);
  if (loadGen !== undefined) {
    console.log(`  the same request's load generator and kernel ${fmt(loadGen)} (the rest of the machine)`);
  }
  console.log(`  SQLite write transaction, checkpoint inline  ${fmt(commitWithCheckpoint)}`);
  console.log(`  SQLite write transaction, no checkpoint      ${fmt(commit)}`);
  console.log('');
  const line = (name: string, base: number, floor: number, target: number) => {
    const ceiling = base / (base + floor);
    const budget = base / target - base - floor;
    // The grant benches run their load generator on the same cores: its CPU is a floor too.
    const measured =
      loadGen === undefined
        ? ''
        : `; with the load generator's share ${(base / (base + floor + loadGen)).toFixed(3)}`;
    console.log(
      `  ${name.padEnd(44)} ceiling ${ceiling.toFixed(3)}${measured}, target >= ${target}: ${
        budget > 0 ? `leaves ${fmt(budget)} for Tessera's own work` : `UNREACHABLE (short by ${fmt(-budget)})`
      }`,
    );
  };
  line('rotating refresh on SQLite ÷ signature', sign, http + commit, 0.8);
  line('password grant on SQLite ÷ argon2id', argon2, sign + http + commit, 0.97);
  line('password grant on PostgreSQL ÷ argon2id', argon2, sign + http, 0.95);
  console.log(
    "\n  (PostgreSQL: its own CPU per statement is not counted here; each ceiling is before any of Tessera's own work.)",
  );
});
