import { recordEvent } from '../../events/log.js';
import { eventFields } from '../../login-types/event-fields.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Records the success (`sepft`, `sertft` …) in the audit log, and counts
 * the login on its user in the same write (identity.verify's loginCount).
 */
export const eventsLog: LoginStep = {
  name: 'events.log',
  async run(ctx: LoginContext) {
    const event = { type: ctx.successEvent, description: null, ...eventFields(ctx) };
    await recordEvent(ctx.rt, event, undefined, ctx.loginCount);
  },
};
