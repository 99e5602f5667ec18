import type { FastifyPluginAsync } from 'fastify';
import { authorizeMfa, publicAuthenticator, removeAuthenticator } from '../mfa/access.js';
import { mfaCaller } from '../mfa/caller.js';
import { type AssociateRequest, associate } from '../mfa/enroll.js';
import { errors, mfaErrors } from '../errors/index.js';
import type { Runtime } from '../runtime.js';
import { mfaChallenge } from '../oauth/mfa-challenge.js';
import { Params } from '../oauth/params.js';

/** A list parameter: a JSON array of strings, or a space-separated form value. */
function listParam(body: unknown, name: string): string[] {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (v === undefined) return [];
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw errors.malformedParameter(name, 'must be an array of strings');
}

/** The MFA API (spec section 5): list, enroll, remove authenticators and start challenges. */
export const mfaRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  app.get('/mfa/authenticators', async (request) => {
    const caller = await mfaCaller(rt, request.headers.authorization);
    return (await authorizeMfa(rt, caller, 'read')).map(publicAuthenticator);
  });

  app.delete<{ Params: { id: string } }>('/mfa/authenticators/:id', async (request, reply) => {
    const caller = await mfaCaller(rt, request.headers.authorization);
    await removeAuthenticator(rt, caller, request.params.id);
    return reply.code(204).send();
  });

  app.post('/mfa/associate', async (request) => {
    const caller = await mfaCaller(rt, request.headers.authorization);
    const existing = await authorizeMfa(rt, caller, 'enroll');
    const params = new Params(request.body);
    const clientId = params.optional('client_id');
    if (clientId !== undefined && clientId !== caller.clientId) throw mfaErrors.clientMismatch();
    const types = listParam(request.body, 'authenticator_types');
    const channels = listParam(request.body, 'oob_channels');
    if (types.length !== 1 || (types[0] !== 'otp' && types[0] !== 'oob')) {
      throw errors.malformedParameter('authenticator_types', 'must be ["otp"] or ["oob"]');
    }
    const channel = channels[0];
    if (types[0] === 'oob' && channel !== 'sms' && channel !== 'email') {
      throw errors.malformedParameter('oob_channels', 'must be ["sms"] or ["email"]');
    }
    const req: AssociateRequest = {
      type: types[0],
      channel: channel as AssociateRequest['channel'],
      phoneNumber: params.optional('phone_number'),
      email: params.optional('email'),
    };
    return associate(rt, caller, existing, req);
  });

  app.post('/mfa/challenge', async (request) =>
    mfaChallenge(rt, new Params(request.body), request.headers.authorization),
  );
};
