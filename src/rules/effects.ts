import type { LoginContext } from '../login-types/context.js';
import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';
import { RESERVED_CLAIMS } from '../tokens/tokens.js';
import { oversizedMetadata } from '../store/repos/user-metadata.js';
import { checkClaims, checkProvider, checkScopes } from './output-limits.js';
import { cut, describeScript, type RulesLimits, type ScriptId } from './types.js';

/**
 * Turns what a rule or action asked for into changes of the login context,
 * or into the error that ends the login. Everything read back from the
 * sandbox is untrusted JSON and checked here.
 *
 * Changes to `user.app_metadata` / `user_metadata` alone are not persisted
 * (as in Auth0): `auth0.users.updateAppMetadata` / `api.user.setAppMetadata`
 * record patches, merged here into `ctx.metadataPatch` for metadata.write.
 */

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The outcome of one rule: its `context` changes applied; returns the context the next rule gets. */
export function applyRuleContext(
  ctx: LoginContext<Runtime>,
  id: ScriptId,
  context: Json,
  limits: RulesLimits,
): Json {
  const redirect = context.redirect;
  if (redirect) redirectError(id, isObject(redirect) ? redirect.url : redirect, limits);
  const next = { ...context };
  if (isObject(context.accessToken)) {
    const { scope, ...claims } = context.accessToken;
    ctx.accessTokenClaims = customClaims(ctx, id, 'access', claims, limits);
    next.accessToken = { ...ctx.accessTokenClaims, scope };
    if (scope !== undefined) {
      if (Array.isArray(scope)) setScopes(ctx, id, scope, limits);
      else
        warn(
          ctx,
          id,
          { scope: typeof scope },
          'context.accessToken.scope must be an array of scopes; ignored',
        );
    }
  }
  if (isObject(context.idToken)) {
    ctx.idTokenClaims = customClaims(ctx, id, 'id', context.idToken, limits);
    next.idToken = { ...ctx.idTokenClaims };
  }
  setMultifactor(ctx, id, context.multifactor);
  return next;
}

/** The outcome of one post-login action: what its `api` calls asked for. */
export function applyActionEffects(
  ctx: LoginContext<Runtime>,
  id: ScriptId,
  effects: unknown,
  limits: RulesLimits,
): void {
  if (!isObject(effects)) return;
  if (typeof effects.deny === 'string') {
    throw errors.accessDenied(cut(effects.deny, limits.maxMessageChars) || 'Access denied');
  }
  if (typeof effects.redirect === 'string') redirectError(id, effects.redirect, limits);
  if (isObject(effects.accessClaims)) {
    const merged = {
      ...ctx.accessTokenClaims,
      ...customClaims(ctx, id, 'access', effects.accessClaims, limits),
    };
    checkClaims(id, 'access', merged, limits);
    ctx.accessTokenClaims = merged;
  }
  if (isObject(effects.idClaims)) {
    const merged = { ...ctx.idTokenClaims, ...customClaims(ctx, id, 'id', effects.idClaims, limits) };
    checkClaims(id, 'id', merged, limits);
    ctx.idTokenClaims = merged;
  }
  if (Array.isArray(effects.scopeOps)) {
    let scopes = [...ctx.scopes];
    for (const op of effects.scopeOps) {
      if (!Array.isArray(op) || typeof op[1] !== 'string') continue;
      const scope: string = op[1];
      if (op[0] === 'add' && !scopes.includes(scope)) scopes.push(scope);
      if (op[0] === 'remove') scopes = scopes.filter((s) => s !== scope);
    }
    setScopes(ctx, id, scopes, limits);
  }
  setMultifactor(ctx, id, effects.multifactor);
  applyMetadataEffects(ctx, id, effects);
}

/**
 * Adds a script's metadata patches to the login's, refusing the login when
 * a field would pass Auth0's 16 KB.
 */
export function applyMetadataEffects(ctx: LoginContext<Runtime>, id: ScriptId, effects: unknown): void {
  if (!isObject(effects) || !ctx.user) return;
  const fields = [
    ['app_metadata', effects.appMetadata],
    ['user_metadata', effects.userMetadata],
  ] as const;
  const patch = { ...ctx.metadataPatch };
  let changed = false;
  for (const [field, p] of fields) {
    if (!isObject(p)) continue;
    patch[field] = { ...patch[field], ...p };
    changed = true;
  }
  if (!changed) return;
  const big = oversizedMetadata(ctx.user, patch);
  if (big) {
    warn(ctx, id, { field: big }, 'metadata larger than 16 KB: login refused');
    throw errors.metadataTooLarge(big);
  }
  ctx.metadataPatch = patch;
}

function redirectError(id: ScriptId, url: unknown, limits: RulesLimits): never {
  const where = typeof url === 'string' && url ? cut(url, limits.maxMessageChars) : 'another page';
  throw errors.interactionRequired(
    `${describeScript(id)} asked to redirect the user to ${where}, but redirects are not possible in the Resource Owner Password flow`,
  );
}

/**
 * The custom claims of a token: reserved ones (and `__proto__`) are logged
 * and dropped. Too many or too large: the login fails (checked first, so
 * the warnings stay bounded too).
 */
function customClaims(
  ctx: LoginContext<Runtime>,
  id: ScriptId,
  token: 'access' | 'id',
  claims: Json,
  limits: RulesLimits,
): Json {
  checkClaims(id, token, claims, limits);
  const out: Json = {};
  for (const [name, value] of Object.entries(claims)) {
    if (RESERVED_CLAIMS.has(name) || name === '__proto__') {
      warn(ctx, id, { claim: name, token }, 'a reserved claim cannot be set by a rule or action; ignored');
    } else if (value !== undefined) {
      out[name] = value;
    }
  }
  return out;
}

function setScopes(ctx: LoginContext<Runtime>, id: ScriptId, scopes: unknown[], limits: RulesLimits): void {
  checkScopes(id, scopes, limits);
  const valid = scopes.filter(
    (s): s is string => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s),
  );
  if (valid.length !== scopes.length) warn(ctx, id, { scopes }, 'invalid scopes ignored');
  const next = [...new Set(valid)];
  if (next.join(' ') === ctx.scopes.join(' ')) return;
  ctx.scopes = next;
  ctx.echoScope = next.join(' ') !== ctx.requestedScopes.join(' ');
  // Taking offline_access away means no new refresh token; adding it cannot
  // start one (the client and API decided that before the rules ran).
  if (ctx.refresh?.mode === 'new' && !next.includes('offline_access')) ctx.refresh = undefined;
}

function setMultifactor(ctx: LoginContext<Runtime>, id: ScriptId, mfa: unknown): void {
  if (!isObject(mfa) || typeof mfa.provider !== 'string' || !mfa.provider) return;
  const provider = checkProvider(id, mfa.provider);
  ctx.multifactor = { provider, allowRememberBrowser: mfa.allowRememberBrowser === true };
}

function warn(ctx: LoginContext<Runtime>, id: ScriptId, fields: Json, msg: string): void {
  ctx.rt.log.warn({ script: describeScript(id), ...fields }, msg);
}
