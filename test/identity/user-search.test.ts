import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagementError } from '../../src/errors/index.js';
import { parseUserQuery, tokenize } from '../../src/identity/user-search.js';
import type { Store } from '../../src/store/db.js';
import { searchUsers } from '../../src/store/repos/user-search.js';
import { storeKinds } from '../helpers/stores.js';

describe('user search v3: the Lucene subset parser', () => {
  it('parses fields, quotes, prefixes, ranges and boolean operators into a tree', () => {
    assert.deepEqual(parseUserQuery('email:"A@B.c" AND (name:Jo* OR NOT blocked:true)'), {
      op: 'and',
      items: [
        { op: 'eq', target: { kind: 'lower', column: 'email_lower' }, value: 'a@b.c' },
        {
          op: 'or',
          items: [
            { op: 'prefix', target: { kind: 'json', column: 'profile', path: ['name'] }, value: 'Jo' },
            { op: 'not', item: { op: 'eq', target: { kind: 'flag', column: 'blocked' }, value: true } },
          ],
        },
      ],
    });
    assert.deepEqual(parseUserQuery('logins_count:[1 TO *} app_metadata.org.id:x\\:y'), {
      op: 'or',
      items: [
        { op: 'range', target: { kind: 'number', column: 'logins_count' }, gte: 1 },
        { op: 'eq', target: { kind: 'json', column: 'app_metadata', path: ['org', 'id'] }, value: 'x:y' },
      ],
    });
  });

  it('tokenizes escapes: an escaped star is no wildcard', () => {
    assert.deepEqual(tokenize('a\\*'), [{ t: 'word', text: 'a*', star: 'none' }]);
    assert.deepEqual(tokenize('a*'), [{ t: 'word', text: 'a*', star: 'end' }]);
  });

  it('refuses a NOT chain deeper than 10', () => {
    assert.throws(() => parseUserQuery(`${'NOT '.repeat(11)}email:a`), /nest at most 10 deep/);
  });
});

const ALPHABET = [
  'email',
  'name',
  'app_metadata.a',
  'logins_count',
  ':',
  '"',
  '\\',
  '*',
  '?',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ' ',
  'AND',
  'OR',
  'NOT',
  'TO',
  '-',
  '!',
  "'",
  ';',
  '%',
  '_',
  'x',
  '1',
  'é',
  '\u0000',
];

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const kind of storeKinds) {
  describe(`user search v3: random queries never fail other than with a 400 (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('parses or refuses 400 random queries, and every parsed one runs', async () => {
      const next = rng(15);
      let parsed = 0;
      for (let n = 0; n < 400; n++) {
        const len = 1 + Math.floor(next() * 12);
        const q = Array.from({ length: len }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join(
          next() < 0.5 ? '' : ' ',
        );
        let where: ReturnType<typeof parseUserQuery>;
        try {
          where = parseUserQuery(q);
        } catch (err) {
          assert.ok(err instanceof ManagementError, `${JSON.stringify(q)}: ${err}`);
          assert.equal(err.code, 'ERR_MGMT_INVALID_QUERY');
          continue;
        }
        parsed++;
        await searchUsers(store.db, store.dialect, { where, offset: 0, limit: 1 }).catch((err) => {
          throw new Error(`${JSON.stringify(q)}: ${err}`);
        });
      }
      assert.ok(parsed > 20, `only ${parsed} parsed`);
    });
  });
}
