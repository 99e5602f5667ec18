import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  getSigningKeyView,
  listSigningKeyViews,
  revokeSigningKey,
  rotateSigningKeys,
} from '../../keys/manage.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const KidParams = Type.Object(
  { kid: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
type KidParams = Static<typeof KidParams>;
const KeyView = Type.Object(
  {
    kid: Type.String(),
    cert: Type.String(),
    current: Type.Boolean(),
    next: Type.Boolean(),
    previous: Type.Boolean(),
  },
  { additionalProperties: true, description: "A signing key in Auth0's shape (cert: the public key, PEM)." },
);
const tags = ['keys'];

/** Signing keys: list, read, rotate (as `tessera keys rotate`), revoke one that does not sign now. */
export async function signingKeysRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get(
    '/keys/signing',
    {
      onRequest: requireScope('read:signing_keys'),
      schema: {
        tags,
        summary: 'List the signing keys',
        response: { 200: Type.Array(KeyView), ...AUTH_ERRORS },
      },
    },
    async () => listSigningKeyViews(rt.keys, rt.now()),
  );

  app.get<{ Params: KidParams }>(
    '/keys/signing/:kid',
    {
      onRequest: requireScope('read:signing_keys'),
      schema: {
        tags,
        summary: 'Get a signing key',
        params: KidParams,
        response: { 200: KeyView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => getSigningKeyView(rt.keys, request.params.kid, rt.now()),
  );

  app.post(
    '/keys/signing/rotate',
    {
      onRequest: requireScope('create:signing_keys', 'update:signing_keys'),
      schema: {
        tags,
        summary: 'Rotate: a new key, published now, signing after the rotation delay',
        response: { 201: Type.Object({ kid: Type.String(), cert: Type.String() }), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const r = await audited(request, { description: 'Rotate the signing key' }, () =>
        rotateSigningKeys(rt.store, rt.keys),
      );
      const key = await getSigningKeyView(rt.keys, r.kid, rt.now());
      return reply.code(201).send({ kid: key.kid, cert: key.cert });
    },
  );

  app.put<{ Params: KidParams }>(
    '/keys/signing/:kid/revoke',
    {
      onRequest: requireScope('update:signing_keys'),
      schema: {
        tags,
        summary: 'Revoke a signing key that does not sign now (out of the JWKS, its tokens refused)',
        params: KidParams,
        response: {
          200: Type.Object({ kid: Type.String(), cert: Type.String() }),
          404: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const { kid } = request.params;
      const key = await audited(request, { description: 'Revoke a signing key', details: { kid } }, () =>
        revokeSigningKey(rt.store, rt.keys, kid, rt.now()),
      );
      return { kid: key.kid, cert: key.cert };
    },
  );
}
