import { beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt, type SimulatedEntry } from '../../src/demo/bank-statement.js';
import { IngestError } from '../../src/ingest/errors.js';
import { bankFileResult, ingestBankFile, previewBankFile, receiveBankFile, undoBankFile } from '../../src/ingest/files.js';
import { assignSuspense, listSuspense } from '../../src/ingest/suspense.js';
import { availableAccounts } from '../../src/clients/accounts.js';
import { book } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED, SOMEONE, TOESLAGEN, aRegion, available, bijstand, ingest, journalSize, posted, statementFile, type Region } from './region.js';

const rent = (amount: string, ref: string): SimulatedEntry => ({
  amount, creditDebit: 'DBIT', bookingDate: '2026-12-01', accountServicerReference: ref,
  details: [{ endToEndId: `OZ-${ref}`, counterpartyName: 'Woonbron', counterpartyIban: 'NL44RABO0123456789' }],
});

describeOnEachDatabase('ingesting a day statement', (handle) => {
  let region: Region;
  beforeAll(async () => {
    region = await aRegion(handle().db);
  });

  it('books bijstand to the client by case number, a payment with the client RF reference to that client, the rest to suspense', async () => {
    const { db } = handle();
    const result = await ingest(
      db,
      statementFile(
        'S-2026-12-01',
        [
          bijstand('1334.23', 'BIJ-77002', 'REF-1'),
          { amount: '50.00', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: 'REF-2', details: [{ counterpartyName: 'A. Friend', counterpartyIban: SOMEONE, creditorReference: { reference: region.amiraRf, issuer: 'ISO' } }] },
          { amount: '12.50', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: 'REF-3', details: [{ counterpartyName: 'Unknown', counterpartyIban: SOMEONE, unstructured: 'gift' }] },
          rent('720.00', 'REF-4'),
          { amount: '99.00', creditDebit: 'CRDT', bookingDate: '2026-12-01', status: 'PDNG', accountServicerReference: 'REF-5' },
        ],
        { electronicSequence: 1, opening: { amount: '1000.00', date: '2026-11-30' }, closing: { amount: '1676.73', date: '2026-12-01' } },
      ),
    );
    expect(result.status).toBe('ingested');
    expect(result.summary).toMatchObject({ entriesInFile: 5, bookEntries: 4, notBooked: 1, newEntries: 4, alreadyKnown: 0, toClients: 2, toSuspense: 2, credited: '1396.73', debited: '720.00' });
    expect(result.alerts).toEqual([]);
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await available(db, region.amira)).toBe('50.00');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('1676.73');
    // A receipt of 12.50 and a debit of 720.00 wait in suspense.
    expect(await posted(db, `suspense/${MANAGED}`)).toBe('-707.50');
    const classified = await db.selectFrom('bank_entry_item').select(['income_type', 'match_rule']).where('client_id', '=', region.dawit).executeTakeFirstOrThrow();
    expect(classified).toEqual({ income_type: 'bijstand', match_rule: 'known_payer' });
  });

  it('answers the same upload again with the first result and books nothing', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const bytes = new TextEncoder().encode(writeCamt(statementFile('S-2026-12-01', [bijstand('1334.23', 'BIJ-77002', 'REF-1')])));
    const first = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'a.xml', receivedBy: 'op' }));
    const again = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'a-again.xml', receivedBy: 'op' }));
    expect(again).toMatchObject({ alreadyReceived: true, fileId: first.fileId });
    expect(await journalSize(db)).toBe(before);
  });

  it('books nothing twice when the bank re-sends the statement as a copy, under another message id', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const copy = { ...statementFile('S-2026-12-01', [bijstand('1334.23', 'BIJ-77002', 'REF-1'), rent('720.00', 'REF-4')], { electronicSequence: 1, copyDuplicate: 'COPY' }), messageId: 'RESENT-1' };
    const result = await ingest(db, copy);
    expect(result.summary).toMatchObject({ newEntries: 0, alreadyKnown: 2 });
    expect(await journalSize(db)).toBe(before);
    expect(await available(db, region.dawit)).toBe('1334.23');
  });

  it('keeps a statement whose balances do not add up, and raises the difference as an alert', async () => {
    const { db } = handle();
    const result = await ingest(
      db,
      statementFile('S-2026-12-02', [bijstand('10.00', 'BIJ-77002', 'REF-6', '2026-12-02')], { electronicSequence: 3, opening: { amount: '1676.73', date: '2026-12-01' }, closing: { amount: '1690.00', date: '2026-12-02' } }),
    );
    expect(result.status).toBe('ingested');
    const codes = result.alerts.map((a) => a.code).sort();
    expect(codes).toEqual(['balance_mismatch', 'ledger_balance_differs', 'sequence_gap']);
    expect(result.alerts.find((a) => a.code === 'ledger_balance_differs')!.message).toContain('difference 3.27');
    const stored = await db.selectFrom('bank_alert').select('code').where('code', '=', 'balance_mismatch').execute();
    expect(stored.length).toBeGreaterThan(0);
  });

  it('parks an entry in another currency or with three decimals as an exception, never as euros', async () => {
    const { db } = handle();
    const before = await posted(db, `bank/${MANAGED}`);
    const result = await ingest(db, statementFile('S-FX', [
      { amount: '100.00', currency: 'USD', creditDebit: 'CRDT', bookingDate: '2026-12-03', accountServicerReference: 'FX-1' },
      { amount: '10.005', creditDebit: 'CRDT', bookingDate: '2026-12-03', accountServicerReference: 'FX-2' },
    ]));
    expect(result.summary).toMatchObject({ newEntries: 2, exceptions: 2, toClients: 0, toSuspense: 0 });
    expect(result.alerts.map((a) => a.code).sort()).toEqual(['amount_too_precise', 'balance_missing', 'unsupported_currency']);
    expect(await db.selectFrom('bank_entry').select(['outcome', 'amount_cents', 'currency']).where('acct_svcr_ref', '=', 'FX-1').executeTakeFirstOrThrow()).toEqual({ outcome: 'exception', amount_cents: null, currency: 'USD' });
    expect(await posted(db, `bank/${MANAGED}`)).toBe(before);
  });

  it('refuses a file for an account that is not ours, and books nothing of it', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const result = await ingest(db, { ...statementFile('S-OTHER', [bijstand('5.00', 'BIJ-77002', 'X-1')]), statements: [{ id: 'S-OTHER', iban: 'NL39RABO0300065264', entries: [bijstand('5.00', 'BIJ-77002', 'X-1')] }] });
    expect(result.status).toBe('refused');
    expect(result.error).toMatchObject({ code: 'unknown_bank_account' });
    expect(result.error!.message).toContain('NL39RABO0300065264');
    expect(await journalSize(db)).toBe(before);
  });

  it('refuses malformed XML with line and column, and a file with an external entity, booking nothing', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const broken = writeCamt(statementFile('S-BROKEN', [bijstand('5.00', 'BIJ-77002', 'B-1')])).replace('</Stmt>', '</Stmnt>');
    const r1 = await ingest(db, broken);
    expect(r1).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
    expect(r1.error!.message).toMatch(/line \d+/);
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>`;
    const r2 = await ingest(db, xxe);
    expect(r2).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
    // A NUL byte (never XML): the stored bytes are read as they are and refused by the reader.
    const withNul = writeCamt(statementFile('S-NUL', [bijstand('5.00', 'BIJ-77002', 'N-1')])).replace('<Stmt>', '<Stmt>\u0000');
    const r3 = await ingest(db, withNul);
    expect(r3).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
    const line = withNul.slice(0, withNul.indexOf('\u0000')).split('\n').length;
    expect(r3.error!.message).toContain(`line ${line}, column 7: a control character (U+0000)`);
    // A NUL byte inside a tag: the message names it, and the refusal is stored (a NUL in it could not be).
    const nulInTag = writeCamt(statementFile('S-NUL-TAG', [bijstand('5.00', 'BIJ-77002', 'N-2')])).replace('<Stmt>', '<Stmt\u0000>');
    const r4 = await ingest(db, nulInTag);
    expect(r4).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
    expect(r4.error!.message).toContain("unexpected character 'U+0000' in start tag <Stmt>");
    expect(await journalSize(db)).toBe(before);
  });

  it('reads the stored bytes back exactly, whatever the declared encoding: names and remittances as the bank wrote them', async () => {
    const { db } = handle();
    const name = 'Aimée Müller-Çelik';
    const remittance = 'Terugbetaling € 42 voor Zoë';
    const entry = (ref: string): SimulatedEntry => ({ amount: '42.00', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: ref, details: [{ counterpartyName: name, counterpartyIban: SOMEONE, unstructured: remittance }] });
    const utf8 = writeCamt(statementFile('S-UTF8', [entry('ENC-1')]));
    // ISO-8859-15, as ABN AMRO has sent it: é, ü, Ç and ë are one byte each, € is 0xA4.
    const latin9 = writeCamt(statementFile('S-LATIN9', [entry('ENC-2')])).replace('encoding="UTF-8"', 'encoding="ISO-8859-15"');
    const latin9Bytes = Uint8Array.from([...latin9].map((c) => (c === '€' ? 0xa4 : c.charCodeAt(0))));
    expect(latin9Bytes.some((b) => b >= 0x80)).toBe(true);
    for (const [ref, file] of [['ENC-1', utf8], ['ENC-2', latin9Bytes]] as const) {
      const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes: typeof file === 'string' ? new TextEncoder().encode(file) : file, fileName: `${ref}.xml`, receivedBy: 'test-operator' }));
      expect((await ingestBankFile(db, received.fileId)).status).toBe('ingested');
      const item = await db
        .selectFrom('bank_entry_item as i')
        .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
        .select(['i.counterparty_name', 'i.remittance'])
        .where('e.acct_svcr_ref', '=', ref)
        .executeTakeFirstOrThrow();
      expect(item).toEqual({ counterparty_name: name, remittance });
    }
  });
});

describeOnEachDatabase('entry identity: the same entry once, two identical payments twice', (handle) => {
  let region: Region;
  beforeAll(async () => {
    region = await aRegion(handle().db);
  });
  const toAmira = (ref: string, date: string): SimulatedEntry => ({
    amount: '25.00', creditDebit: 'CRDT', bookingDate: date, accountServicerReference: ref,
    details: [{ counterpartyName: 'Buurman', counterpartyIban: SOMEONE, unstructured: 'DR-0001 boodschappen' }],
  });

  it('books two identical payments in one statement as two', async () => {
    const { db } = handle();
    const result = await ingest(db, statementFile('ID-1', [toAmira('SAME', '2026-12-04'), toAmira('SAME', '2026-12-04')]));
    expect(result.summary).toMatchObject({ newEntries: 2 });
    expect(await available(db, region.amira)).toBe('50.00');
  });

  it('books a notification (camt.054) and the day statement that repeats it once, and adds only the second identical payment', async () => {
    const { db } = handle();
    const n = await ingest(db, statementFile('NTF-1', [toAmira('SAME-05', '2026-12-05')], {}, 'camt.054'));
    expect(n.summary).toMatchObject({ newEntries: 1 });
    const s = await ingest(db, statementFile('ID-2', [toAmira('SAME-05', '2026-12-05'), toAmira('SAME-05', '2026-12-05')]));
    expect(s.summary).toMatchObject({ newEntries: 1, alreadyKnown: 1 });
    expect(await available(db, region.amira)).toBe('100.00');
  });

  it('counts two notifications of identical payments as two, and their day statement adds nothing', async () => {
    const { db } = handle();
    await ingest(db, statementFile('NTF-2', [toAmira('SAME-06', '2026-12-06')], {}, 'camt.054'));
    await ingest(db, statementFile('NTF-3', [toAmira('SAME-06', '2026-12-06')], {}, 'camt.054'));
    const s = await ingest(db, statementFile('ID-3', [toAmira('SAME-06', '2026-12-06'), toAmira('SAME-06', '2026-12-06')]));
    expect(s.summary).toMatchObject({ newEntries: 0, alreadyKnown: 2 });
    expect(await available(db, region.amira)).toBe('150.00');
  });

  it('keeps a return that shares AcctSvcrRef and amount with another entry (as in ING\'s sample) as its own entry', async () => {
    const { db } = handle();
    const result = await ingest(db, statementFile('ID-4', [
      { amount: '30.00', creditDebit: 'CRDT', bookingDate: '2026-12-07', accountServicerReference: 'ING-REF-9', details: [{ counterpartyIban: SOMEONE, unstructured: 'DR-0001' }] },
      { amount: '30.00', creditDebit: 'CRDT', bookingDate: '2026-12-07', accountServicerReference: 'ING-REF-9', bankCode: { proprietary: '00190', issuer: 'INGGroup' }, details: [{ endToEndId: 'OZ-123', returnReason: 'AC04', counterpartyIban: 'NL44RABO0123456789' }] },
    ]));
    expect(result.summary).toMatchObject({ newEntries: 2, toClients: 1, toSuspense: 1 });
    const returned = await db.selectFrom('bank_entry_item').select(['return_reason', 'end_to_end_id']).where('return_reason', 'is not', null).executeTakeFirstOrThrow();
    expect(returned).toEqual({ return_reason: 'AC04', end_to_end_id: 'OZ-123' });
  });

  it('never matches on NOTPROVIDED', async () => {
    const { db } = handle();
    const result = await ingest(db, statementFile('ID-5', [{ amount: '7.00', creditDebit: 'CRDT', bookingDate: '2026-12-08', details: [{ endToEndId: 'NOTPROVIDED', counterpartyIban: SOMEONE }] }]));
    const item = await db.selectFrom('bank_entry_item').select(['end_to_end_id', 'destination']).where('booking_date', '=', '2026-12-08').executeTakeFirstOrThrow();
    expect(result.summary).toMatchObject({ toSuspense: 1 });
    expect(item).toEqual({ end_to_end_id: null, destination: 'suspense' });
  });
});

describeOnEachDatabase('batches, details and toeslagen', (handle) => {
  let region: Region;
  beforeAll(async () => {
    region = await aRegion(handle().db);
  });

  it('books a Toeslagen batch credit per detail to each client, classified', async () => {
    const { db } = handle();
    const result = await ingest(db, statementFile('B-1', [{
      amount: '509.00', creditDebit: 'CRDT', bookingDate: '2026-12-21', accountServicerReference: 'TSL-BATCH',
      batch: { paymentInformationId: 'TSL-20261221', count: 2, total: '509.00' },
      details: [
        { amount: '380.00', counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: 'HUURTOESLAG 2027-01 TS-8800-2' },
        { amount: '129.00', counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: 'ZORGTOESLAG 2027-01 TS-9900-1' },
      ],
    }]));
    expect(result.summary).toMatchObject({ newEntries: 1, toClients: 2, toSuspense: 0 });
    expect(await available(handle().db, region.dawit)).toBe('380.00');
    expect(await available(handle().db, region.sara)).toBe('129.00');
    const types = await db.selectFrom('bank_entry_item').select(['client_id', 'income_type', 'gemeente_id']).where('client_id', 'is not', null).orderBy('amount_cents', 'desc').execute();
    expect(types).toEqual([
      { client_id: region.dawit, income_type: 'huurtoeslag', gemeente_id: 'GM0505' },
      { client_id: region.sara, income_type: 'zorgtoeslag', gemeente_id: 'GM0642' },
    ]);
  });

  it('books details that do not add up to the entry, and the difference to suspense, so the bank moves by the entry amount', async () => {
    const { db } = handle();
    const bankBefore = Money.parse(await posted(db, `bank/${MANAGED}`));
    const result = await ingest(db, statementFile('B-2', [{
      amount: '99.50', creditDebit: 'CRDT', bookingDate: '2026-12-22', accountServicerReference: 'CHG-1',
      details: [
        { amount: '60.00', counterpartyIban: SOMEONE, unstructured: 'DR-0001' },
        { amount: '40.00', counterpartyIban: SOMEONE, unstructured: 'unknown' },
      ],
    }]));
    expect(result.summary).toMatchObject({ toClients: 1, toSuspense: 2 });
    expect(result.alerts.map((a) => a.code)).toContain('detail_amounts_differ');
    expect(Money.parse(await posted(db, `bank/${MANAGED}`)).minus(bankBefore).toString()).toBe('99.50');
  });

  it('parks a batch debit without details in suspense with its PmtInfId, for the payments to settle from', async () => {
    const { db } = handle();
    await ingest(db, statementFile('B-3', [{ amount: '1440.00', creditDebit: 'DBIT', bookingDate: '2026-12-23', accountServicerReference: 'BATCH-OUT', batch: { paymentInformationId: 'OZ-PMT-1', count: 2, total: '1440.00' } }]));
    const item = await db.selectFrom('bank_entry_item').select(['payment_info_id', 'destination', 'credit_debit']).where('payment_info_id', '=', 'OZ-PMT-1').executeTakeFirstOrThrow();
    expect(item).toEqual({ payment_info_id: 'OZ-PMT-1', destination: 'suspense', credit_debit: 'DBIT' });
  });
});

describeOnEachDatabase('preview, undo and the suspense queue', (handle) => {
  let region: Region;
  beforeAll(async () => {
    region = await aRegion(handle().db);
  });
  const file = () =>
    statementFile('U-1', [
      bijstand('1334.23', 'BIJ-77002', 'U-REF-1', '2026-12-24'),
      { amount: '40.00', creditDebit: 'CRDT', bookingDate: '2026-12-24', accountServicerReference: 'U-REF-2', details: [{ counterpartyName: 'Stichting', counterpartyIban: SOMEONE, unstructured: 'bijdrage' }] },
    ]);

  it('previews what an upload would do and writes nothing', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const files = await db.selectFrom('bank_file').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const preview = await previewBankFile(db, new TextEncoder().encode(writeCamt(file())));
    expect(preview.summary).toMatchObject({ newEntries: 2, toClients: 1, toSuspense: 1, credited: '1374.23' });
    expect(await journalSize(db)).toBe(before);
    expect(await db.selectFrom('bank_file').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).toEqual(files);
  });

  it('lists the receipt in suspense and assigns it to a client once, audited; another client is refused', async () => {
    const { db } = handle();
    await ingest(db, file(), 'u-1.xml');
    const queue = await listSuspense(db, { asOf: '2026-12-31' });
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ amount: '40.00', reason: 'no client reference and not from a known payer', ageDays: 7 });
    const assignment = { itemId: BigInt(queue[0]!.itemId), clientId: region.amira, incomeType: 'other' as const, by: 'approver-1', reason: 'phoned the foundation: gift for Amira', bookingDate: '2026-12-31' };
    expect(await inTransaction(db, (trx) => assignSuspense(trx, assignment))).toMatchObject({ replayed: false });
    expect(await inTransaction(db, (trx) => assignSuspense(trx, assignment))).toMatchObject({ replayed: true });
    await expect(inTransaction(db, (trx) => assignSuspense(trx, { ...assignment, clientId: region.sara }))).rejects.toMatchObject({ code: 'already_assigned' });
    expect(await available(db, region.amira)).toBe('40.00');
    expect(await listSuspense(db)).toHaveLength(0);
    const audit = await db.selectFrom('suspense_assignment').select(['assigned_by', 'reason']).executeTakeFirstOrThrow();
    expect(audit).toEqual({ assigned_by: 'approver-1', reason: 'phoned the foundation: gift for Amira' });
  });

  it('undoes the file by reversal (assignment included), and the same file can be ingested again', async () => {
    const { db } = handle();
    const fileRow = await db.selectFrom('bank_file').select('id').where('file_name', '=', 'u-1.xml').executeTakeFirstOrThrow();
    const undone = await undoBankFile(db, fileRow.id, { user: 'operator-2', reason: 'wrong day loaded' });
    expect(undone.status).toBe('undone');
    expect(await available(db, region.dawit)).toBe('0.00');
    expect(await available(db, region.amira)).toBe('0.00');
    const reversals = await db.selectFrom('ledger_transaction').select('id').where('type', '=', 'reversal').execute();
    expect(reversals).toHaveLength(3);
    await expect(undoBankFile(db, fileRow.id, { user: 'operator-2', reason: 'again' })).rejects.toMatchObject({ code: 'undo_not_allowed' });
    const again = await ingest(db, file(), 'u-1-again.xml');
    expect(again.summary).toMatchObject({ newEntries: 2, alreadyKnown: 0 });
    expect(await available(db, region.dawit)).toBe('1334.23');
  });

  it('refuses to undo a file whose money a client has already had reserved', async () => {
    const { db } = handle();
    const accounts = await availableAccounts(db, [region.dawit, region.sara]);
    const reserve = await inTransaction(db, (trx) =>
      book(trx, { type: 'pending', idempotencyKey: 'reserve-rent-dawit', bookingDate: '2026-12-24', description: 'rent January', debit: accounts.get(region.dawit)!, credit: accounts.get(region.sara)!, amount: Money.parse('720.00') }),
    );
    expect(reserve.outcome).toBe('booked');
    const fileRow = await db.selectFrom('bank_file').select('id').where('file_name', '=', 'u-1-again.xml').executeTakeFirstOrThrow();
    const error = await undoBankFile(db, fileRow.id, { user: 'operator-2', reason: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestError);
    expect(error).toMatchObject({ code: 'undo_refused' });
    expect((await bankFileResult(db, fileRow.id)).status).toBe('ingested');
    expect(await available(db, region.dawit)).toBe('614.23');
  });
});
