/**
 * The part of the sandbox's prelude (sandbox-source.ts) that runs a
 * post-login action: `startAction(define)` loads the action's module and
 * calls its `onExecutePostLogin(event, api)`, and `api()` is Auth0's `api`
 * object, whose calls only record effects for the host to check and apply
 * (effects.ts). Spliced into the prelude's closure: it uses the prelude's
 * `effects`, `input`, `outcome`, `patchMetadata`, `fail` and `errorText`.
 */
export const SANDBOX_ACTION_API = `  function api() {
    const a = {};
    a.access = { deny: function (reason) { if (effects.deny === null) effects.deny = String(reason == null ? '' : reason); return a; } };
    a.accessToken = {
      setCustomClaim: function (name, value) { effects.accessClaims[String(name)] = value; return a; },
      addScope: function (scope) { effects.scopeOps.push(['add', String(scope)]); return a; },
      removeScope: function (scope) { effects.scopeOps.push(['remove', String(scope)]); return a; },
    };
    a.idToken = { setCustomClaim: function (name, value) { effects.idClaims[String(name)] = value; return a; } };
    a.multifactor = {
      enable: function (provider, options) {
        effects.multifactor = { provider: String(provider), allowRememberBrowser: !!(options && options.allowRememberBrowser) };
        return a;
      },
    };
    a.user = {
      setAppMetadata: function (key, value) { patchMetadata('appMetadata', key, value); return a; },
      setUserMetadata: function (key, value) { patchMetadata('userMetadata', key, value); return a; },
    };
    a.redirect = { sendUserTo: function (url) { if (effects.redirect === null) effects.redirect = String(url); return a; } };
    return a;
  }

  function startAction(define) {
    const module = { exports: {} };
    define(module.exports, module);
    const handler = module.exports && module.exports.onExecutePostLogin;
    if (typeof handler !== 'function') return fail('it does not export onExecutePostLogin');
    Promise.resolve()
      .then(function () { return handler(input.event, api()); })
      .then(function () { if (!outcome) outcome = { status: 'done', effects: effects }; }, function (e) { fail(errorText(e)); });
  }`;
