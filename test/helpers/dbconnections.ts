import type { TestApp } from './app.js';

/** A JSON POST /dbconnections/signup through inject(). */
export function signup(t: TestApp, body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/dbconnections/signup',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A JSON POST /dbconnections/change_password through inject(). */
export function changePassword(t: TestApp, email: unknown, extra: Record<string, unknown> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/dbconnections/change_password',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      client_id: 'acme-web',
      connection: 'Username-Password-Authentication',
      email,
      ...extra,
    }),
  });
}
