import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, paymentsOf, singleAdultObligations, type TestClient } from './support.js';
import { decide, revoke, runDays } from '../maatwerk/support.js';

/**
 * A reservation released (its period no longer withheld) keeps its ledger key for good: when the period is due
 * again it is reserved under the next sequence number, never the released one's (the ledger would refuse the key
 * with other content and stop the gemeente's whole batch).
 */
describe('an obligation period released and due again [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  let other: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    other = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03'), bijstandFor(other, '1334.23', '2026-03')]);
    await runDays(handle.db, '2026-03-24', '2026-04-23');
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04'), bijstandFor(other, '1334.23', '2026-04')]);
    await runDays(handle.db, '2026-04-24', '2026-04-27');
  });
  afterAll(async () => handle.close());

  it('a maatwerk decision revoked the day after it released May costs: the next batch runs, reserves them again and pays everyone', async () => {
    const { db } = handle;
    const decision = await decide(db, amira.id, '2026-04-27', { scope: 'partial', kept: [amira.obligations.rent!.toString()], effectiveDate: '2026-04-28', reasonCategory: 'own_account_automatic_payments' });
    await batch(db, '2026-04-28'); // releases May gas, electricity, water, premium of Amira
    await revoke(db, amira.id, decision.id, '2026-04-28', '2026-04-28'); // "bills went unpaid again": withhold as before
    await expect(batch(db, '2026-04-29')).resolves.toBeDefined();
    // The other client's May costs execute on 29 April (1 May is a TARGET2 holiday) and are instructed.
    expect((await paymentsOf(db, other.id)).filter((p) => p.includes('2026-05 '))).toHaveLength(5);
    // Amira's May water: seq 1 released, seq 2 booked for it again, and paid from that one.
    const water = await db
      .selectFrom('allocation_reservation')
      .select(['ledger_key', 'seq', 'status'])
      .where('client_id', '=', amira.id)
      .where('obligation_id', '=', amira.obligations.water!)
      .where('period_key', '=', '2026-05')
      .orderBy('seq')
      .execute();
    expect(water.map((r) => [r.seq, r.status])).toEqual([
      [1, 'voided'],
      [2, 'scheduled'],
    ]);
    const paid = await db.selectFrom('payment_instruction').select(['reservation_key']).where('client_id', '=', amira.id).where('obligation_id', '=', amira.obligations.water!).where('period', '=', '2026-05').execute();
    expect(paid.map((p) => p.reservation_key)).toEqual([water[1]!.ledger_key]);
    // A rerun of the day books and instructs nothing twice.
    expect((await batch(db, '2026-04-29')).created).toBe(0);
  });
});
