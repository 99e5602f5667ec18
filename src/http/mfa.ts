import type { FastifyInstance } from 'fastify';
import { authorizeMfa, publicAuthenticator } from '../mfa/access.js';
import { mfaCaller } from '../mfa/caller.js';
import { type AssociateRequest, associate } from '../mfa/enroll.js';
import { mfaErrors } from '../errors/index.js';
import { sendOobChallenge } from '../mfa/oob.js';
import { loadMfaTransaction } from '../mfa/transactions.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { errors } from '../errors/index.js';
import type { Runtime } from '../runtime.js';
import { deleteAuthenticator, listAuthenticators } from '../store/repos/mfa-authenticators.js';
import { Params } from './params.js';

/** A list parameter: a JSON array of strings, or a space-separated form value. */
function listParam(body: unknown, name: string): string[] {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (v === undefined) return [];
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw errors.malformedParameter(name, 'must be an array of strings');
}

/** The MFA API (spec section 5): list, enroll, remove authenticators and start challenges. */
export function mfaRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/mfa/authenticators', async (request) => {
    const caller = await mfaCaller(rt, request.headers.authorization);
    return (await authorizeMfa(rt, caller, 'read')).map(publicAuthenticator);
  });

  app.delete<{ Params: { id: string } }>('/mfa/authenticators/:id', async (request, reply) => {
    const caller = await mfaCaller(rt, request.headers.authorization);
    await authorizeMfa(rt, caller, 'remove');
    if (!(await deleteAuthenticator(rt.store.db, caller.userId, request.params.id))) {
      throw errors.notFound('Authenticator not found');
    }
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

  app.post('/mfa/challenge', async (request) => {
    const params = new Params(request.body);
    const tx = await loadMfaTransaction(rt, params.required('mfa_token'));
    // The mfa_token is bound to its client and is the credential here: Auth0's MfaClient sends
    // only client_id. Client credentials, when sent, must be right.
    const sentCredentials =
      params.optional('client_secret') !== undefined || Boolean(request.headers.authorization);
    const clientId = sentCredentials
      ? (await authenticateClient(rt, params, request.headers.authorization, { failure: 'invalid_client' }))
          .client.client_id
      : params.required('client_id');
    if (clientId !== tx.login.clientId) throw mfaErrors.clientMismatch();
    const wanted = params.optional('challenge_type')?.split(' ') ?? ['oob', 'otp'];
    if (wanted.some((t) => t !== 'otp' && t !== 'oob')) {
      throw errors.malformedParameter('challenge_type', 'must be "otp", "oob" or "oob otp"');
    }
    const authenticatorId = params.optional('authenticator_id');
    const active = (await listAuthenticators(rt.store.db, tx.login.userId)).filter(
      (a) => a.active === 1 && a.type !== 'recovery-code' && (!authenticatorId || a.id === authenticatorId),
    );
    if (active.length === 0)
      throw authenticatorId ? errors.notFound('Authenticator not found') : mfaErrors.notEnrolled();
    // An explicit authenticator decides the kind; otherwise OTP is preferred (nothing to send).
    const otp = wanted.includes('otp') ? active.find((a) => a.type === 'otp') : undefined;
    const oob = wanted.includes('oob')
      ? active.find((a) => a.type === 'sms' || a.type === 'email')
      : undefined;
    if (otp) return { challenge_type: 'otp' };
    if (oob)
      return {
        challenge_type: 'oob',
        oob_code: await sendOobChallenge(rt, tx, oob),
        binding_method: 'prompt',
      };
    throw mfaErrors.noFactor(wanted.join(' or '));
  });
}
