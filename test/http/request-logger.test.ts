import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { requestChildLogger } from '../../src/http/request-logger.js';
import { REDACT } from '../../src/runtime.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk).trim());
      done();
    },
  });
  return { lines, log: pino({ level: 'info', redact: REDACT, timestamp: false, base: undefined }, stream) };
}

describe('the per-request child logger (no redaction pass over reqId)', () => {
  it('logs exactly what the ordinary child logs, secrets redacted', () => {
    const ours = capture();
    const theirs = capture();
    const entry = { body: { password: 'hunter2', username: 'alice' }, client_secret: 's3cret' };
    (
      requestChildLogger.call(
        undefined as never,
        ours.log as unknown as FastifyBaseLogger,
        { reqId: 'req-7' },
        {},
        {} as never,
      ) as FastifyBaseLogger
    ).info(entry, 'hello');
    theirs.log.child({ reqId: 'req-7' }).info(entry, 'hello');
    assert.equal(ours.lines.length, 1);
    assert.equal(ours.lines[0], theirs.lines[0]);
    const line = JSON.parse(ours.lines[0]!);
    assert.equal(line.reqId, 'req-7');
    assert.equal(line.body.password, '[redacted]');
    assert.equal(line.client_secret, '[redacted]');
  });

  it('other bindings go the ordinary way', () => {
    const ours = capture();
    (
      requestChildLogger.call(
        undefined as never,
        ours.log as unknown as FastifyBaseLogger,
        { reqId: 'r', password: 'p' },
        {},
        {} as never,
      ) as FastifyBaseLogger
    ).info('x');
    assert.equal(JSON.parse(ours.lines[0]!).password, '[redacted]');
  });
});
