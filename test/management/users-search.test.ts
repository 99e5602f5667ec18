import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordLogin, upsertUser } from '../../src/store/repos/users.js';
import { type ManagementHarness, startManagement } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';

const SEARCHERS = [
  {
    user_id: 'auth0|s-ann',
    email: 'Ann.Search@Example.test',
    username: 'ann_s',
    profile: { name: 'Ann Search' },
    app_metadata: { plan: 'gold', tier: 3, beta: true, org: { id: 'o-1' } },
    user_metadata: { lang: 'fr' },
    logins: 1,
  },
  {
    user_id: 'auth0|s-bob',
    email: 'bob.search@example.test',
    profile: { name: 'Bob "The" Search' },
    app_metadata: { plan: 'silver', tier: 1 },
    user_metadata: { lang: 'en' },
    logins: 5,
    blocked: true,
  },
  {
    user_id: 'auth0|s-cid',
    email: 'cid.search@other.test',
    profile: { name: 'Cid Search' },
    app_metadata: { plan: 'gold' },
    user_metadata: {},
    logins: 12,
  },
];

for (const kind of storeKinds) {
  describe(`Management API user search v3 (${kind.name})`, () => {
    let h: ManagementHarness;
    let token: string;
    const ids = async (q: string, extra: Record<string, unknown> = {}) => {
      h.clock.advance(100);
      const res = await h.management.users.getAll({ q, search_engine: 'v3', ...extra });
      return res.data.map((u) => u.user_id);
    };
    const raw = (url: string, bearer = token) => {
      h.clock.advance(100); // the rate limit's bucket refills by the test clock
      return h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bearer}` } });
    };
    const badQuery = async (q: string, message: string) => {
      const res = await raw(`/api/v2/users?${new URLSearchParams({ q, search_engine: 'v3' })}`);
      assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message,
        errorCode: 'invalid_query_string',
      });
    };

    before(async () => {
      h = await startManagement(kind);
      const db = h.rt.store.db;
      for (const u of SEARCHERS) {
        await upsertUser(
          db,
          {
            user_id: u.user_id,
            connection_id: 'con_default',
            email: u.email,
            username: u.username,
            profile: u.profile,
            app_metadata: u.app_metadata,
            user_metadata: u.user_metadata,
            blocked: u.blocked,
          },
          h.rt.now(),
        );
        for (let i = 0; i < u.logins; i++) await recordLogin(db, u.user_id, h.rt.now());
      }
      token = await h.token();
    });
    after(() => h.close());

    it('matches field:value, case-insensitively on email and username', async () => {
      assert.deepEqual(await ids('email:ann.search@example.test'), ['auth0|s-ann']);
      assert.deepEqual(await ids('username:ANN_S'), ['auth0|s-ann']);
      assert.deepEqual(await ids('user_id:"auth0|s-bob"'), ['auth0|s-bob']);
      assert.deepEqual(await ids('name:"Bob \\"The\\" Search"'), ['auth0|s-bob']);
    });

    it('matches prefixes, AND, OR, NOT and parentheses', async () => {
      assert.deepEqual(await ids('email:*search* OR name:Ann*').catch((e) => e.statusCode), 400);
      assert.deepEqual(await ids('name:Ann*'), ['auth0|s-ann']);
      assert.deepEqual(await ids('email:bob* OR email:cid*'), ['auth0|s-bob', 'auth0|s-cid']);
      assert.deepEqual(await ids('app_metadata.plan:gold AND email:*.test'.replace('*.test', 'c*')), [
        'auth0|s-cid',
      ]);
      assert.deepEqual(await ids('app_metadata.plan:gold AND NOT email:ann*'), ['auth0|s-cid']);
      assert.deepEqual(await ids('(app_metadata.plan:gold OR app_metadata.plan:silver) AND -blocked:true'), [
        'auth0|s-ann',
        'auth0|s-cid',
      ]);
    });

    it('searches metadata (strings, numbers, booleans, nested keys)', async () => {
      assert.deepEqual(await ids('app_metadata.tier:3'), ['auth0|s-ann']);
      assert.deepEqual(await ids('app_metadata.beta:true'), ['auth0|s-ann']);
      assert.deepEqual(await ids('app_metadata.org.id:"o-1"'), ['auth0|s-ann']);
      assert.deepEqual(await ids('user_metadata.lang:en'), ['auth0|s-bob']);
      assert.deepEqual(await ids('user_metadata.lang:de'), []);
    });

    it('matches blocked and logins_count ranges', async () => {
      assert.deepEqual(await ids('blocked:true'), ['auth0|s-bob']);
      assert.deepEqual(await ids('logins_count:[2 TO 12] AND email:*'.replace(' AND email:*', '')), [
        'auth0|s-bob',
        'auth0|s-cid',
      ]);
      assert.deepEqual(await ids('logins_count:{1 TO 12}'), ['auth0|s-bob']);
      assert.deepEqual(await ids('logins_count:[10 TO *]'), ['auth0|s-cid']);
      assert.deepEqual(await ids('logins_count:5'), ['auth0|s-bob']);
    });

    it('sorts, pages and counts', async () => {
      const q = 'name:*Search'.replace('*Search', 'C*') + ' OR email:*'.replace(' OR email:*', '');
      assert.deepEqual(await ids(q), ['auth0|s-cid']);
      const sorted = await ids('app_metadata.plan:gold OR app_metadata.plan:silver', {
        sort: 'logins_count:-1',
      });
      assert.deepEqual(sorted, ['auth0|s-cid', 'auth0|s-bob', 'auth0|s-ann']);
      // Users without a username come last, ascending or descending, on both databases.
      for (const sort of ['username:1', 'username:-1'])
        assert.deepEqual(await ids('app_metadata.plan:gold OR app_metadata.plan:silver', { sort }), [
          'auth0|s-ann',
          'auth0|s-bob',
          'auth0|s-cid',
        ]);
      const res = await h.management.users.getAll({
        q: 'app_metadata.plan:gold OR app_metadata.plan:silver',
        search_engine: 'v3',
        sort: 'email:1',
        per_page: 2,
        page: 1,
        include_totals: true,
      });
      assert.equal(res.data.total, 3);
      assert.equal(res.data.start, 2);
      assert.equal(res.data.limit, 2);
      assert.deepEqual(
        res.data.users.map((u) => u.user_id),
        ['auth0|s-cid'],
      );
    });

    it('treats quotes and SQL in values as data', async () => {
      assert.deepEqual(await ids(`email:"x' OR '1'='1"`), []);
      assert.deepEqual(await ids(`app_metadata.plan:"gold'); DROP TABLE users; --"`), []);
      assert.deepEqual(await ids(`name:Ann\\ Search`), ['auth0|s-ann']);
      assert.deepEqual(await ids('email:ann.search@example.test'), ['auth0|s-ann']);
    });

    it('answers only the fields asked for (fields, include_fields)', async () => {
      const res = await h.management.users.getAll({
        q: 'username:ann_s',
        search_engine: 'v3',
        fields: 'user_id,email',
      });
      assert.deepEqual(res.data, [{ user_id: 'auth0|s-ann', email: 'Ann.Search@Example.test' }]);
      const without = await h.management.users.getAll({
        q: 'username:ann_s',
        fields: 'identities,app_metadata,user_metadata',
        include_fields: false,
      });
      assert.equal(without.data[0]?.identities, undefined);
      assert.equal(without.data[0]?.app_metadata, undefined);
      assert.equal(without.data[0]?.email, 'Ann.Search@Example.test');
      const byEmail = await h.management.usersByEmail.getByEmail({
        email: 'ann.search@example.test',
        fields: 'user_id',
      });
      assert.deepEqual(byEmail.data, [{ user_id: 'auth0|s-ann' }]);
    });

    it('finds users by email, exactly and case-insensitively', async () => {
      const res = await h.management.usersByEmail.getByEmail({ email: 'ANN.search@example.TEST' });
      assert.deepEqual(
        res.data.map((u) => [u.user_id, u.email]),
        [['auth0|s-ann', 'Ann.Search@Example.test']],
      );
      const none = await h.management.usersByEmail.getByEmail({ email: 'ann.search@example' });
      assert.deepEqual(none.data, []);
    });

    it('refuses bad queries with a 400 in the management shape', async () => {
      await badQuery('email:*ann', 'Query validation error: a wildcard (*) cannot begin a term');
      await badQuery('*', 'Query validation error: a wildcard (*) cannot begin a term');
      await badQuery(
        'email:a*n',
        'Query validation error: wildcards are only supported at the end of a term',
      );
      await badQuery(
        'email:a?n',
        'Query validation error: wildcards are only supported at the end of a term',
      );
      await badQuery('(email:ann', 'Query validation error: unbalanced parentheses');
      await badQuery('email:ann)', 'Query validation error: unbalanced parentheses');
      await badQuery('email:"ann', 'Query validation error: unterminated quoted string');
      await badQuery('password:x', 'Query validation error: "password" is not a field that can be searched');
      await badQuery(
        'app_metadata.a$b:x',
        'Query validation error: "app_metadata.a$b": metadata keys are letters, digits, "_" and "-", at most 5 deep',
      );
      await badQuery('email:\\', 'Query validation error: a backslash must escape a character');
      await badQuery('blocked:yes', 'Query validation error: blocked is true or false');
      await badQuery('logins_count:many', 'Query validation error: logins_count is a whole number');
      await badQuery(
        'email:[a TO b]',
        'Query validation error: email: ranges are only supported on logins_count',
      );
      await badQuery(
        'logins_count:[1 TO',
        'Query validation error: logins_count: a range bound is a whole number or *',
      );
      await badQuery('email:', 'Query validation error: email has no value');
      await badQuery('email:a AND', 'Query validation error: the query ends where a term is expected');
      await badQuery(
        `${'('.repeat(12)}email:a${')'.repeat(12)}`,
        'Query validation error: parentheses nest at most 10 deep',
      );
      await badQuery(
        Array.from({ length: 51 }, (_, i) => `email:u${i}`).join(' OR '),
        'Query validation error: at most 50 terms',
      );
    });

    it('refuses a query over 2000 characters, an unknown engine, a bad sort and unknown fields', async () => {
      let res = await raw(`/api/v2/users?q=${'a'.repeat(2001)}`);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Query validation error: q: must be at most 2000 characters',
        errorCode: 'invalid_query_string',
      });
      res = await raw('/api/v2/users?q=email:a&search_engine=v2');
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_query_string');
      res = await raw('/api/v2/users?sort=password:1');
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message:
          'Sort validation error: sort is <field>:1 or <field>:-1, field one of user_id, email, username, created_at, updated_at, last_login, logins_count',
        errorCode: 'invalid_query_string',
      });
      res = await raw('/api/v2/users?connection=x');
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_query_string');
      res = await raw('/api/v2/users-by-email');
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_query_string');
    });

    it('needs read:users', async () => {
      const other = await h.addMachineClient('search-no-scope', ['create:users']);
      const bearer = await h.token(undefined, other);
      for (const url of ['/api/v2/users?q=email:a', '/api/v2/users-by-email?email=a@b.c']) {
        const res = await raw(url, bearer);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: 'Insufficient scope, expected any of: read:users',
          errorCode: 'insufficient_scope',
        });
      }
    });
  });
}
