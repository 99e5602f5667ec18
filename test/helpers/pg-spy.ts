import pg from 'pg';

/** A statement a pg client sent: its SQL and its parameters. */
export interface SentStatement {
  text: string;
  values: unknown[];
}

/**
 * Records the statements every node-postgres client of this process sends
 * (each one round trip), between `start()` and `stop()`; `restore()` puts
 * pg's own `query` back (call it in `after`).
 */
export function spyOnPgStatements(): {
  start(): void;
  stop(): SentStatement[];
  restore(): void;
} {
  const query = pg.Client.prototype.query;
  let sent: SentStatement[] | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string; values?: unknown[] };
    if (sent) {
      sent.push(
        typeof q === 'string'
          ? { text: q, values: (args[1] as unknown[]) ?? [] }
          : { text: q?.text ?? '?', values: q?.values ?? [] },
      );
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return {
    start() {
      sent = [];
    },
    stop() {
      const statements = sent ?? [];
      sent = undefined;
      return statements;
    },
    restore() {
      pg.Client.prototype.query = query;
    },
  };
}
