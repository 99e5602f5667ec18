/**
 * The part of the sandbox's prelude (sandbox-source.ts) that runs a
 * post-login action: `startAction(define)` loads the action's module and
 * calls its `onExecutePostLogin(event, api)`, and `api()` is Auth0's `api`
 * object, whose calls only record effects for the host to check and apply
 * (effects.ts). Spliced into the prelude's closure: it uses the prelude's
 * `effects`, `input`, `outcome`, `run`, `patchMetadata`, `fail` and `errorText`.
 */
export const SANDBOX_ACTION_API = `  function api() {
    // This action's effects, whenever its api is called (a later script's run has its own).
    const fx = effects;
    const a = {};
    a.access = { deny: function (reason) { if (fx.deny === null) fx.deny = String(reason == null ? '' : reason); return a; } };
    a.accessToken = {
      setCustomClaim: function (name, value) { fx.accessClaims[String(name)] = value; return a; },
      addScope: function (scope) { fx.scopeOps.push(['add', String(scope)]); return a; },
      removeScope: function (scope) { fx.scopeOps.push(['remove', String(scope)]); return a; },
    };
    a.idToken = { setCustomClaim: function (name, value) { fx.idClaims[String(name)] = value; return a; } };
    a.multifactor = {
      enable: function (provider, options) {
        fx.multifactor = { provider: String(provider), allowRememberBrowser: !!(options && options.allowRememberBrowser) };
        return a;
      },
    };
    a.user = {
      setAppMetadata: function (key, value) { patchMetadata(fx, 'appMetadata', key, value); return a; },
      setUserMetadata: function (key, value) { patchMetadata(fx, 'userMetadata', key, value); return a; },
    };
    a.redirect = { sendUserTo: function (url) { if (fx.redirect === null) fx.redirect = String(url); return a; } };
    return a;
  }

  function startAction(define) {
    const mine = run;
    const module = { exports: {} };
    define(module.exports, module);
    const handler = module.exports && module.exports.onExecutePostLogin;
    if (typeof handler !== 'function') return fail('it does not export onExecutePostLogin');
    Promise.resolve()
      .then(function () { return handler(input.event, api()); })
      .then(
        function () { if (!outcome && mine === run) outcome = { status: 'done', effects: effects }; },
        function (e) { if (mine === run) fail(errorText(e)); });
  }`;
