import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('logs carry no personal data', () => {
  it('keeps a database error\'s code and constraint but not the row it quotes', async () => {
    const { freshPGlite } = await import('./support/db.js');
    const handle = await freshPGlite();
    try {
      // A value refused by the database, passed as a parameter the way the code passes every value.
      const refused = await sql`SELECT ${'J. de Verhuurder'}::int AS n, ${'NL69INGB0123456789'}::text AS iban`.execute(handle.db).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(Error);
      const error = Object.assign(new Error('new row for relation "obligation" violates check constraint "obligation_description_check"'), {
        code: '23514',
        constraint: 'obligation_description_check',
        detail: 'Failing row contains (1, 4, GM0505, rent, monthly, J. de Verhuurder, NL69INGB0123456789, contract 4711).',
        where: 'PL/pgSQL function check_payee() line 3 at RAISE: NL69INGB0123456789',
      });
      const { lines, logger } = capture();
      logger.error({ err: error }, 'request failed');
      logger.error({ err: refused }, 'query failed');
      const text = lines.join('');
      for (const secret of ['Verhuurder', 'NL69INGB0123456789', 'contract 4711']) expect(text).not.toContain(secret);
      expect(text).toContain('"constraint":"obligation_description_check"');
      expect(text).toContain('"code":"23514"');
    } finally {
      await handle.close();
    }
  });

  it('censors names, BSNs and IBANs wherever they appear in a logged object', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        client: { id: 42, name: 'Şükrü Öztürk', bsn: '111222333', iban: 'NL91ABNA0417164300' },
        payment: { creditor: { creditorName: 'Woonbron', creditorIban: 'NL20INGB0001234567' } },
        iban: 'NL91ABNA0417164300',
      },
      'payment prepared',
    );
    const text = lines.join('');
    for (const secret of ['Öztürk', '111222333', 'NL91ABNA0417164300', 'NL20INGB0001234567', 'Woonbron']) expect(text).not.toContain(secret);
    expect(text).toContain('"id":42');
    expect(text).toContain('[redacted]');
  });
});
