import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { signCompactJwt, signJwtWithJose } from '../../src/keys/jwt-sign.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const AT = new Date(1_767_225_600_000);
const header = { alg: 'RS256', typ: 'JWT' as const, kid: 'k1' };
const claims = {
  iss: 'https://tessera.example/',
  sub: 'auth0|u1',
  aud: ['https://api', 'https://tessera.example/userinfo'],
  iat: 1_767_225_600,
  exp: 1_767_232_800,
  scope: 'openid read:orders',
  gty: ['refresh_token', 'password'],
  azp: 'app',
  'https://example.com/ünïcode': 'emoji 🎉 and "quotes"',
};

describe('signCompactJwt (node:crypto KeyObject)', () => {
  it('RS256: byte for byte the JWT jose signs, and jose verifies it', async () => {
    const ours = await signCompactJwt(header, claims, privateKey);
    assert.equal(ours, await signJwtWithJose(header, claims, privateKey));
    const { payload, protectedHeader } = await jwtVerify(ours, publicKey, {
      algorithms: ['RS256'],
      currentDate: AT,
    });
    assert.deepEqual(payload, claims);
    assert.deepEqual(protectedHeader, header);
  });

  it('PS256: jose verifies it (PSS signatures are randomized, so not byte-equal)', async () => {
    const ours = await signCompactJwt({ ...header, alg: 'PS256' }, claims, privateKey);
    assert.equal(decodeProtectedHeader(ours).alg, 'PS256');
    const { payload } = await jwtVerify(ours, publicKey, { algorithms: ['PS256'], currentDate: AT });
    assert.deepEqual(payload, claims);
  });

  it('refuses a non-finite time claim, as jose does', async () => {
    await assert.rejects(signCompactJwt(header, { ...claims, exp: Number.NaN }, privateKey), /"exp" claim/);
    await assert.rejects(signJwtWithJose(header, { ...claims, exp: Number.NaN }, privateKey), /"exp" claim/);
  });

  it('an algorithm it does not sign itself goes to jose', async () => {
    await assert.rejects(signCompactJwt({ ...header, alg: 'ES256' }, claims, privateKey));
  });
});
