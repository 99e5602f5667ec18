import type { LoginContext } from './context.js';

/** The audit fields every login event shares (success, failure, blocks, leaks). */
export function eventFields(ctx: LoginContext) {
  return {
    client_id: ctx.client.client_id,
    client_name: ctx.client.name,
    connection: ctx.connection.name,
    connection_id: ctx.connection.id,
    user_id: ctx.user?.user_id ?? null,
    user_name: ctx.username,
    ip: ctx.request.ip,
    client_ip: ctx.request.clientIp !== ctx.request.ip ? ctx.request.clientIp : null,
    user_agent: ctx.request.userAgent ?? null,
    details: {
      grant_type: ctx.grantType,
      audience: ctx.api?.identifier ?? null,
      scope: ctx.scopes.join(' '),
    },
  };
}
