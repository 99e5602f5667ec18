import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashClientSecret, verifyClientSecret } from '../../src/tokens/client-secret.js';

describe('tokens/client-secret', () => {
  it('stores a secret as sha256$ and the base64url SHA-256 of its UTF-8 bytes', () => {
    const secret = 'web-secret-0123456789-abcdefghij';
    const digest = createHash('sha256').update(Buffer.from(secret, 'utf8')).digest('base64url');
    assert.equal(hashClientSecret(secret), `sha256$${digest}`);
    assert.match(hashClientSecret('ünïcødé-secret-0123'), /^sha256\$[A-Za-z0-9_-]{43}$/);
  });

  it('verifies the secret it was made from, and nothing else', () => {
    const stored = hashClientSecret('web-secret-0123456789-abcdefghij');
    assert.equal(verifyClientSecret(stored, 'web-secret-0123456789-abcdefghij'), true);
    assert.equal(verifyClientSecret(stored, 'web-secret-0123456789-abcdefghiJ'), false);
    assert.equal(verifyClientSecret(stored, ''), false);
  });

  it('refuses against a stored value of another shape (no throw on a length mismatch)', () => {
    assert.equal(verifyClientSecret('sha256$short', 'anything'), false);
    assert.equal(verifyClientSecret('', 'anything'), false);
  });
});
