import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import view from '@fastify/view';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Liquid } from 'liquidjs';
import { requestInfo } from '../http/request-info.js';
import { completeReset, verifyEmail } from '../identity/reset.js';
import { openResetForm, tenantName } from '../identity/reset-form.js';
import { type TicketProblem, ticketHash } from '../identity/tickets.js';
import { toOAuth } from '../oauth/wire.js';
import type { Runtime } from '../runtime.js';
import { PAGE_TEMPLATES } from './templates.js';

/**
 * The pages behind the emailed links: `<issuer>lo/reset?ticket=…` (choose a
 * new password) and `<issuer>lo/verify_email?ticket=…`. Nothing from the
 * request is echoed but through the escaping templates. The reset form is
 * CSRF-safe with a double-submit token: a random cookie (SameSite=Strict,
 * HttpOnly) and a form field that is an HMAC of that cookie and the ticket,
 * so a form posted from another site has neither.
 */
export const TICKET_PAGES: Record<TicketProblem, string> = {
  invalid: 'This link is not valid. Copy the whole link from the email, or ask for a new one.',
  expired: 'This link has expired. Ask for a new one ("Forgot password?" on the login form).',
  used: 'This link has already been used. If you still need to, ask for a new one.',
  superseded:
    'This link no longer works: the password was changed since it was sent. Ask for a new one if you need to.',
};

const CSRF_COOKIE = 'tessera_csrf';
const MAX_PASSWORD = 256;

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The pages of the emailed links (above), as a Fastify plugin: `app.register(pageRoutes, { rt })`. */
export const pageRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  const key = Buffer.from(hkdfSync('sha256', rt.config.secret, 'tessera', 'reset-form csrf v1', 32));
  const formToken = (nonce: string, ticket: string) =>
    createHmac('sha256', key)
      .update(`${nonce}.${ticketHash(ticket)}`)
      .digest('base64url');
  const secure = rt.config.issuer.startsWith('https:');
  const issuerOrigin = new URL(rt.config.issuer).origin;

  await app.register(async (scope) => {
    await scope.register(view, {
      engine: {
        liquid: new Liquid({ templates: PAGE_TEMPLATES, outputEscape: 'escape', ownPropertyOnly: true }),
      },
      // Names are looked up in PAGE_TEMPLATES as `pages/<name>`, never on disk.
      root: 'pages',
    } as never);

    async function render(reply: FastifyReply, status: number, page: string, data: Record<string, unknown>) {
      const nonce = randomBytes(16).toString('base64');
      const tenant = await tenantName(rt);
      const html = await reply.viewAsync(`${page}.liquid`, { ...data, tenant, nonce });
      return reply
        .code(status)
        .header(
          'Content-Security-Policy',
          `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
        )
        .type('text/html; charset=utf-8')
        .send(html);
    }
    const message = (reply: FastifyReply, status: number, title: string, text: string, link?: string) =>
      render(reply, status, 'message', {
        title,
        text,
        kind: status === 200 ? 'done' : 'error',
        link,
        link_label: 'Continue',
      });
    const info = (request: FastifyRequest) => requestInfo(rt, request);

    // A person reads these answers: every error is a page, never JSON (a NUL in the
    // link, refused before any handler, included); a 500 says nothing of internals.
    scope.setErrorHandler(async (err: FastifyError, request, reply) => {
      const title = request.url.startsWith('/lo/reset') ? 'Reset your password' : 'Verify your email';
      const status = typeof err.statusCode === 'number' ? err.statusCode : (toOAuth(err)?.status ?? 500);
      if (status >= 400 && status < 500) return message(reply, 400, title, TICKET_PAGES.invalid);
      request.log.error({ err }, 'unhandled error');
      return message(reply, 500, title, 'Something went wrong on our side. Try the link again in a moment.');
    });

    async function resetForm(
      request: FastifyRequest,
      reply: FastifyReply,
      ticket: string,
      status: number,
      error?: string,
    ) {
      const form = await openResetForm(rt, ticket);
      if (!form.ok) return message(reply, 400, 'Reset your password', TICKET_PAGES[form.reason]);
      let nonce = cookie(request, CSRF_COOKIE);
      if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
        nonce = randomBytes(32).toString('base64url');
        reply.header(
          'Set-Cookie',
          `${CSRF_COOKIE}=${nonce}; Path=/lo; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
        );
      }
      const rules = form.rules.map((r) => {
        let i = 0;
        return { ...r, text: r.message.replace(/%[ds]/g, () => String(r.format?.[i++] ?? '')) };
      });
      return render(reply, status, 'reset', {
        title: 'Reset your password',
        account: form.account,
        ticket,
        csrf: formToken(nonce, ticket),
        rules,
        policy: form.policy,
        error,
      });
    }

    scope.get('/lo/reset', async (request, reply) => {
      const { ticket } = request.query as { ticket?: unknown };
      if (typeof ticket !== 'string') return message(reply, 400, 'Reset your password', TICKET_PAGES.invalid);
      return resetForm(request, reply, ticket, 200);
    });

    scope.post('/lo/reset', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
      const ticket = field('ticket');
      if (ticket === undefined) return message(reply, 400, 'Reset your password', TICKET_PAGES.invalid);
      const origin = request.headers.origin;
      const nonce = cookie(request, CSRF_COOKIE);
      const given = Buffer.from(field('csrf') ?? '');
      const expected = nonce ? Buffer.from(formToken(nonce, ticket)) : Buffer.alloc(0);
      // Under Referrer-Policy: no-referrer browsers send `Origin: null` for their own forms; the cookie
      // (SameSite=Strict) and its token are the defence, a foreign Origin is refused outright.
      const sameOrigin = origin === undefined || origin === 'null' || origin === issuerOrigin;
      if (!sameOrigin || !nonce || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return resetForm(
          request,
          reply,
          ticket,
          403,
          'This form has expired or was sent from elsewhere. Please try again.',
        );
      }
      const password = field('password') ?? '';
      if (password === '' || password.length > MAX_PASSWORD || password.includes('\u0000')) {
        return resetForm(
          request,
          reply,
          ticket,
          400,
          `Enter a password of at most ${MAX_PASSWORD} characters.`,
        );
      }
      if (password !== field('confirm'))
        return resetForm(request, reply, ticket, 400, 'The two passwords differ.');
      const outcome = await completeReset(rt, ticket, password, info(request));
      if (outcome.ok) {
        return message(
          reply,
          200,
          'Password changed',
          'Your password has been changed. You can log in with it now.',
          outcome.resultUrl,
        );
      }
      if (outcome.kind === 'ticket')
        return message(reply, 400, 'Reset your password', TICKET_PAGES[outcome.reason]);
      return resetForm(request, reply, ticket, 400, outcome.message);
    });

    scope.get('/lo/verify_email', async (request, reply) => {
      const { ticket } = request.query as { ticket?: unknown };
      const outcome = await verifyEmail(rt, ticket, info(request));
      if (outcome.ok) {
        return message(
          reply,
          200,
          'Email verified',
          'Your email address has been verified. Thank you!',
          outcome.resultUrl,
        );
      }
      return message(
        reply,
        400,
        'Verify your email',
        TICKET_PAGES[outcome.reason].replace(' ("Forgot password?" on the login form)', ''),
      );
    });
  });
};
