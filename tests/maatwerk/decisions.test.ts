import { beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { decisionsOf, MaatwerkError, recordDecision, type DecisionInput } from '../../src/maatwerk/index.js';
import { aClient, aServiceRegion, batch, singleAdultObligations, type TestClient } from '../batch/support.js';
import { describeOnEachDatabase } from '../support/db.js';
import { BACK_OFFICE, decide, revoke } from './support.js';

describeOnEachDatabase('recording maatwerk decisions', (handle) => {
  let amira: TestClient;
  let dawit: TestClient;
  beforeAll(async () => {
    await aServiceRegion(handle().db);
    amira = await aClient(handle().db, { obligations: singleAdultObligations('2026-04-01') });
    dawit = await aClient(handle().db, { obligations: singleAdultObligations('2026-04-01'), reference: `DR-MW-${process.pid % 1000}` });
  });
  const opt = (effectiveDate: string): DecisionInput => ({ scope: 'full_opt_out', reasonCategory: 'financially_self_reliant', reason: 'manages well', assessment: 'assessment of April', effectiveDate, reviewDate: '2026-09-01', decidedBy: 'bo' });
  const record = (clientId: bigint, input: DecisionInput, today: string, idempotencyKey?: string) =>
    inTransaction(handle().db, (trx) => recordDecision(trx, clientId, input, { today, actor: BACK_OFFICE, ...(idempotencyKey ? { idempotencyKey } : {}) }));
  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      if (error instanceof MaatwerkError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('rule 10: a decision cannot take effect before a day the gemeente\'s daily batch already ran, even if "today" is earlier', async () => {
    await batch(handle().db, '2026-05-06');
    const error = await refusal(record(amira.id, opt('2026-05-05'), '2026-05-04'));
    expect(error.code).toBe('maatwerk_breaks_rule');
    expect(error.message).toContain('rule 10');
    expect(error.message).toContain('before 2026-05-06');
    expect((await record(amira.id, opt('2026-05-06'), '2026-05-04')).effectiveDate).toBe('2026-05-06');
  });

  it('without a key the content is the key: the same decision twice is one; with a key, other content under it is refused', async () => {
    const again = await record(amira.id, opt('2026-05-06'), '2026-05-04');
    expect((await decisionsOf(handle().db, [amira.id])).get(amira.id)).toHaveLength(1);
    expect(again.scope).toBe('full_opt_out');
    await record(dawit.id, opt('2026-05-07'), '2026-05-06', 'k-1');
    const reused = await refusal(record(dawit.id, opt('2026-05-08'), '2026-05-06', 'k-1'));
    expect(reused.code).toBe('maatwerk_key_reused');
    // The replay of the first answers it, also once its effective date has passed.
    expect((await record(dawit.id, opt('2026-05-07'), '2026-06-01', 'k-1')).effectiveDate).toBe('2026-05-07');
  });

  it('a new decision replaces the open one; a revocation ends the latest; the history keeps every row', async () => {
    const first = (await decisionsOf(handle().db, [amira.id])).get(amira.id)![0]!;
    const second = await decide(handle().db, amira.id, '2026-05-06', { scope: 'partial', kept: [amira.obligations.rent!.toString()], effectiveDate: '2026-06-01' });
    expect(second.replacesId).toBe(first.id);
    const revocation = await revoke(handle().db, amira.id, second.id, '2026-05-06', '2026-07-01');
    expect(revocation).toMatchObject({ action: 'revoke', replacesId: second.id, effectiveDate: '2026-07-01' });
    expect((await refusal(revoke(handle().db, amira.id, first.id, '2026-05-06', '2026-07-01'))).code).toBe('maatwerk_already_ended');
    expect((await refusal(revoke(handle().db, dawit.id, second.id, '2026-05-06', '2026-07-01'))).code).toBe('maatwerk_not_found');
    expect((await decisionsOf(handle().db, [amira.id])).get(amira.id)!.map((d) => `${d.action} ${d.scope ?? '-'} ${d.effectiveDate}`)).toEqual([
      'decide full_opt_out 2026-05-06',
      'decide partial 2026-06-01',
      'revoke - 2026-07-01',
    ]);
    const audited = await handle().db.selectFrom('audit_log').select('action').where('client_id', '=', amira.id).orderBy('id').execute();
    expect(audited.map((a) => a.action)).toEqual(['maatwerk.decide', 'maatwerk.replace', 'maatwerk.revoke']);
  });

  it('a refused decision changes nothing', async () => {
    const before = await handle().db.selectFrom('maatwerk_decision').select('id').execute();
    const error = await refusal(record(amira.id, { ...opt('2026-08-01'), scope: 'partial', kept: ['999999'] }, '2026-05-06'));
    expect(error.code).toBe('invalid_maatwerk_decision');
    expect(await handle().db.selectFrom('maatwerk_decision').select('id').execute()).toEqual(before);
  });
});
