import { Writable } from 'node:stream';
import pino from 'pino';

/**
 * A pino logger at `level` that keeps what it writes, for tests that read
 * the log: `text()` all of it, `records()` each line parsed, `clear()` to
 * start over.
 */
export function memoryLogger(level: pino.Level = 'info') {
  let text = '';
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
  );
  return {
    logger,
    text: () => text,
    records: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    clear: () => {
      text = '';
    },
  };
}
