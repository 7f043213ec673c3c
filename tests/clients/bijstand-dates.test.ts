import { beforeAll, expect, it } from 'vitest';
import { periodsOf, recordFollowUpPeriod, startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { registerClient, updateClient } from '../../src/clients/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aServiceRegion, CLIENT_IBAN, GEMEENTE } from '../batch/support.js';

async function refusal(work: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

let n = 0;

describeOnEachDatabase('changing the bijstand dates on the client record (rule 2, art. 56a lid 2)', (handle) => {
  beforeAll(async () => aServiceRegion(handle().db));

  /** A client in their statutory period from 31 January 2026 (six months: until 30 July). */
  async function inArt56a(): Promise<bigint> {
    const db = handle().db;
    return inTransaction(db, async (trx) => {
      const record = await registerClient(trx, {
        gemeenteId: GEMEENTE,
        reference: `BIJ-${++n}`,
        name: 'Dawit Tesfay',
        ownIban: CLIENT_IBAN,
        householdType: 'single',
        bijstandStart: '2026-01-31',
        inburgeringsplichtigWi2021: true,
        fixedTermAsylumPermit: true,
      });
      await startStatutoryPeriod(trx, record.id);
      return record.id;
    });
  }
  const statutoryOf = async (clientId: bigint) => (await periodsOf(handle().db, [clientId])).get(clientId)!.find((p) => p.basis === 'art56a')!;

  it('recording the end of bijstand on the client ends the 56a period that day', async () => {
    const db = handle().db;
    const clientId = await inArt56a();
    const record = await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-04-15' }));
    expect(record.bijstandEnd).toBe('2026-04-15');
    expect(await statutoryOf(clientId)).toMatchObject({ lastDay: '2026-04-15', endedEarlyOn: '2026-04-15', endedReason: 'bijstand ended (art. 56a lid 2)' });
    // The same change again, and an unrelated change, leave the period as it is.
    await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-04-15', name: 'Dawit Tesfay Gebre' }));
    expect((await statutoryOf(clientId)).lastDay).toBe('2026-04-15');
  });

  it('an end of bijstand after the six months leaves the 56a period its six months; an earlier correction ends it sooner', async () => {
    const db = handle().db;
    const clientId = await inArt56a();
    await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-12-31' }));
    expect(await statutoryOf(clientId)).toMatchObject({ lastDay: '2026-07-30', endedEarlyOn: null });
    await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-05-31' }));
    expect((await statutoryOf(clientId)).lastDay).toBe('2026-05-31');
    await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-05-10' }));
    expect((await statutoryOf(clientId)).lastDay).toBe('2026-05-10');
  });

  it('a 56a period ended with bijstand is not reopened by a later or removed end of bijstand: refused, nothing changed', async () => {
    const db = handle().db;
    const clientId = await inArt56a();
    await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd: '2026-04-15' }));
    for (const bijstandEnd of ['2026-06-30', null]) {
      const refused = await refusal(() => inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandEnd })));
      expect(refused).toMatchObject({ code: 'art56a_period_recorded', message: expect.stringContaining('ended with bijstand on 2026-04-15') });
    }
    const record = await inTransaction(db, (trx) => updateClient(trx, clientId, {}));
    expect(record.bijstandEnd).toBe('2026-04-15');
    expect((await statutoryOf(clientId)).lastDay).toBe('2026-04-15');
  });

  it('the first day of bijstand cannot be moved once the 56a period runs from it', async () => {
    const db = handle().db;
    const clientId = await inArt56a();
    const refused = await refusal(() => inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandStart: '2026-02-15' })));
    expect(refused).toMatchObject({ code: 'art56a_period_recorded', message: expect.stringContaining('already runs from 2026-01-31') });
    expect(await statutoryOf(clientId)).toMatchObject({ firstDay: '2026-01-31', lastDay: '2026-07-30' });
  });

  it('without a 56a period (another basis) the bijstand dates change freely', async () => {
    const db = handle().db;
    const clientId = await inTransaction(db, async (trx) => {
      const record = await registerClient(trx, {
        gemeenteId: GEMEENTE,
        reference: `BIJ-${++n}`,
        name: 'Sanne de Vries',
        ownIban: CLIENT_IBAN,
        householdType: 'single',
        bijstandStart: '2026-01-31',
        inburgeringsplichtigWi2021: false,
        fixedTermAsylumPermit: false,
      });
      await recordFollowUpPeriod(trx, record.id, { basis: 'voluntary', firstDay: '2026-02-01', lastDay: null, reviewDate: '2026-08-01', decisionReference: 'VOL-1' });
      return record.id;
    });
    const record = await inTransaction(db, (trx) => updateClient(trx, clientId, { bijstandStart: '2026-02-01', bijstandEnd: '2026-04-30' }));
    expect(record).toMatchObject({ bijstandStart: '2026-02-01', bijstandEnd: '2026-04-30' });
    expect((await periodsOf(db, [clientId])).get(clientId)![0]).toMatchObject({ basis: 'voluntary', lastDay: null });
  });
});
