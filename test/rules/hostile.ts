import { NS, rule } from './helpers.js';

/** The user whose logins misbehave (added by the test or bench that uses these rules). */
export const MALLORY = { email: 'mallory@acme.test', password: 'mallory horse battery staple' };

/**
 * The tenant's rules, the same for every user: the second one misbehaves
 * for Mallory as her request's `attack` parameter says, and does nothing
 * special for anyone else (the fast path).
 */
export const HOSTILE_RULES = [
  rule('roles', `context.accessToken['${NS}roles'] = ['reader']; callback(null, user, context);`),
  rule(
    'per-user',
    `const attack = user.email === '${MALLORY.email}' && context.request.body.attack;
     if (attack === 'loop') while (true) {}
     if (attack === 'memory') { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); }
     if (attack === 'await-loop') { (async () => { for (;;) await null; })(); return; }
     if (attack === 'await-forever') {
       (async () => { for (;;) await new Promise((resolve) => setTimeout(resolve, 5)); })();
       return;
     }
     context.accessToken['${NS}ok'] = true;
     callback(null, user, context);`,
  ),
  rule('last', `context.idToken['${NS}last'] = 1; callback(null, user, context);`),
];
export const ATTACKS = ['loop', 'memory', 'await-loop', 'await-forever'] as const;
