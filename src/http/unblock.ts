import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Runtime } from '../runtime.js';
import { useTicket } from '../store/repos/blocks.js';

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
 * (its id is recorded before the block is lifted). Also ties attack
 * protection's resources (Redis) to the server's life.
 */
export function unblockRoutes(app: FastifyInstance, rt: Runtime): void {
  app.addHook('onClose', () => rt.protection.close());
  app.get('/unblock', async (request, reply) => {
    const { ticket } = request.query as { ticket?: unknown };
    if (typeof ticket !== 'string' || ticket === '') return page(reply, 400, UNBLOCK_PAGES.invalid);
    const now = rt.now();
    const check = await rt.protection.tickets.verify(ticket, now);
    if (!check.ok) return page(reply, 400, UNBLOCK_PAGES[check.reason]);
    const { payload } = check;
    if (!(await useTicket(rt.store.db, payload.j, now, payload.e)))
      return page(reply, 400, UNBLOCK_PAGES.used);
    await rt.protection.liftBlock(rt, payload.b, request.ip, 'Unblocked by the link in the email');
    return page(reply, 200, UNBLOCK_PAGES.done);
  });
}
