import { recordEvent } from '../../events/log.js';
import { eventFields } from '../../login-types/event-fields.js';
import type { LoginContext, LoginStep } from '../context.js';

/** Records the success (`sepft`, `sertft` …) in the audit log. */
export const eventsLog: LoginStep = {
  name: 'events.log',
  async run(ctx: LoginContext) {
    await recordEvent(ctx.rt, { type: ctx.successEvent, description: null, ...eventFields(ctx) });
  },
};
