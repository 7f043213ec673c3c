import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { sqlState } from '../../src/db/errors.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

/** These go around the ledger code on purpose: the database itself must refuse them. */
describeOnEachDatabase('the database guards the journal', (handle) => {
  async function oneBooking() {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const booked = await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '100.00'));
    return { db, chart, client, transactionId: booked.transactionId };
  }

  it('refuses a direct UPDATE of a posting', async () => {
    const { db, transactionId } = await oneBooking();
    await expect(sql`UPDATE ledger_posting SET amount_cents = 1 WHERE transaction_id = ${transactionId}`.execute(db)).rejects.toThrow(/append-only: UPDATE on ledger_posting/);
  });

  it('refuses a direct DELETE of a posting and of a transaction', async () => {
    const { db, transactionId } = await oneBooking();
    await expect(sql`DELETE FROM ledger_posting WHERE transaction_id = ${transactionId}`.execute(db)).rejects.toThrow(/append-only: DELETE on ledger_posting/);
    await expect(sql`DELETE FROM ledger_transaction WHERE id = ${transactionId}`.execute(db)).rejects.toThrow(/append-only: DELETE on ledger_transaction/);
  });

  it('refuses an UPDATE of a transaction (no quiet edits of what was booked)', async () => {
    const { db, transactionId } = await oneBooking();
    await expect(sql`UPDATE ledger_transaction SET description = 'changed' WHERE id = ${transactionId}`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('refuses TRUNCATE of postings, transactions and accounts', async () => {
    const { db } = await oneBooking();
    for (const table of ['ledger_posting', 'ledger_transaction', 'account']) {
      await expect(sql.raw(`TRUNCATE ${table} CASCADE`).execute(db)).rejects.toThrow(/append-only: TRUNCATE/);
    }
  });

  it('refuses an unbalanced transaction before it can commit', async () => {
    const { db, chart, client } = await oneBooking();
    const attempt = inTransaction(db, (trx) =>
      sql`
        WITH t AS (
          INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash)
          VALUES (${uniqueKey('forged')}, 'transfer', 'booked', '2026-11-02', 'forged', '{}', ${'0'.repeat(64)}) RETURNING id)
        INSERT INTO ledger_posting (transaction_id, account_id, gemeente_id, side, phase, amount_cents, account_seq, booking_date,
                                    debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
        SELECT t.id, v.account, v.gemeente, v.side, 'posted', v.amount, 1000, '2026-11-02', 0, 0, 0, 0
          FROM t, (VALUES (${chart.bank}::bigint, NULL::text, 'D', 1000), (${client.available}::bigint, ${client.gemeenteId}::text, 'C', 999)) AS v (account, gemeente, side, amount)`.execute(trx),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(String(error)).toMatch(/does not balance: debits must equal credits/);
    expect(sqlState(error)).toBe('23514');
  });

  it('refuses a booked transaction without postings', async () => {
    const { db } = await oneBooking();
    const attempt = inTransaction(db, (trx) =>
      sql`INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash)
          VALUES (${uniqueKey('empty')}, 'transfer', 'booked', '2026-11-02', 'empty', '{}', ${'0'.repeat(64)})`.execute(trx),
    );
    await expect(attempt).rejects.toThrow(/has no postings; a booking must move money/);
  });

  it('refuses postings written after the statement that created their transaction, even in the same database transaction', async () => {
    const { db, chart, client } = await oneBooking();
    const attempt = inTransaction(db, async (trx) => {
      const { rows } = await sql<{ id: bigint }>`
        INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash)
        VALUES (${uniqueKey('split')}, 'transfer', 'booked', '2026-11-02', 'split', '{}', ${'0'.repeat(64)}) RETURNING id`.execute(trx);
      await sql`
        INSERT INTO ledger_posting (transaction_id, account_id, gemeente_id, side, phase, amount_cents, account_seq, booking_date,
                                    debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
        VALUES (${rows[0]!.id}, ${chart.bank}, NULL, 'D', 'posted', 5, 1000, '2026-11-02', 0, 0, 0, 0),
               (${rows[0]!.id}, ${client.available}, ${client.gemeenteId}, 'C', 'posted', 5, 1000, '2026-11-02', 0, 0, 0, 0)`.execute(trx);
    });
    await expect(attempt).rejects.toThrow(/has no postings; a booking must move money, and its postings are written in the statement that creates it/);
  });

  it('refuses postings of a later statement that unbalance a transaction of the same database transaction (0020 sums each statement\'s own postings)', async () => {
    const { db, chart, client } = await oneBooking();
    const attempt = inTransaction(db, async (trx) => {
      const { rows } = await sql<{ transaction_id: bigint }>`
        WITH t AS (
          INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash)
          VALUES (${uniqueKey('later')}, 'transfer', 'booked', '2026-11-02', 'later', '{}', ${'0'.repeat(64)}) RETURNING id)
        INSERT INTO ledger_posting (transaction_id, account_id, gemeente_id, side, phase, amount_cents, account_seq, booking_date,
                                    debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
        SELECT t.id, v.account, v.gemeente, v.side, 'posted', 5, v.seq, '2026-11-02', 0, 0, 0, 0
          FROM t, (VALUES (${chart.bank}::bigint, NULL::text, 'D', 1000), (${client.available}::bigint, ${client.gemeenteId}::text, 'C', 1000)) AS v (account, gemeente, side, seq)
        RETURNING transaction_id`.execute(trx);
      await sql`
        INSERT INTO ledger_posting (transaction_id, account_id, gemeente_id, side, phase, amount_cents, account_seq, booking_date,
                                    debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
        VALUES (${rows[0]!.transaction_id}, ${chart.bank}, NULL, 'D', 'posted', 1, 1001, '2026-11-02', 0, 0, 0, 0)`.execute(trx);
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(String(error)).toMatch(/does not balance: debits must equal credits/);
    expect(sqlState(error)).toBe('23514');
  });

  it('refuses a content hash that is not 64 lowercase hex digits (0020 checks it without a bounded regex)', async () => {
    const { db } = await oneBooking();
    const refusedWith = (hash: string) =>
      sql`INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash, refusal_code, refusal_message)
          VALUES (${uniqueKey('hash')}, 'transfer', 'refused', '2026-11-02', 'x', '{}', ${hash}, 'insufficient_funds', 'x')`.execute(db);
    const good = '0123456789abcdef'.repeat(4);
    for (const bad of [good.slice(1), `${good}0`, good.toUpperCase(), `${good.slice(1)}g`, `${good.slice(2)}é`, `${good.slice(1)}\n`, `\n${good.slice(1)}`, '']) {
      await expect(refusedWith(bad), JSON.stringify(bad)).rejects.toThrow(/ledger_transaction_content_hash_check/);
    }
    await refusedWith(good);
  });

  it('refuses a transaction that resolves or reverses a transaction that does not exist', async () => {
    const { db, transactionId } = await oneBooking();
    for (const column of ['pending_id', 'reverses_id'] as const) {
      const type = column === 'pending_id' ? 'void_pending' : 'reversal';
      const attempt = inTransaction(db, (trx) =>
        sql`INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash, refusal_code, refusal_message, ${sql.ref(column)})
            VALUES (${uniqueKey('dangling')}, ${type}, 'refused', '2026-11-02', 'dangling', '{}', ${'0'.repeat(64)}, 'insufficient_funds', 'x', ${transactionId + 1_000_000n})`.execute(trx),
      );
      const error = await attempt.catch((e: unknown) => e);
      expect(String(error)).toMatch(new RegExp(`has ${column} ${transactionId + 1_000_000n}, a ledger transaction that does not exist`));
      expect(sqlState(error)).toBe('23503');
    }
    // The same reference to a transaction that exists goes in.
    await sql`INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash, refusal_code, refusal_message, reverses_id)
              VALUES (${uniqueKey('dangling')}, 'reversal', 'refused', '2026-11-02', 'fine', '{}', ${'0'.repeat(64)}, 'insufficient_funds', 'x', ${transactionId})`.execute(db);
  });

  it('refuses a posting to an account that does not exist, or under another gemeente than its account', async () => {
    const { db, chart, client } = await oneBooking();
    const forge = (account: bigint, gemeente: string | null) =>
      inTransaction(db, (trx) =>
        sql`
          WITH t AS (
            INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash)
            VALUES (${uniqueKey('forged')}, 'transfer', 'booked', '2026-11-02', 'forged', '{}', ${'0'.repeat(64)}) RETURNING id)
          INSERT INTO ledger_posting (transaction_id, account_id, gemeente_id, side, phase, amount_cents, account_seq, booking_date,
                                      debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
          SELECT t.id, v.account, v.gemeente, v.side, 'posted', 5, 1000, '2026-11-02', 0, 0, 0, 0
            FROM t, (VALUES (${chart.bank}::bigint, NULL::text, 'D'), (${account}::bigint, ${gemeente}::text, 'C')) AS v (account, gemeente, side)`.execute(trx),
      );
    await expect(forge(987654321n, null)).rejects.toThrow(/refers to account 987654321, which does not exist/);
    await expect(forge(client.available, 'GM0642')).rejects.toThrow(/carries gemeente GM0642, but the account belongs to GM0505/);
  });

  it('refuses postings added later to a committed transaction', async () => {
    const { db, chart, transactionId } = await oneBooking();
    await expect(
      sql`INSERT INTO ledger_posting (transaction_id, account_id, side, phase, amount_cents, account_seq, booking_date,
                                      debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
          VALUES (${transactionId}, ${chart.bank}, 'D', 'posted', 1, 999, '2026-11-02', 0, 0, 0, 0)`.execute(db),
    ).rejects.toThrow(/postings may only be added to a transaction in the database transaction that created it/);
  });

  it('refuses a balance that breaks the overdraft rule, even when written directly', async () => {
    const { db, client } = await oneBooking();
    await expect(sql`UPDATE account SET debits_posted = credits_posted + 1 WHERE id = ${client.available}`.execute(db)).rejects.toThrow(/account_no_overdraft/);
  });

  it('refuses a second booking with an idempotency key already used', async () => {
    const { db } = await oneBooking();
    const key = uniqueKey('dup');
    const insert = () =>
      sql`INSERT INTO ledger_transaction (idempotency_key, type, outcome, booking_date, description, request, content_hash, refusal_code, refusal_message)
          VALUES (${key}, 'transfer', 'refused', '2026-11-02', 'x', '{}', ${'0'.repeat(64)}, 'insufficient_funds', 'x')`.execute(db);
    await insert();
    await expect(insert()).rejects.toThrow(/ledger_transaction_idempotency_key/);
  });

  it('refuses a currency other than EUR on an account', async () => {
    const { db } = await oneBooking();
    await expect(
      sql`INSERT INTO account (code, name, kind, purpose, balance_rule, currency) VALUES (${uniqueKey('usd')}, 'usd', 'asset', 'bank', 'none', 'USD')`.execute(db),
    ).rejects.toThrow(/check constraint/);
  });
});
