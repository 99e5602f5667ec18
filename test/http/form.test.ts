import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8, parseForm } from '../../src/http/params.js';
import { Repeated } from '../../src/oauth/params.js';

const form = (body: string | Buffer) => ({ ...parseForm(body) });

describe('parseForm: application/x-www-form-urlencoded, byte by byte', () => {
  it('reads names and values as they are when they hold no escape', () => {
    assert.deepEqual(form('grant_type=password&client_id=acme-web&scope=openid'), {
      grant_type: 'password',
      client_id: 'acme-web',
      scope: 'openid',
    });
    assert.deepEqual(form('a=&b&=c&&d=1=2'), { a: '', b: '', '': 'c', d: '1=2' });
  });

  it('turns + into a space and %XX into a byte, then decodes UTF-8', () => {
    assert.deepEqual(form('scope=openid+profile&username=alice%40acme.test&n=%C3%A9t%C3%A9'), {
      scope: 'openid profile',
      username: 'alice@acme.test',
      n: 'été',
    });
    assert.deepEqual(form('a%2Bb=1%2b1%3D2'), { 'a+b': '1+1=2' });
  });

  it('keeps a bad escape as it is', () => {
    assert.deepEqual(form('a=100%&b=%zz&c=%4'), { a: '100%', b: '%zz', c: '%4' });
  });

  it('decodes raw UTF-8 bytes, and keeps invalid UTF-8 detectable (lone surrogates)', () => {
    assert.deepEqual(form(Buffer.from('name=Zoë&x=日本', 'utf8')), { name: 'Zoë', x: '日本' });
    assert.deepEqual(form(Buffer.from([0x61, 0x3d, 0xff, 0x62])), { a: '\udcffb' });
    assert.deepEqual(form('a=%FFb'), { a: '\udcffb' });
    assert.equal(decodeUtf8(new Uint8Array([0xc3])), '\udcc3');
  });

  it('marks a repeated name', () => {
    const out = parseForm('a=1&a=2&a=3');
    assert.ok(out.a instanceof Repeated);
    assert.deepEqual((out.a as Repeated).values, ['1', '2', '3']);
  });
});
