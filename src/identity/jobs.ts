import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { findClient } from '../store/repos/clients.js';
import { findJob, insertJob, type JobRow, updateJob } from '../store/repos/jobs.js';
import { findUserById } from '../store/repos/users.js';
import { UserError } from './users.js';
import { sendVerificationEmail } from './verification.js';

/**
 * The Management API's jobs (`/api/v2/jobs`), kept in the `jobs` table
 * (migration 0021). A verification-email job is done within its request; a
 * user import runs in the background (import-job.ts).
 *
 * A crash: a job is never resumed. One left `pending` or `processing` for
 * longer than `STALE_JOB_MS` (its process died: an import of the largest
 * file takes seconds) is marked `failed` when it is next read.
 */
export const STALE_JOB_MS = 10 * 60 * 1000;

export type Job = JobRow;

/** A new job id, Auth0's shape: `job_` and 16 hex digits. */
export function newJobId(): string {
  return `job_${randomBytes(8).toString('hex')}`;
}

/** A job by id, or undefined; a stale one is failed first (see above). */
export async function getJob(rt: Runtime, id: string): Promise<Job | undefined> {
  const db = rt.store.db;
  const job = await findJob(db, id);
  if (!job || (job.status !== 'pending' && job.status !== 'processing')) return job;
  const now = rt.now();
  if (job.updated_at > now - STALE_JOB_MS) return job;
  const message = 'The job was interrupted (its server stopped); run it again';
  const errors = JSON.stringify([{ user: {}, errors: [{ code: 'INTERRUPTED', message }] }]);
  await updateJob(db, id, ['pending', 'processing'], {
    status: 'failed',
    errors,
    payload: null,
    updated_at: now,
  });
  return findJob(db, id);
}

/**
 * `POST /jobs/verification-email`: sends the user the verification email
 * now (the `verify_email` template, through SMTP or the outbox) and records
 * a completed job. Refused: an unknown user (404), a user without an
 * address, an unknown client_id (400).
 */
export async function verificationEmailJob(
  rt: Runtime,
  input: { userId: string; clientId?: string },
): Promise<Job> {
  const db = rt.store.db;
  const user = await findUserById(db, input.userId);
  if (!user) throw new UserError('not_found', 'The user does not exist.');
  if (!user.email) throw new UserError('invalid', 'The user has no email address to verify.');
  let client: { client_id: string; name: string } | undefined;
  if (input.clientId !== undefined) {
    const found = await findClient(db, input.clientId);
    if (!found)
      throw new UserError('invalid', `Payload validation error: client_id: no client "${input.clientId}"`);
    client = { client_id: found.client.client_id, name: found.client.name };
  }
  const outcome = await sendVerificationEmail(rt, user, client);
  if (outcome === 'disabled')
    throw new UserError(
      'invalid',
      'The verify_email template is disabled: no verification email can be sent.',
    );
  const now = rt.now();
  const job: Job = {
    id: newJobId(),
    type: 'verification_email',
    status: 'completed',
    client_id: client?.client_id ?? null,
    connection_id: user.connection_id,
    connection: null,
    payload: JSON.stringify({ user_id: user.user_id }),
    summary: null,
    errors: null,
    created_at: now,
    updated_at: now,
  };
  await insertJob(db, job);
  return job;
}
