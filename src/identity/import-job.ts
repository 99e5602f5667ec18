import { backgroundOf } from '../notify/background.js';
import type { Runtime } from '../runtime.js';
import { findConnectionById } from '../store/repos/connections.js';
import { insertJob, updateJob } from '../store/repos/jobs.js';
import { importUsers } from './import.js';
import { type Job, newJobId } from './jobs.js';
import { UserError } from './users.js';

/** The largest users file accepted (Auth0's limit). */
export const MAX_IMPORT_FILE_BYTES = 500 * 1024;

/** An import job's input, from the multipart form. */
export interface ImportJobInput {
  connectionId: string;
  /** The file's content. */
  file: Buffer;
  upsert?: boolean;
  externalId?: string;
  sendCompletionEmail?: boolean;
  clientId?: string;
}

/** One user the import refused, as `GET /jobs/{id}/errors` lists it (no password hash). */
export interface ImportError {
  user: Record<string, unknown>;
  errors: { code: string; message: string; path?: string }[];
}

const HASHES = new Set(['password_hash', 'custom_password_hash', 'password']);
const LINE = /^\[(\d+)\](?: ([A-Za-z_.]+))?: (.*)$/s;

/** The file as Auth0's bulk format: a JSON array (refused in the request otherwise). */
function parseFile(file: Buffer): unknown[] {
  let records: unknown;
  try {
    records = JSON.parse(file.toString('utf8'));
  } catch {
    throw new UserError(
      'invalid',
      "users: the file is not JSON (Auth0's bulk import format is a JSON array of users)",
    );
  }
  // PostgreSQL stores no NUL: refused here rather than failing the whole job later.
  if (/\\u0000/i.test(file.toString('utf8')))
    throw new UserError('invalid', 'users: the file holds a NUL character (\\u0000)');
  if (!Array.isArray(records))
    throw new UserError('invalid', 'users: the file must be a JSON array of users ([{ "email": … }, …])');
  if (records.length === 0) throw new UserError('invalid', 'users: the file holds no users');
  return records;
}

/** The import's `[i] field: message` lines, grouped per user (the record without its hashes). */
function errorsByUser(records: unknown[], lines: string[]): ImportError[] {
  const byIndex = new Map<number, ImportError>();
  for (const line of lines) {
    const m = LINE.exec(line);
    const index = m ? Number(m[1]) : -1;
    let entry = byIndex.get(index);
    if (!entry) {
      const rec = records[index];
      const user =
        rec && typeof rec === 'object' && !Array.isArray(rec)
          ? Object.fromEntries(Object.entries(rec).filter(([k]) => !HASHES.has(k)))
          : {};
      entry = { user, errors: [] };
      byIndex.set(index, entry);
    }
    const message = m ? m[3]! : line;
    const code = /already (used|taken)/.test(message)
      ? 'DUPLICATED_USER'
      : /cannot replace/.test(message)
        ? 'CONFLICT'
        : 'INVALID_FORMAT';
    entry.errors.push({ code, message, ...(m?.[2] ? { path: m[2] } : {}) });
  }
  return [...byIndex.values()];
}

/**
 * `POST /jobs/users-imports`: checks the connection (a database connection)
 * and that the file is a JSON array, records a pending job and imports in
 * the background (identity/import.ts: every record checked; an existing
 * user is an error, or with `upsert` updated). The file stays in this
 * process's memory only (never in the database: it holds password
 * hashes), so a job cut short by a crash is not resumed but failed (jobs.ts).
 */
export async function startImportJob(rt: Runtime, input: ImportJobInput): Promise<Job> {
  const db = rt.store.db;
  const conn = await findConnectionById(db, input.connectionId);
  if (!conn)
    throw new UserError(
      'invalid',
      `Payload validation error: connection_id: no connection "${input.connectionId}"`,
    );
  if (conn.strategy !== 'auth0')
    throw new UserError('invalid', `connection_id: "${conn.name}" is not a database connection`);
  const records = parseFile(input.file);
  const upsert = input.upsert === true;
  const now = rt.now();
  const job: Job = {
    id: newJobId(),
    type: 'users_import',
    status: 'pending',
    client_id: input.clientId ?? null,
    connection_id: conn.id,
    connection: conn.name,
    payload: JSON.stringify({ external_id: input.externalId ?? null, upsert }),
    summary: null,
    errors: null,
    created_at: now,
    updated_at: now,
  };
  await insertJob(db, job);
  backgroundOf(rt, rt.log).run(`users import ${job.id}`, () => runImport(rt, job, records, upsert));
  return job;
}

async function runImport(rt: Runtime, job: Job, records: unknown[], upsert: boolean): Promise<void> {
  const db = rt.store.db;
  if (!(await updateJob(db, job.id, ['pending'], { status: 'processing', updated_at: rt.now() }))) return;
  try {
    const result = await importUsers(rt.store, job.connection!, records, { now: rt.now(), upsert });
    const errors = errorsByUser(records, result.errors);
    const summary = {
      failed: errors.length,
      updated: result.updated,
      inserted: result.imported,
      total: records.length,
    };
    await updateJob(db, job.id, ['processing'], {
      status: 'completed',
      summary: JSON.stringify(summary),
      errors: JSON.stringify(errors),
      updated_at: rt.now(),
    });
  } catch (err) {
    rt.log.error({ err, job: job.id }, 'users import failed');
    const message = err instanceof UserError ? err.message : 'The import failed; see the server log';
    await updateJob(db, job.id, ['processing'], {
      status: 'failed',
      errors: JSON.stringify([{ user: {}, errors: [{ code: 'IMPORT_FAILED', message }] }]),
      updated_at: rt.now(),
    });
  }
}
