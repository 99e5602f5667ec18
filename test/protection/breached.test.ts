import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/identity/passwords.js';
import { BreachedCorpus, isBreachedPassword } from '../../src/protection/breached.js';
import { liftUserBlocks } from '../../src/protection/lift.js';
import type { Store } from '../../src/store/db.js';
import { listLeaks } from '../../src/store/repos/blocks.js';
import { listEvents } from '../../src/store/repos/events.js';
import { setPasswordHash } from '../../src/store/repos/users.js';
import { TestClock } from '../helpers/app.js';
import { type TestSmtp, startSmtp } from '../helpers/smtp.js';
import { storeKinds } from '../helpers/stores.js';
import {
  ADMIN,
  type Env,
  LEAKED_BODY,
  type Node,
  WRONG_BODY,
  login,
  newEnv,
  newUser,
  seededStore,
  startNode,
  withSetting,
  wrong,
} from './helpers.js';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex').toUpperCase();
const LEAKY = 'rita-Pa55word!';
const dir = mkdtempSync(join(tmpdir(), 'tessera-hibp-'));
const rangeDir = join(dir, 'ranges');

/** A range file with `LEAKY`, a padding line (count 0) for `padded`, and noise. */
function writeRanges() {
  mkdirSync(rangeDir, { recursive: true });
  const h = sha1(LEAKY);
  const padded = sha1('padded-Pa55word!');
  writeFileSync(
    join(rangeDir, `${h.slice(0, 5)}.txt`),
    `0000000000000000000000000000000000A:3\r\n${h.slice(5)}:42\r\n`,
  );
  writeFileSync(join(rangeDir, `${padded.slice(0, 5)}.txt`), `${padded.slice(5)}:0\r\n`);
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('the breached-password corpus', () => {
  before(writeRanges);

  it('ships the most common leaked passwords, exactly as leaked', async () => {
    const corpus = new BreachedCorpus(undefined);
    for (const p of ['123456', 'password', 'qwerty123', 'Password1', 'P@ssw0rd'])
      assert.ok(await corpus.has(p), p);
    for (const p of ['PASSWORD', 'correct horse battery staple', LEAKY]) assert.ok(!(await corpus.has(p)), p);
    assert.ok(await isBreachedPassword('iloveyou'));
  });

  it('reads a directory of HIBP range files; a count of 0 (padding) is no leak', async () => {
    const corpus = new BreachedCorpus(rangeDir);
    assert.ok(await corpus.has(LEAKY));
    assert.ok(!(await corpus.has('padded-Pa55word!')));
    assert.ok(!(await corpus.has('not-in-any-file-Pa55word!')));
    assert.ok(await corpus.has('letmein'), 'the shipped list still counts');
    assert.ok(await isBreachedPassword(LEAKY, rangeDir));
  });

  it('reads one SHA1:COUNT file, small (in memory) or large (binary search over the sorted file)', async () => {
    const present = Array.from({ length: 40 }, (_, i) => `pw-${i}`);
    const lines = [
      ...present.map((p) => `${sha1(p)}:${7 + present.indexOf(p)}`),
      ...Array.from({ length: 3000 }, () => `${randomBytes(20).toString('hex').toUpperCase()}:1`),
      `${sha1('zero-count')}:0`,
    ].sort();
    const file = join(dir, 'pwned-passwords-sha1-ordered-by-hash.txt');
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
    const small = new BreachedCorpus(file);
    const large = new BreachedCorpus(file, 0);
    for (const corpus of [small, large]) {
      for (const p of present) assert.ok(await corpus.has(p), p);
      for (const p of ['absent-1', 'absent-2', 'zero-count']) assert.ok(!(await corpus.has(p)), p);
    }
    // The first and last lines are found too.
    writeFileSync(join(dir, 'edges.txt'), [`${sha1('a')}:1`, `${sha1('b')}:1`].sort().join('\n'));
    const edges = new BreachedCorpus(join(dir, 'edges.txt'), 0);
    assert.ok((await edges.has('a')) && (await edges.has('b')));
    await Promise.all([small.close(), large.close(), edges.close()]);
  });

  it('names TESSERA_BREACHED_PASSWORDS when the path cannot be read', () => {
    assert.throws(() => new BreachedCorpus(join(dir, 'missing')), /TESSERA_BREACHED_PASSWORDS: cannot read/);
  });
});

const SETTING = {
  bruteForceProtection: { enabled: true, max_attempts: 3, shields: ['block'] },
  suspiciousIpThrottling: { enabled: false },
  breachedPasswordDetection: { enabled: true, shields: ['block', 'user_notification', 'admin_notification'] },
};

for (const kind of storeKinds) {
  describe(`breached password detection at login (${kind.name})`, () => {
    let store: Store;
    let env: Env;
    let node: Node;
    let smtp: TestSmtp;
    const clock = new TestClock();

    before(async () => {
      writeRanges();
      smtp = await startSmtp();
      env = newEnv('memory', {
        TESSERA_SMTP_URL: smtp.url,
        TESSERA_ADMIN_EMAILS: ADMIN,
        TESSERA_BREACHED_PASSWORDS: rangeDir,
      });
      store = await seededStore(kind, SETTING);
      node = await startNode(store, env, clock);
    });
    after(async () => {
      await node.stop();
      await store.close();
      await smtp.close();
    });

    const mailsTo = async (to: string) => {
      await node.rt.protection.idle();
      return smtp.mails.filter((m) => m.to.includes(to));
    };

    it('refuses a right but leaked password with 401 password_leaked, and notifies once', async () => {
      const rita = await newUser(node.rt, 'rita');
      for (let i = 0; i < 2; i++) {
        const res = await login(node.app, { username: rita.email, password: rita.password });
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), LEAKED_BODY);
      }
      const events = (await listEvents(store.db, { type: 'pwd_leak' })).filter((e) => e.user_id === rita.id);
      assert.equal(events.length, 2);
      const [userMail, ...moreUser] = await mailsTo(rita.email);
      assert.equal(moreUser.length, 0);
      assert.equal(userMail!.subject, 'Your Acme password has appeared in a data breach');
      assert.match(userMail!.text, /logins with this password are blocked until it is changed/);
      const admin = (await mailsTo(ADMIN)).filter((m) => m.text.includes(rita.id));
      assert.equal(admin.length, 1);
      assert.equal(admin[0]!.subject, 'Acme: a login used a breached password');
    });

    it('answers a wrong password for that user as usual (the leak is checked after the password)', async () => {
      const res = await login(node.app, wrong({ username: 'rita@acme.test' }));
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), WRONG_BODY);
    });

    it('frees the user once the password changes (the hook), and catches a leaked one set again', async () => {
      const userId = 'auth0|rita';
      await setPasswordHash(store.db, userId, await hashPassword('a-Fresh-passw0rd-for-rita'), clock.now());
      await liftUserBlocks(store.db, userId, clock.now());
      assert.equal((await listLeaks(store.db, userId)).length, 0);
      const ok = await login(node.app, { username: 'rita@acme.test', password: 'a-Fresh-passw0rd-for-rita' });
      assert.equal(ok.statusCode, 200);
      await setPasswordHash(store.db, userId, await hashPassword(LEAKY), clock.now());
      const again = await login(node.app, { username: 'rita@acme.test', password: LEAKY });
      assert.equal(again.statusCode, 401);
      assert.equal((await mailsTo('rita@acme.test')).length, 2, 'a new leaked password is a new notice');
    });

    it('uses the shipped list too, and only notifies without the block shield', async () => {
      const sam = await newUser(node.rt, 'sam');
      await setPasswordHash(store.db, sam.id, await hashPassword('Password1'), clock.now());
      const setting = {
        ...SETTING,
        breachedPasswordDetection: { enabled: true, shields: ['user_notification'] },
      };
      await withSetting(node.rt, setting, async () => {
        for (let i = 0; i < 2; i++) {
          const res = await login(node.app, { username: sam.email, password: 'Password1' });
          assert.equal(res.statusCode, 200);
        }
      });
      const events = (await listEvents(store.db, { type: 'pwd_leak' })).filter((e) => e.user_id === sam.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.description, 'Breached password (login allowed)');
      assert.equal((await mailsTo(sam.email)).length, 1);
      assert.match((await mailsTo(sam.email))[0]!.text, /Change it as soon as possible/);
    });

    it('checks nothing when disabled', async () => {
      const setting = { ...SETTING, breachedPasswordDetection: { enabled: false } };
      await withSetting(node.rt, setting, async () => {
        const res = await login(node.app, { username: 'rita@acme.test', password: LEAKY });
        assert.equal(res.statusCode, 200);
      });
    });
  });
}
