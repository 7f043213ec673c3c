import fc from 'fast-check';
import IBAN from 'iban';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { addDays, businessDayOnOrAfter } from '../../src/schedule/index.js';
import {
  buildPain001,
  MAX_AMOUNT_CENTS,
  validatePain001,
  type CreditTransfer,
  type Pain001Version,
  type Remittance,
} from '../../src/sepa/index.js';
import { makeBetalingskenmerk, makeRfReference } from '../../src/references/index.js';
import { validateXml } from '../../src/xml/xsd.js';
import { aBatch, SERVICE_ACCOUNT, TODAY } from './builders.js';

const tricky = ['Şükrü Öztürk', 'Woonbron & Co "Zuid"', 'Łódź', 'Жанна', 'Γιώργος', 'ß', 'Aimée', '<b>', "O'Brien", '//', 'محمد', 'ግርማ', '😀', '\t', '  '];
const namePart = fc.oneof(fc.constantFrom(...tricky), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ maxLength: 30 }));
/** A name with at least one Latin letter, so the builder accepts it, and anything else around it. */
const name = fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/), fc.array(namePart, { maxLength: 4 })).map(([latin, rest]) => [latin, ...rest].join(' '));
const iban = fc.stringMatching(/^\d{10}$/).map((digits) => IBAN.fromBBAN('NL', `INGB${digits}`));
const cents = fc.bigInt({ min: 1n, max: MAX_AMOUNT_CENTS });
const remittance: fc.Arbitrary<Remittance | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.tuple(fc.stringMatching(/^[A-Za-z]/), fc.array(namePart, { maxLength: 12 })).map(([first, rest]): Remittance => ({ kind: 'unstructured', text: [first, ...rest].join(' ') })),
  fc.stringMatching(/^\d{15}$/).map((d): Remittance => ({ kind: 'structured', issuer: 'CUR', reference: makeBetalingskenmerk(d) })),
  fc.stringMatching(/^[A-Z0-9]{1,21}$/).map((b): Remittance => ({ kind: 'structured', issuer: 'ISO', reference: makeRfReference(b) })),
);
const executionDate = fc.integer({ min: 0, max: 350 }).map((offset) => businessDayOnOrAfter(addDays(TODAY, offset)));

const payment = (n: number) =>
  fc.record({ creditorName: name, creditorIban: iban, amount: cents, remittance, executionDate, bic: fc.boolean() }).map(
    (p): CreditTransfer => ({
      endToEndId: `E2E-${n}`,
      executionDate: p.executionDate,
      debtor: SERVICE_ACCOUNT,
      amount: Money.fromCents(p.amount),
      creditor: { name: p.creditorName, iban: p.creditorIban, ...(p.bic ? { bic: 'INGBNL2A' } : {}) },
      ...(p.remittance ? { remittance: p.remittance } : {}),
    }),
  );

const batch = fc
  .integer({ min: 1, max: 12 })
  .chain((size) => fc.tuple(...Array.from({ length: size }, (_, n) => payment(n + 1))))
  .chain((payments) => fc.record({ instant: fc.boolean(), batchBooking: fc.boolean() }).map((flags) => aBatch(payments, flags)));

describe('random valid batches', () => {
  it.each<Pain001Version>(['03', '09'])('always pass the XSD and the business rules in .%s, with CtrlSum the exact sum', (version) => {
    fc.assert(
      fc.property(batch, (b) => {
        const xml = buildPain001(b, { version });
        const result = validatePain001(xml, version, { today: TODAY });
        expect(result.errors).toEqual([]);
        expect(validateXml(xml, `pain.001.001.${version}`).valid).toBe(true);
        const sum = b.payments.reduce((total, p) => total + p.amount.cents, 0n);
        expect(result.controlSum.cents).toBe(sum);
        expect(/<GrpHdr>[\s\S]*?<CtrlSum>([^<]+)</.exec(xml)?.[1]).toBe(Money.fromCents(sum).toString());
        expect(result.numberOfTransactions).toBe(b.payments.length);
        // deterministic: the same batch gives the same bytes
        expect(buildPain001(b, { version })).toBe(xml);
      }),
      { numRuns: 150 },
    );
  });
});
