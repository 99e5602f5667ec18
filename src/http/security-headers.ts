import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Headers every answer carries: no sniffing, no framing, no referrer, no
 * active content, nothing cached unless a route says so (HSTS over TLS).
 */
export function setSecurityHeaders(reply: FastifyReply, opts: { tls: boolean }): void {
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
  // A page of Tessera's own (pages/) sets its own policy, with its nonce.
  if (!reply.hasHeader('Content-Security-Policy'))
    reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
  if (opts.tls) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

export function installSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    setSecurityHeaders(reply, opts);
    return payload;
  });
}
