import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Runtime } from '../runtime.js';
import { redeemUnblockTicket } from '../protection/unblock.js';

/** The pages of the unblock link: fixed text, nothing from the request is echoed. */
export const UNBLOCK_PAGES = {
  done: 'Your account has been unblocked. You can log in again.',
  invalid: 'This unblock link is not valid. Copy the whole link from the email, or ask your administrator.',
  expired: 'This unblock link has expired. Ask your administrator to unblock your account.',
  used: 'This unblock link has already been used.',
} as const;

function page(reply: FastifyReply, status: number, text: string) {
  const title = status === 200 ? 'Account unblocked' : 'Unblock link';
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>${title}</title><p>${text}</p></html>\n`,
    );
}

/**
 * GET /unblock?ticket=…: the link of the brute-force email. The ticket is
 * an HS256 JWT (key derived from the server secret), expires, and works once
 * (protection/unblock.ts). Also ties attack protection's resources (Redis)
 * to the server's life.
 */
export const unblockRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  app.addHook('onClose', () => rt.protection.close());
  app.get('/unblock', async (request, reply) => {
    const { ticket } = request.query as { ticket?: unknown };
    if (typeof ticket !== 'string' || ticket === '') return page(reply, 400, UNBLOCK_PAGES.invalid);
    const outcome = await redeemUnblockTicket(rt, ticket, request.ip);
    return page(reply, outcome === 'done' ? 200 : 400, UNBLOCK_PAGES[outcome]);
  });
};
