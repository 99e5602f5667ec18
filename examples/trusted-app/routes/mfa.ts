import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { type AppContext, endUserIp, field, page, signIn, takeNotice } from '../context.js';
import { mfaErrorMessage, mfaTokenDead, SESSION_EXPIRED } from '../messages.js';
import type { Notice, PendingMfa } from '../sessions.js';
import { tesseraError } from '../tessera.js';

/** Tessera's mfa_token lives 10 minutes. */
const MFA_TTL_MS = 10 * 60_000;

const ENROLLED: Notice = {
  kind: 'notice',
  title: 'Two-step verification is on',
  text: 'From now on you will be asked for a code when you sign in.',
};

const FACTOR_LABEL: Record<string, string> = {
  otp: 'Authenticator app',
  email: 'Email',
  sms: 'Text message',
};

/** What the MFA page shows: pick a factor to enroll, finish an enrolment, or answer a challenge. */
function mfaView(mfa: PendingMfa, useRecovery: boolean) {
  const base = { title: 'Two-step verification', mfa };
  if (useRecovery) return { ...base, mode: 'recovery' };
  if (mfa.enrollment) return { ...base, mode: `enroll-${mfa.enrollment.type}`, enrollment: mfa.enrollment };
  if (mfa.requirements.enroll) {
    const factors = mfa.requirements.enroll.map((f) => f.type).filter((t) => t in FACTOR_LABEL);
    return {
      ...base,
      mode: 'choose',
      factors,
      email: mfa.username.includes('@') ? mfa.username : '',
    };
  }
  const types = (mfa.requirements.challenge ?? []).map((c) => c.type);
  return {
    ...base,
    mode: 'challenge',
    otp: types.includes('otp'),
    oob: mfa.oob && { ...mfa.oob, by: mfa.oob.channel === 'sms' ? 'text message' : 'email' },
    senders: types
      .filter((t) => t === 'email' || t === 'sms')
      .map((t) => ({ type: t, label: FACTOR_LABEL[t]!.toLowerCase() })),
  };
}

