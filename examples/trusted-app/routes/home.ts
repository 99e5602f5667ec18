import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppContext, endUserIp, page, takeNotice } from '../context.js';
import { SIGNED_OUT_BY_SERVER } from '../messages.js';
import type { Tokens } from '../sessions.js';
import { forwardedFor, tesseraError } from '../tessera.js';

/** Refresh a little before the access token expires. */
const EXPIRY_SKEW_MS = 30_000;

type ApiResult =
  | { ok: true; status: number; body: { orders?: unknown[] } & Record<string, unknown> }
  | { ok: false; status?: number; message: string };

const formatTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/** The home page (orders and profile), the refresh button, sign-out. */
export function homeRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { auth, userInfo } = ctx.tessera;
  /** Refreshes in flight, by session id. */
  const refreshing = new Map<string, Promise<Tokens>>();

  /**
   * Exchanges the refresh token for new tokens. One exchange per session at a
   * time: with rotation, two concurrent exchanges of one token would look like
   * token theft to Tessera and revoke the whole family. Concurrent pages of
   * one session wait for the same exchange; its result goes to the store at
   * once, so a page loaded meanwhile does not exchange the old token again.
   */
  async function refreshTokens(request: FastifyRequest): Promise<void> {
    const s = request.session;
    const id = s.sessionId;
    let pending = refreshing.get(id);
    if (!pending) {
      const current = s.tokens;
      pending = (async () => {
        const latest = ctx.sessions.peek(id)?.tokens;
        if (latest && current && latest.issuedAt > current.issuedAt) return latest;
        if (!current?.refreshToken) throw new Error('no refresh token');
        const { data: t } = await auth.oauth.refreshTokenGrant(
          { refresh_token: current.refreshToken },
          forwardedFor(endUserIp(request)),
        );
        const next: Tokens = {
          accessToken: t.access_token,
          refreshToken: t.refresh_token ?? current.refreshToken,
          expiresAt: ctx.now() + t.expires_in * 1000,
          scope: (t as { scope?: string }).scope ?? current.scope,
          issuedAt: ctx.now(),
          refreshCount: current.refreshCount + 1,
        };
        const stored = ctx.sessions.peek(id);
        if (stored) stored.tokens = next;
        return next;
      })().finally(() => refreshing.delete(id));
      refreshing.set(id, pending);
    }
    s.tokens = await pending;
  }

  /** The session's tokens are no longer good: back to the login page with a message. */
  function signedOutByServer(request: FastifyRequest, reply: FastifyReply) {
    const s = request.session;
    s.tokens = undefined;
    s.user = undefined;
    s.notice = SIGNED_OUT_BY_SERVER;
    return reply.redirect('/login', 303);
  }

  /** GET /orders at the Orders API with the access token. */
  async function callOrders(accessToken: string): Promise<ApiResult> {
    try {
      const res = await fetch(ctx.ordersUrl, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.ok) return { ok: true, status: res.status, body };
      const message =
        typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
      return { ok: false, status: res.status, message };
    } catch (err) {
      return { ok: false, message: `The Orders API cannot be reached (${(err as Error).message}).` };
    }
  }

  /** Tessera's /userinfo (the SDK's UserInfoClient); 401 is reported so the caller can refresh. */
  async function callUserinfo(accessToken: string) {
    try {
      const { data } = await userInfo.getUserInfo(accessToken);
      return { status: 200, profile: data as unknown as Record<string, unknown> };
    } catch (err) {
      const e = err as { statusCode?: number; error_description?: string };
      return {
        status: e.statusCode ?? 503,
        error: e.error_description ?? 'Tessera cannot be reached.',
        profile: {} as Record<string, unknown>,
      };
    }
  }

  app.get('/', async (request, reply) => {
    const s = request.session;
    if (!s.tokens) return reply.redirect(s.mfa ? '/mfa' : '/login', 303);
    const refreshOrEnd = async (): Promise<boolean> => {
      try {
        await refreshTokens(request);
        return true;
      } catch (err) {
        request.log.warn({ err: String(err) }, 'refresh failed');
        return false;
      }
    };
    // An expired access token: refresh before calling anything.
    if (ctx.now() >= s.tokens.expiresAt - EXPIRY_SKEW_MS && !(await refreshOrEnd())) {
      return signedOutByServer(request, reply);
    }
    const load = () => Promise.all([callUserinfo(s.tokens!.accessToken), callOrders(s.tokens!.accessToken)]);
    let [info, orders] = await load();
    // Refused (expired early, keys rotated, clock skew): refresh once and try again.
    if (info.status === 401 || (!orders.ok && orders.status === 401)) {
      if (!(await refreshOrEnd())) return signedOutByServer(request, reply);
      [info, orders] = await load();
    }
    const tokens = s.tokens!;
    const name = typeof info.profile.name === 'string' ? info.profile.name : s.user!.username;
    return page(reply, 'home', {
      title: 'Your orders',
      name,
      realm: s.user!.realm,
      notice: takeNotice(request),
      orders: orders.ok ? { ...orders, json: JSON.stringify(orders.body, null, 2) } : orders,
      profileError: 'error' in info ? info.error : undefined,
      claims: Object.entries(info.profile).map(([claim, v]) => ({
        claim,
        value: typeof v === 'object' ? JSON.stringify(v) : String(v),
      })),
      session: {
        scope: tokens.scope ?? '(as requested)',
        expires: formatTime(tokens.expiresAt),
        refreshToken: Boolean(tokens.refreshToken),
        refreshed: `${tokens.refreshCount} time${tokens.refreshCount === 1 ? '' : 's'}`,
      },
    });
  });

  app.post('/refresh', async (request, reply) => {
    const s = request.session;
    if (!s.tokens) return reply.redirect('/login', 303);
    try {
      await refreshTokens(request);
    } catch (err) {
      request.log.warn({ err: String(err) }, 'refresh failed');
      if (tesseraError(err) || !s.tokens.refreshToken) return signedOutByServer(request, reply);
      s.notice = { kind: 'error', text: 'Tessera cannot be reached right now; try again in a moment.' };
      return reply.redirect('/', 303);
    }
    s.notice = { kind: 'notice', text: 'The access token was refreshed with the refresh token.' };
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    await refreshing.get(request.session.sessionId)?.catch(() => {});
    const refreshToken =
      ctx.sessions.peek(request.session.sessionId)?.tokens?.refreshToken ??
      request.session.tokens?.refreshToken;
    // A new, empty session: the old one is gone from the store.
    await request.session.regenerate();
    let revoked = true;
    if (refreshToken) {
      try {
        await auth.oauth.revokeRefreshToken({ token: refreshToken });
      } catch (err) {
        revoked = false;
        request.log.warn({ err: String(err) }, 'could not revoke the refresh token');
      }
    }
    request.session.notice = revoked
      ? { kind: 'notice', title: 'Signed out', text: 'Your session is closed and its refresh token revoked.' }
      : {
          kind: 'error',
          title: 'Signed out',
          text: 'Your session is closed here, but Tessera could not be told to revoke its refresh token.',
        };
    return reply.redirect('/login', 303);
  });
}
