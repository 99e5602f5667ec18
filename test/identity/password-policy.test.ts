import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_PASSWORDS, isCommonPassword } from '../../src/identity/common-passwords.js';
import {
  assertPasswordPolicy,
  checkPassword,
  DEFAULT_POLICY_LEVEL,
  PasswordPolicyError,
  passwordPolicyOf,
} from '../../src/identity/password-policy.js';

const conn = (password_policy?: string, options: Record<string, unknown> = {}) => ({
  options: { ...(password_policy ? { password_policy } : {}), ...options },
});

const CLASSES_4 =
  'lower case letters (a-z), upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*)';
const THREE_OF_4 = (level: string) => `password policy "${level}": at least 3 of: ${CLASSES_4}`;
const ALL_3 =
  'password policy "fair": all of: lower case letters (a-z), upper case letters (A-Z), numbers (0-9)';

describe('password policy', () => {
  it('none: at least one character', () => {
    assert.deepEqual(checkPassword('', conn('none')), ['password policy "none": at least 1 character']);
    assert.deepEqual(checkPassword('a', conn('none')), []);
    assert.deepEqual(checkPassword('aaaa', conn('none')), []);
  });

  it('low: at least 6 characters, nothing else', () => {
    assert.deepEqual(checkPassword('abcde', conn('low')), ['password policy "low": at least 6 characters']);
    assert.deepEqual(checkPassword('aaaaaa', conn('low')), []);
    assert.deepEqual(checkPassword('123456', conn('low')), []); // common, but low has no dictionary
  });

  it('fair: 8 characters with lower, upper and digit', () => {
    assert.deepEqual(checkPassword('Ab1', conn('fair')), ['password policy "fair": at least 8 characters']);
    assert.deepEqual(checkPassword('abcdefg!', conn('fair')), [ALL_3]);
    assert.deepEqual(checkPassword('Abcdefg!', conn('fair')), [ALL_3]); // special does not stand in for a digit
    assert.deepEqual(checkPassword('abc', conn('fair')), [
      'password policy "fair": at least 8 characters',
      ALL_3,
    ]);
    assert.deepEqual(checkPassword('Abcdefg1', conn('fair')), []);
  });

  it('good: 8 characters with 3 of the 4 classes', () => {
    assert.deepEqual(checkPassword('Ab1!', conn('good')), ['password policy "good": at least 8 characters']);
    assert.deepEqual(checkPassword('abcdefg1', conn('good')), [THREE_OF_4('good')]);
    assert.deepEqual(checkPassword('abcdefg-', conn('good')), [THREE_OF_4('good')]);
    for (const ok of ['abcdefg1!', 'ABCDEFG1!', 'Abcdefgh!', 'Abcdefgh1', 'correct Horse 1'])
      assert.deepEqual(checkPassword(ok, conn('good')), [], ok);
  });

  it('excellent: 10 characters, 3 of 4 classes, no triple, not common', () => {
    assert.deepEqual(checkPassword('Abc1!', conn('excellent')), [
      'password policy "excellent": at least 10 characters',
    ]);
    assert.deepEqual(checkPassword('Abc-defggg-1', conn('excellent')), [
      'password policy "excellent": no more than 2 identical characters in a row',
    ]);
    assert.deepEqual(checkPassword('Abc-deffgg-1', conn('excellent')), []);
    assert.deepEqual(checkPassword('Password123', conn('excellent')), [
      'password policy "excellent": the password is too common',
    ]);
    assert.deepEqual(checkPassword('QWERTYUIOP', conn('excellent')), [
      THREE_OF_4('excellent'),
      'password policy "excellent": the password is too common',
    ]);
    assert.deepEqual(checkPassword('aaa', conn('excellent')), [
      'password policy "excellent": at least 10 characters',
      THREE_OF_4('excellent'),
      'password policy "excellent": no more than 2 identical characters in a row',
    ]);
    assert.deepEqual(checkPassword('Summer2024!', conn('excellent')), [
      'password policy "excellent": the password is too common',
    ]);
  });

  it('defaults to good when the connection sets no level', () => {
    assert.equal(DEFAULT_POLICY_LEVEL, 'good');
    assert.deepEqual(checkPassword('short', {}), [
      'password policy "good": at least 8 characters',
      THREE_OF_4('good'),
    ]);
    assert.deepEqual(checkPassword('Alice-demo-passw0rd', conn()), []);
    assert.equal(passwordPolicyOf({ options: { password_policy: 'bogus' } }).level, 'good');
  });

  it('password_complexity_options.min_length overrides the level length, up or down', () => {
    const longer = conn('good', { password_complexity_options: { min_length: 12 } });
    assert.deepEqual(checkPassword('Abcdefg1!', longer), ['password policy "good": at least 12 characters']);
    assert.deepEqual(checkPassword('Abcdefg1!xyz', longer), []);
    const shorter = conn('excellent', { password_complexity_options: { min_length: 4 } });
    assert.deepEqual(checkPassword('Ab1!', shorter), []);
    assert.deepEqual(checkPassword('x', conn('none', { password_complexity_options: { min_length: 3 } })), [
      'password policy "none": at least 3 characters',
    ]);
  });

  it('counts code points, not UTF-16 units', () => {
    // Four emoji are eight UTF-16 units but four characters.
    assert.deepEqual(checkPassword('😀😀😀😀', conn('low')), [
      'password policy "low": at least 6 characters',
    ]);
    assert.deepEqual(checkPassword('😀😀😀😀😀😀', conn('low')), []);
    assert.deepEqual(checkPassword('Ab1😀😀😀😀', conn('good')), [
      'password policy "good": at least 8 characters',
    ]);
    assert.deepEqual(checkPassword('Ab1😀😀😀😀😀', conn('good')), []);
    assert.deepEqual(checkPassword('Ab1-😀😀😀-xyz', conn('excellent')), [
      'password policy "excellent": no more than 2 identical characters in a row',
    ]);
    assert.deepEqual(checkPassword('Ünïcödé-pässwört', conn('good')), []); // non-ASCII letters count as letters
  });

  it('password_dictionary: the common list and the extra words, case-insensitively, at any level', () => {
    const options = { password_dictionary: { enable: true, dictionary: ['Acme-Corp-2024', 'tessera'] } };
    assert.deepEqual(checkPassword('acme-corp-2024', conn('low', options)), [
      "password_dictionary: the password is a word of the connection's dictionary",
    ]);
    assert.deepEqual(checkPassword('TESSERA', conn('none', options)), [
      "password_dictionary: the password is a word of the connection's dictionary",
    ]);
    assert.deepEqual(checkPassword('Password1!', conn('good', options)), [
      'password_dictionary: the password is too common',
    ]);
    assert.deepEqual(checkPassword('Tessera-is-great-1', conn('good', options)), []); // whole password only
    assert.deepEqual(checkPassword('Password1!', conn('good')), []); // not enabled: allowed
    const off = { password_dictionary: { enable: false, dictionary: ['tessera'] } };
    assert.deepEqual(checkPassword('tessera', conn('low', off)), []);
    // At excellent the common list already applies: one message, not two.
    assert.deepEqual(checkPassword('Password123', conn('excellent', options)), [
      'password policy "excellent": the password is too common',
    ]);
  });

  it('password_no_personal_info: not the email local part, username or name', () => {
    const c = conn('good', { password_no_personal_info: { enable: true } });
    const user = { email: 'jsmith@acme.test', username: 'jo_smith', name: 'Jo Brightwater' };
    assert.deepEqual(checkPassword('JSMITH-rocks-1', c, user), [
      "password_no_personal_info: must not contain the user's email address (the part before @)",
    ]);
    assert.deepEqual(checkPassword('my-Jo_Smith-1', c, user), [
      "password_no_personal_info: must not contain the user's username",
    ]);
    assert.deepEqual(checkPassword('1-brightWATER-!', c, user), [
      "password_no_personal_info: must not contain the user's name",
    ]);
    assert.deepEqual(checkPassword('Acme.test-is-1', c, user), []); // the domain is not personal
    assert.deepEqual(checkPassword('Joyful-days-1', c, user), []); // "Jo" is too short to count
    assert.deepEqual(checkPassword('JSMITH-rocks-1', conn('good'), user), []); // not enabled
    assert.deepEqual(checkPassword('JSMITH-rocks-1', c), []); // no user given
  });

  it('assertPasswordPolicy throws every failure at once', () => {
    assert.doesNotThrow(() => assertPasswordPolicy('Abcdefg1!', conn('good')));
    assert.throws(
      () => assertPasswordPolicy('abc', conn('good')),
      (e: unknown) => {
        assert.ok(e instanceof PasswordPolicyError);
        assert.deepEqual(e.failures, ['password policy "good": at least 8 characters', THREE_OF_4('good')]);
        assert.equal(e.message, e.failures.join('\n'));
        return true;
      },
    );
  });

  it('ships a lower-case dictionary of the usual suspects', () => {
    assert.ok(COMMON_PASSWORDS.size >= 1000);
    for (const p of COMMON_PASSWORDS) assert.equal(p, p.toLowerCase());
    for (const p of [
      'password',
      '123456',
      'qwerty',
      'letmein',
      'iloveyou',
      'Password1',
      'P@ssw0rd',
      'Winter2023!',
    ])
      assert.ok(isCommonPassword(p), p);
    assert.ok(!isCommonPassword('Alice-demo-passw0rd'));
  });
});
