import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { buildPain001, buildPain001Files, MAX_PAYMENTS_PER_FILE, sha256Hex, validatePain001, type CreditTransfer } from '../../src/sepa/index.js';
import { aBatch, aPayment, TODAY } from './builders.js';

describe('splitting above BNG\'s 100,000 payments per batch', () => {
  it('keeps a batch of up to 100,000 in one file under its own MsgId', () => {
    const files = buildPain001Files(aBatch([aPayment(1), aPayment(2)]), { version: '09' });
    expect(files).toHaveLength(1);
    expect(files[0]?.messageId).toBe('ONTZ-20260626-0001');
    expect(files[0]?.sha256).toBe(sha256Hex(files[0]?.xml ?? ''));
    expect(files[0]?.paymentInfos).toEqual([
      {
        paymentInfoId: 'ONTZ-20260626-0001-1',
        executionDate: '2026-06-30',
        debtorIban: 'NL49BNGH0285010110',
        instant: false,
        numberOfTransactions: 2,
        controlSum: Money.parse('1440.00'),
        endToEndIds: ['ONTZ-00000001', 'ONTZ-00000002'],
      },
    ]);
  });

  it('cuts in PmtInf order, a block only when it is too big itself', () => {
    const payments = [aPayment(1, { executionDate: '2026-07-01' }), aPayment(2), aPayment(3), aPayment(4, { executionDate: '2026-07-01' }), aPayment(5)];
    const files = buildPain001Files(aBatch(payments), { version: '03', maxPaymentsPerFile: 2 });
    expect(files.map((f) => f.messageId)).toEqual(['ONTZ-20260626-0001-1', 'ONTZ-20260626-0001-2', 'ONTZ-20260626-0001-3']);
    expect(files.map((f) => f.paymentInfos.map((p) => `${p.executionDate}:${p.endToEndIds.join(',')}`))).toEqual([
      ['2026-06-30:ONTZ-00000002,ONTZ-00000003'],
      ['2026-06-30:ONTZ-00000005', '2026-07-01:ONTZ-00000001'],
      ['2026-07-01:ONTZ-00000004'],
    ]);
    for (const file of files) expect(validatePain001(file.xml, '03', { today: TODAY }).errors).toEqual([]);
  });

  // Builds and validates a 60 MB file: seconds, not milliseconds.
  it('splits 100,001 payments into files of 100,000 and 1, each valid, nothing lost or doubled', { timeout: 180_000 }, () => {
    const payments: CreditTransfer[] = Array.from({ length: MAX_PAYMENTS_PER_FILE + 1 }, (_, n) =>
      aPayment(n + 1, { amount: Money.fromCents(BigInt(1 + (n % 100_000))) }),
    );
    const batch = aBatch(payments);
    expect(() => buildPain001(batch, { version: '09' })).toThrow(/exceed 100000 per file: use buildPain001Files/);

    const files = buildPain001Files(batch, { version: '09' });
    expect(files.map((f) => [f.messageId, f.numberOfTransactions])).toEqual([
      ['ONTZ-20260626-0001-1', 100_000],
      ['ONTZ-20260626-0001-2', 1],
    ]);
    const total = payments.reduce((sum, p) => sum + p.amount.cents, 0n);
    expect(files.reduce((sum, f) => sum + f.controlSum.cents, 0n)).toBe(total);
    const ids = files.flatMap((f) => f.paymentInfos.flatMap((p) => p.endToEndIds));
    expect(new Set(ids).size).toBe(payments.length);
    for (const file of files) {
      const result = validatePain001(file.xml, '09', { today: TODAY });
      expect(result.errors).toEqual([]);
      expect(result.numberOfTransactions).toBe(file.numberOfTransactions);
      expect(result.controlSum.equals(file.controlSum)).toBe(true);
      expect(result.sha256).toBe(file.sha256);
    }
  });
});