/** GET /mfa and the forms of the MFA step: enrol, send a code, verify, cancel. */
export function mfaRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { mfa: client } = ctx.tessera;

  /** The pending MFA login, or a redirect when there is none (or it has expired). */
  function pendingMfa(request: FastifyRequest, reply: FastifyReply) {
    const s = request.session;
    if (!s.mfa) return { redirect: reply.redirect(s.tokens ? '/' : '/login', 303) };
    if (ctx.now() - s.mfa.startedAt > MFA_TTL_MS) {
      s.mfa = undefined;
      s.notice = SESSION_EXPIRED;
      return { redirect: reply.redirect('/login', 303) };
    }
    return { mfa: s.mfa };
  }

  /** After a failed MFA call: start over when the mfa_token is dead, else show the message. */
  function mfaFailed(err: unknown, request: FastifyRequest, reply: FastifyReply, back = '/mfa') {
    const s = request.session;
    if (mfaTokenDead(err)) {
      s.mfa = undefined;
      s.notice = SESSION_EXPIRED;
      return reply.redirect('/login', 303);
    }
    s.notice = mfaErrorMessage(err);
    return reply.redirect(back, 303);
  }

  const again = (request: FastifyRequest, reply: FastifyReply, text: string, back = '/mfa') => {
    request.session.notice = { kind: 'error', text };
    return reply.redirect(back, 303);
  };

  app.get<{ Querystring: { use?: string } }>('/mfa', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.mfa) return p.redirect;
    const notice = takeNotice(request);
    return page(reply, 'mfa', { ...mfaView(p.mfa, request.query.use === 'recovery'), notice });
  });

  app.post('/mfa/enroll', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.mfa) return p.redirect;
    const { mfa } = p;
    const factor = field(request.body, 'factor');
    if (!(mfa.requirements.enroll ?? []).some((f) => f.type === factor)) {
      return again(request, reply, 'Choose one of the offered methods.');
    }
    try {
      if (factor === 'otp') {
        const e = await client.associate(mfa.mfaToken, { type: 'otp' });
        if (e.authenticator_type !== 'otp') throw new Error('Tessera enrolled something other than OTP');
        mfa.enrollment = {
          type: 'otp',
          secret: e.secret,
          qrDataUrl: await QRCode.toDataURL(e.barcode_uri, { margin: 1, width: 360 }),
          recoveryCode: e.recovery_codes?.[0],
        };
      } else {
        const channel = factor === 'sms' ? 'sms' : 'email';
        const e = await client.associate(mfa.mfaToken, {
          type: 'oob',
          channel,
          email: channel === 'email' ? field(request.body, 'email').trim() || undefined : undefined,
          phoneNumber:
            channel === 'sms' ? field(request.body, 'phone_number').trim() || undefined : undefined,
        });
        if (e.authenticator_type !== 'oob') throw new Error('Tessera enrolled something other than OOB');
        mfa.enrollment = { type: 'oob', channel, oobCode: e.oob_code, recoveryCode: e.recovery_codes?.[0] };
      }
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA enrolment failed');
      return mfaFailed(err, request, reply);
    }
    return reply.redirect('/mfa', 303);
  });

  app.post('/mfa/send', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.mfa) return p.redirect;
    const { mfa } = p;
    const channel = field(request.body, 'channel');
    try {
      const authenticator = (await client.authenticators(mfa.mfaToken)).find(
        (a) => a.active && a.authenticator_type === 'oob' && a.oob_channel === channel,
      );
      if (!authenticator) return again(request, reply, 'That method is not set up for your account.');
      const c = await client.challenge(mfa.mfaToken, 'oob', authenticator.id);
      if (!c.oob_code) throw new Error('Tessera answered an oob challenge without an oob_code');
      mfa.oob = { channel, oobCode: c.oob_code, name: authenticator.name };
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA challenge failed');
      return mfaFailed(err, request, reply);
    }
    return reply.redirect('/mfa', 303);
  });

  app.post('/mfa/verify', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.mfa) return p.redirect;
    const { mfa } = p;
    const method = field(request.body, 'method');
    const code = field(request.body, 'code').replace(/[\s-]+/g, '');
    const back = method === 'recovery' ? '/mfa?use=recovery' : '/mfa';
    if (!code) return again(request, reply, 'Enter the code.', back);
    const ip = endUserIp(request);
    const user = { username: mfa.username, realm: mfa.realm };
    const enrolled = mfa.enrollment ? ENROLLED : undefined;
    try {
      if (method === 'otp') {
        return signIn(ctx, request, reply, user, await client.otpGrant(mfa.mfaToken, code, ip), enrolled);
      }
      if (method === 'oob') {
        const oobCode = mfa.enrollment?.type === 'oob' ? mfa.enrollment.oobCode : mfa.oob?.oobCode;
        if (!oobCode) return again(request, reply, 'Send yourself a code first.');
        const t = await client.oobGrant(mfa.mfaToken, oobCode, code, ip);
        return signIn(ctx, request, reply, user, t, enrolled);
      }
      if (method === 'recovery') {
        const t = await client.recoveryCodeGrant(mfa.mfaToken, code.toUpperCase(), ip);
        return signIn(ctx, request, reply, user, t, {
          kind: 'notice',
          title: 'You signed in with your recovery code',
          text: 'It cannot be used again. Here is your new recovery code: write it down.',
          code: t.recovery_code,
        });
      }
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA verification failed');
      const e = tesseraError(err);
      if (e?.code === 'expired_token' && /oob_code/.test(e.description)) mfa.oob = undefined;
      return mfaFailed(err, request, reply, back);
    }
    return again(request, reply, 'Choose how to verify.');
  });

  app.post('/mfa/cancel', async (request, reply) => {
    request.session.mfa = undefined;
    return reply.redirect('/login', 303);
  });
}
