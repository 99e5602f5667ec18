import type { Kysely } from 'kysely';
import { listClients } from '../store/repos/clients.js';
import { getSetting } from '../store/repos/settings.js';
import type { Database } from '../store/schema.js';
import { secretsToKeep } from './parse.js';
import { type TenantDoc, TenantFileError } from './schema.js';

export interface KeptSecrets {
  /** The document with the database's action secrets and rules-config values filled in. */
  doc: TenantDoc;
  /** Clients whose stored secret hash stays (their `client_secret` is left out of `doc`). */
  clients: Set<string>;
  /** Paths whose value came from the database, not the file (the schema does not judge them). */
  paths: Set<string>;
  /** One line per kept secret, for the apply report. */
  notes: string[];
}

/**
 * Fills the secret slots parseTenantFile left open (`${VAR}` with VAR
 * unset, see ParseOptions.keepStoredSecrets) from what the database holds:
 * a client keeps its secret hash, an action secret or a rules-config value
 * keeps its stored value. One that the database does not hold is an error
 * naming the variable to set.
 */
export async function keepStoredSecrets(db: Kysely<Database>, doc: TenantDoc): Promise<KeptSecrets> {
  const slots = secretsToKeep(doc);
  const kept: KeptSecrets = { doc, clients: new Set(), paths: new Set(), notes: [] };
  if (slots.size === 0) return kept;
  const out = structuredClone(doc);
  kept.doc = out;
  const errors: string[] = [];
  const storedClients = new Map((await listClients(db)).map((c) => [c.client.client_id, c.secretHash]));
  const storedActions =
    (await getSetting<{ name: string; secrets?: Record<string, string> }[]>(db, 'actions')) ?? [];
  const storedConfigs = (await getSetting<{ key: string; value: string }[]>(db, 'rulesConfigs')) ?? [];
  const missing = (path: string, variable: string, what: string) =>
    errors.push(
      `${path}: environment variable ${variable} is not set, and the database holds no ${what} to keep: set ${variable}`,
    );
  for (const [path, variable] of slots) {
    let m = /^clients\[(\d+)\]\.client_secret$/.exec(path);
    if (m) {
      const client = out.clients![Number(m[1])]!;
      if (storedClients.get(client.client_id)) {
        delete client.client_secret;
        kept.clients.add(client.client_id);
        kept.paths.add(path);
        kept.notes.push(`kept the stored secret of client ${client.client_id} (${variable} is not set)`);
      } else missing(path, variable, `secret for client ${client.client_id}`);
      continue;
    }
    m = /^actions\[(\d+)\]\.secrets\.(.+)$/.exec(path);
    if (m) {
      const action = out.actions![Number(m[1])]!;
      const key = m[2]!;
      const value = storedActions.find((a) => a.name === action.name)?.secrets?.[key];
      if (typeof value === 'string') {
        action.secrets![key] = value;
        kept.paths.add(path);
        kept.notes.push(`kept the stored secret ${key} of action ${action.name} (${variable} is not set)`);
      } else missing(path, variable, `secret ${key} for action ${action.name}`);
      continue;
    }
    m = /^rulesConfigs\[(\d+)\]\.value$/.exec(path);
    if (m) {
      const config = out.rulesConfigs![Number(m[1])]!;
      const value = storedConfigs.find((c) => c.key === config.key)?.value;
      if (typeof value === 'string') {
        config.value = value;
        kept.paths.add(path);
        kept.notes.push(`kept the stored rules-config value ${config.key} (${variable} is not set)`);
      } else missing(path, variable, `rules-config value ${config.key}`);
    }
  }
  if (errors.length > 0) throw new TenantFileError(errors);
  return kept;
}
