import { Writable } from 'node:stream';
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
