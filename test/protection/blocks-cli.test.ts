import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { type BlockRow, listBlocks, putBlock } from '../../src/store/repos/blocks.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { listEvents } from '../../src/store/repos/events.js';
import { upsertUser } from '../../src/store/repos/users.js';

const run = promisify(execFile);
const T = Date.UTC(2026, 0, 2, 3, 4, 5);

const BLOCK: Omit<BlockRow, 'id'> = {
  kind: 'user',
  connection_id: 'con_default',
  identifier: null,
  user_id: null,
  ip: null,
  attempts: 10,
  created_at: T,
  updated_at: T,
  expires_at: null,
  lifted_at: null,
  notified_at: null,
};
const block = (id: string, b: Partial<BlockRow>): BlockRow => ({ ...BLOCK, id, ...b });

describe('tessera blocks list | clear', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let store: Store;
  const tessera = async (...args: string[]) =>
    (await run(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'blocks', ...args], { env })).stdout;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-blocks-'));
    const url = `sqlite:${join(dir, 'tessera.db')}`;
    env = { ...process.env, TESSERA_DATABASE_URL: url, UV_THREADPOOL_SIZE: '2' };
    store = openStore(url);
    await migrate(store);
    await upsertConnection(
      store.db,
      { id: 'con_default', name: 'Username-Password-Authentication', strategy: 'auth0', enabled_clients: [] },
      T,
    );
    const user = {
      user_id: 'auth0|zoe',
      connection_id: 'con_default',
      email: 'Zoe@acme.test',
      username: 'zoe',
    };
    await upsertUser(store.db, user, T);
    await putBlock(
      store.db,
      block('b1', { identifier: 'zoe@acme.test', user_id: 'auth0|zoe', ip: '203.0.113.1' }),
    );
    await putBlock(store.db, block('b2', { identifier: 'zoe', ip: '203.0.113.2' }));
    await putBlock(store.db, block('b3', { identifier: 'yann@acme.test', ip: '203.0.113.1' }));
    await putBlock(
      store.db,
      block('b4', { kind: 'ip', connection_id: null, ip: '203.0.113.1', expires_at: T + 1 }),
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the blocks in force', async () => {
    const out = await tessera('list');
    assert.match(
      out,
      /identifier {2}zoe@acme\.test \(auth0\|zoe\) {2}from 203\.0\.113\.1 {2}blocked since 2026-01-02T03:04:05\.000Z after 10 failures/,
    );
    assert.match(
      out,
      /ip {10}203\.0\.113\.1 {2}throttled since 2026-01-02T03:04:05\.000Z {2}until 2026-01-02T03:04:05\.001Z/,
    );
    assert.equal(out.trim().split('\n').length, 4);
    const json = (await tessera('list', '--ip', '203.0.113.2', '--json')).trim().split('\n');
    assert.deepEqual(
      json.map((l) => JSON.parse(l).id),
      ['b2'],
    );
  });

  it("clears a user's blocks: by user_id, its email and its username", async () => {
    assert.equal(await tessera('clear', '--user', 'auth0|zoe'), 'lifted 2 blocks\n');
    assert.deepEqual(
      (await listBlocks(store.db)).map((b) => b.id),
      ['b3', 'b4'],
    );
    const events = await listEvents(store.db, { type: 'ublkdu' });
    assert.equal(events.length, 2);
    assert.equal(events[0]!.description, 'Unblocked by an administrator');
  });

  it('clears by IP (the throttle and the identifiers blocked from it) and by identifier', async () => {
    assert.equal(await tessera('clear', '--ip', '::ffff:203.0.113.1'), 'lifted 2 blocks\n');
    assert.equal(await tessera('clear', '--identifier', 'Yann@acme.test'), 'lifted 0 blocks\n');
    assert.equal(await tessera('list'), 'no blocks\n');
  });

  it('clears an IPv6 block by any address of its /64, or by the network', async () => {
    const v6 = { kind: 'ip' as const, connection_id: null, ip: '2001:db8:1:2::/64', expires_at: T + 1 };
    await putBlock(store.db, block('b5', v6));
    await putBlock(store.db, block('b6', { ...v6, ip: '2001:db8:1:3::/64' }));
    assert.equal(await tessera('clear', '--ip', '2001:DB8:1:2:abcd::1'), 'lifted 1 block\n');
    assert.equal(await tessera('clear', '--ip', '2001:db8:1:3:0::/64'), 'lifted 1 block\n');
    assert.equal(await tessera('list'), 'no blocks\n');
  });

  it('says what is missing', async () => {
    await assert.rejects(tessera('clear'), /name what to unblock: --user, --identifier or --ip/);
    await assert.rejects(
      tessera('clear', '--ip', 'nope'),
      /--ip must be an IP address \(or the IPv6 network a block names\), got "nope"/,
    );
    await assert.rejects(tessera('clear', '--user', 'auth0|nobody'), /no user has user_id "auth0\|nobody"/);
  });
});
