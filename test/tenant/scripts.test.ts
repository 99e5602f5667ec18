import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { getSetting } from '../../src/store/repos/settings.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { storeKinds } from '../helpers/stores.js';
import { docErrors, example, rejection } from './helpers.js';

const RULE_WITH_TYPO = `function addRoles(user, context, callback) {
  context.idToken['https://acme.test/roles'] = user.roles;
  callback(null, user context);
}`;

const ACTION_WITH_TYPO = `exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.suspended) {
    api.access.deny('suspended';
  }
};`;

describe('tenant scripts are compiled before anything is written', () => {
  it('a rule that does not compile names the rule, the line and the column', () => {
    const doc: any = example();
    doc.rules[0].script = RULE_WITH_TYPO;
    assert.deepEqual(docErrors(doc), [
      'rules[0].script: rule "add-roles" does not compile: line 3, column 18: missing ) after argument list',
    ]);
  });

  it('an action that does not compile names the action, the line and the column', () => {
    const doc: any = example();
    doc.actions[0].code = ACTION_WITH_TYPO;
    assert.deepEqual(docErrors(doc), [
      'actions[0].code: action "deny-suspended" does not compile: line 3, column 21: missing ) after argument list',
    ]);
  });

  it('a rule must be one function expression, as Auth0 wraps it', () => {
    const doc: any = example();
    doc.rules[0].script =
      'const x = 1;\nfunction rule(user, context, callback) { callback(null, user, context); }';
    assert.deepEqual(docErrors(doc), [
      'rules[0].script: rule "add-roles" does not compile: line 1, column 1: Unexpected token \'const\'',
    ]);
  });

  it('leading blank lines and a trailing semicolon still count from the first line', () => {
    const doc: any = example();
    doc.rules[0].script = `\n\n${RULE_WITH_TYPO};\n`;
    assert.match(docErrors(doc)[0]!, /line 5, column 18/);
    doc.rules[0].script = `\n  function ok(user, context, callback) { callback(null, user, context); };\n`;
    doc.actions[0].code = 'exports.onExecutePostLogin = async () => {};';
    assert.equal(
      JSON.stringify(docErrors({ ...doc, clients: 'not a list' })).includes('does not compile'),
      false,
    );
  });
});

for (const kind of storeKinds) {
  describe(`apply refuses a script that does not compile (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('and writes nothing', async () => {
      const doc: any = example();
      doc.actions[0].code = ACTION_WITH_TYPO;
      const e = await rejection(() => applyTenant(store, doc));
      assert.match(
        e.message,
        /actions\[0\]\.code: action "deny-suspended" does not compile: line 3, column 21/,
      );
      assert.equal(await getSetting(store.db, 'actions'), undefined);
      assert.equal((await store.db.selectFrom('clients').selectAll().execute()).length, 0);
    });
  });
}
