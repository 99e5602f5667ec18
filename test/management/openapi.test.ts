import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type RouteOptions } from 'fastify';
import { managementApi } from '../../src/management/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

describe('Management API OpenAPI document', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(sqlite);
  });
  after(() => t.close());

  it('is served at <issuer>api/v2/openapi.json without a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v2/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.0.3');
    assert.ok(doc.paths['/api/v2/users/{id}'].patch);
    assert.equal(doc.paths['/api/v2/openapi.json'], undefined);
  });

  it('is rendered at <issuer>api/v2/docs from assets served locally', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/v2/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.doesNotMatch(page.body, /https?:\/\//);
    const bundle = await t.app.inject({ method: 'GET', url: '/api/v2/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
  });

  it('has every management route, each with a schema', async () => {
    const app = Fastify({ logger: false });
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (r) => {
      routes.push(r);
    });
    await app.register(managementApi, { rt: t.rt, prefix: '/api/v2' });
    await app.ready();
    const doc = (await app.inject({ method: 'GET', url: '/api/v2/openapi.json' })).json();
    // The document and its rendered page describe the API; they are not part of it.
    const documented = routes.filter(
      (r) => !r.url.endsWith('/openapi.json') && !r.url.startsWith('/api/v2/docs') && r.method !== 'HEAD',
    );
    assert.ok(documented.length >= 5);
    for (const r of documented) {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      for (const m of methods) {
        assert.ok(r.schema, `${m} ${r.url} has no schema`);
        assert.ok(r.schema.response, `${m} ${r.url} has no response schema`);
        assert.ok(doc.paths[path]?.[m.toLowerCase()], `${m} ${path} is not in the OpenAPI document`);
      }
    }
    await app.close();
  });
});
