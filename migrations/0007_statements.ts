import { sql, type Kysely } from 'kysely';

/**
 * 0007: what a client's statement reads, made cheap (issue 7: p99 ≤ 25 ms at 500 statements/s).
 *
 * 1. An index on postings by account and booking date. Without it a statement (and the ledger's
 *    `balanceOnDate`) reads every posting the account ever had and filters by date; with it, a
 *    month's statement reads that month's postings, and the opening balance is the account's
 *    counters less what was booked after the period. One more index entry per posting written.
 * 2. A partial index on the payment instructions that still hold a client's reserved money (to be sent,
 *    held, or waiting to be sent again): the statement names what each open reservation is for without
 *    reading the client's whole payment history.
 * 3. `statement_facts(client, from, to, months)`: every fact a statement needs, as one json, in one
 *    round trip. A STABLE function: all its reads see the snapshot of the calling statement, so the
 *    counters, the lines and the reservations agree to the cent while bookings go on; PL/pgSQL keeps
 *    its query plans per connection, and `plan_cache_mode = force_generic_plan` makes it keep them, so the
 *    joins are planned once per connection, not per request (planning was most of a statement's
 *    database time). Read-only; amounts and ids leave as text, never as JSON
 *    numbers. The TypeScript side (src/statements/facts.ts) names every field it reads.
 *    A change to what a statement reads is a new migration with CREATE OR REPLACE.
 */
const statements = [
  sql`CREATE INDEX ledger_posting_account_booking_date_idx ON ledger_posting (account_id, booking_date)`,
  sql`
    CREATE INDEX payment_instruction_client_open_idx ON payment_instruction (client_id)
     WHERE status IN ('created', 'held', 'batched', 'cancelled', 'returned', 'bank_rejected')
  `,
  sql`
    CREATE FUNCTION statement_facts(p_client bigint, p_from date, p_to date, p_months text[]) RETURNS json
      LANGUAGE plpgsql STABLE
      -- Plan once per connection and keep it: the custom plans PostgreSQL would otherwise make for each call
      -- cost more to plan than the queries cost to run (all of them are index lookups for one client).
      SET plan_cache_mode = force_generic_plan
      AS $fn$
    DECLARE
      v_account bigint;
      v_reserved bigint;
      v_found bigint := 0;
      v_seq bigint := 9223372036854775807;
      v_chunk integer;
      v_open bigint[] := '{}';
      v_header json;
      v_row record;
    BEGIN
      SELECT a.id, a.debits_pending INTO v_account, v_reserved FROM account a
       WHERE a.client_id = p_client AND a.purpose = 'client_available'
       ORDER BY (a.code = 'client/' || p_client || '/available') DESC, a.id
       LIMIT 1;

      -- The reservations open now, newest first, until they add up to the account's pending counter: the
      -- older ones are all paid or released, so they are not read (a month's worth, not the whole history).
      -- In chunks, so the plan is a backward scan of (account_id, account_seq) that stops early.
      IF v_reserved > 0 THEN
        <<chunks>>
        LOOP
          v_chunk := 0;
          -- No filter on phase here: with one the planner reads the whole history and sorts it; without, it
          -- walks the unique (account_id, account_seq) index backwards and stops after the chunk.
          FOR v_row IN SELECT p.transaction_id, p.amount_cents, p.account_seq, p.phase, p.side FROM ledger_posting p
                        WHERE p.account_id = v_account AND p.account_seq < v_seq
                        ORDER BY p.account_seq DESC
                        LIMIT 64
          LOOP
            v_chunk := v_chunk + 1;
            v_seq := v_row.account_seq;
            IF v_row.phase = 'pending' AND v_row.side = 'D'
               AND NOT EXISTS (SELECT 1 FROM ledger_transaction z WHERE z.pending_id = v_row.transaction_id AND z.outcome = 'booked') THEN
              v_open := v_open || v_row.transaction_id;
              v_found := v_found + v_row.amount_cents;
              EXIT chunks WHEN v_found >= v_reserved;
            END IF;
          END LOOP;
          EXIT chunks WHEN v_chunk < 64;
        END LOOP;
      END IF;

      SELECT json_build_object(
               'id', c.id::text, 'reference', c.reference, 'name', c.name, 'gemeente_id', c.gemeente_id, 'gemeente_name', g.name,
               'ontzorgen_ended_on', c.ontzorgen_ended_on,
               'account_id', v_account::text, 'credits_posted', a.credits_posted::text, 'debits_posted', a.debits_posted::text, 'debits_pending', a.debits_pending::text,
               'after_net', (SELECT coalesce(sum(CASE p.side WHEN 'C' THEN p.amount_cents ELSE -p.amount_cents END), 0)::text
                               FROM ledger_posting p WHERE p.account_id = v_account AND p.booking_date > p_to AND p.phase = 'posted'),
               'advance_accounts', adv.n::text, 'advance_lent', adv.lent::text, 'advance_repaid', adv.repaid::text)
        INTO v_header
        FROM client c
        JOIN gemeente g ON g.id = c.gemeente_id
        LEFT JOIN account a ON a.id = v_account
        CROSS JOIN LATERAL (
          SELECT count(*) AS n, sum(x.debits_posted) AS lent, sum(x.credits_posted) AS repaid FROM account x
           WHERE x.client_id = c.id AND x.purpose = 'advances_receivable') adv
       WHERE c.id = p_client;
      IF v_header IS NULL THEN
        RETURN NULL;
      END IF;

      RETURN json_build_object(
        'header', v_header,
        -- The posted movements of the period, each with the facts that say what it was (for a reversal:
        -- the facts of what it reverses): the bank item, a suspense assignment, the payment instruction a
        -- release paid (release/<id>) or a return gave back, its obligation and payee, a pass-on's income.
        'lines', coalesce((
          SELECT json_agg(l ORDER BY l.booking_date, l.seq)
            FROM (
              SELECT p.booking_date, p.account_seq AS seq, p.side, p.amount_cents::text AS amount_cents, t.id::text AS transaction_id,
                     (t.reverses_id IS NOT NULL) AS reversal,
                     b.destination, b.income_type AS item_income_type, b.counterparty_name, b.return_reason AS item_return_reason,
                     sa.income_type AS assigned_income_type,
                     i.id::text AS instruction_id, i.kind AS instruction_kind, i.period AS instruction_period, i.idempotency_key AS instruction_key,
                     i.creditor_name, i.return_reason AS instruction_return_reason,
                     o.type AS obligation_type, o.payee_name,
                     CASE WHEN i.idempotency_key LIKE 'pass-on/%' THEN
                       (SELECT rc.classification FROM allocation_receipt rc WHERE rc.client_id = i.client_id AND rc.pass_on_key = split_part(i.idempotency_key, '#', 1) LIMIT 1)
                     END AS pass_on_income_type,
                     (SELECT a.purpose FROM ledger_posting q JOIN account a ON a.id = q.account_id
                       WHERE q.transaction_id = t.id AND q.account_id <> p.account_id ORDER BY q.id LIMIT 1) AS counter_purpose
                FROM ledger_posting p
                JOIN ledger_transaction t ON t.id = p.transaction_id
                LEFT JOIN ledger_transaction r ON r.id = t.reverses_id
                CROSS JOIN LATERAL (SELECT coalesce(r.idempotency_key, t.idempotency_key) AS fact_key) k
                LEFT JOIN bank_entry_item b ON b.ledger_key = k.fact_key
                LEFT JOIN suspense_assignment sa ON sa.ledger_key = k.fact_key
                LEFT JOIN payment_instruction i ON i.id = CASE
                       WHEN k.fact_key ~ '^release/[0-9]{1,18}$' THEN substr(k.fact_key, 9)::bigint
                       WHEN b.destination = 'return' AND (b.match_detail ->> 'instruction') ~ '^[0-9]{1,18}$' THEN (b.match_detail ->> 'instruction')::bigint
                     END
                LEFT JOIN obligation o ON o.id = i.obligation_id
               WHERE p.account_id = v_account AND p.phase = 'posted' AND p.booking_date BETWEEN p_from AND p_to) l), '[]'::json),
        -- The reservations open now, with the allocation's purpose where it made them.
        'pending', coalesce((
          SELECT json_agg(x ORDER BY x.booking_date, x.tid)
            FROM (
              SELECT t.id AS tid, t.id::text AS transaction_id, t.idempotency_key AS key, t.booking_date, p.amount_cents::text AS amount_cents,
                     ar.obligation_id::text AS ar_obligation_id, ar.period_key AS ar_period, ar.due_date AS ar_due_date,
                     o.type AS ar_obligation_type, o.payee_name AS ar_payee_name
                FROM ledger_transaction t
                JOIN ledger_posting p ON p.transaction_id = t.id AND p.account_id = v_account AND p.phase = 'pending' AND p.side = 'D'
                LEFT JOIN allocation_reservation ar ON ar.ledger_key = t.idempotency_key
                LEFT JOIN obligation o ON o.id = ar.obligation_id
               WHERE t.id = ANY(v_open)) x), '[]'::json),
        -- The client's payment instructions that still hold reserved money: to be sent, held, or waiting to be sent again.
        'instructions', coalesce((
          SELECT json_agg(x ORDER BY x.iid)
            FROM (
              SELECT i.id AS iid, i.id::text AS id, i.idempotency_key, i.kind, i.period, i.status, i.due_date, i.amount_cents::text AS amount_cents, i.reservation_key, i.creditor_name,
                     o.type AS obligation_type, o.payee_name,
                     CASE WHEN i.idempotency_key LIKE 'pass-on/%' THEN
                       (SELECT rc.classification FROM allocation_receipt rc WHERE rc.client_id = i.client_id AND rc.pass_on_key = split_part(i.idempotency_key, '#', 1) LIMIT 1)
                     END AS pass_on_income_type
                FROM payment_instruction i
                LEFT JOIN obligation o ON o.id = i.obligation_id
               WHERE v_reserved > 0 AND i.client_id = p_client AND i.status IN ('created', 'held', 'batched', 'cancelled', 'returned', 'bank_rejected')) x), '[]'::json),
        -- Obligation periods already reserved (open) or scheduled for payment in the months "next payments" looks at
        -- (an obligation's period key is the month it falls due; the batch schedules it by its due date).
        'handled', coalesce((
          SELECT json_agg(h.obligation_id::text || '|' || h.period)
            FROM (SELECT obligation_id, period_key AS period FROM allocation_reservation
                   WHERE client_id = p_client AND status = 'open' AND period_key = ANY(p_months)
                  UNION
                  SELECT obligation_id, period_key FROM scheduled_payment
                   WHERE client_id = p_client AND kind = 'obligation'
                     AND pay_date >= to_date(p_months[1] || '-01', 'YYYY-MM-DD')
                     AND pay_date < to_date(p_months[cardinality(p_months)] || '-01', 'YYYY-MM-DD') + interval '1 month') h), '[]'::json),
        'obligations', coalesce((
          SELECT json_agg(json_build_object(
                   'id', o.id::text, 'client_id', o.client_id::text, 'gemeente_id', o.gemeente_id, 'type', o.type, 'frequency', o.frequency,
                   'payee_name', o.payee_name, 'payee_iban', o.payee_iban, 'payee_reference', o.payee_reference, 'reference_kind', o.reference_kind,
                   'description', o.description, 'valid_until', o.valid_until,
                   'versions', (SELECT json_agg(json_build_object('version', v.version, 'effective_from', v.effective_from, 'amount_cents', v.amount_cents::text, 'due_day', v.due_day, 'basis', v.basis) ORDER BY v.version)
                                  FROM obligation_version v WHERE v.obligation_id = o.id)) ORDER BY o.id)
            FROM obligation o WHERE o.client_id = p_client), '[]'::json),
        'periods', coalesce((
          SELECT json_agg(json_build_object(
                   'id', pr.id::text, 'client_id', pr.client_id::text, 'basis', pr.basis, 'first_day', pr.first_day, 'last_day', pr.last_day, 'review_date', pr.review_date,
                   'decision_reference', pr.decision_reference, 'ended_early_on', pr.ended_early_on, 'ended_reason', pr.ended_reason) ORDER BY pr.first_day, pr.id)
            FROM ontzorg_period pr WHERE pr.client_id = p_client), '[]'::json));
    END
    $fn$
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION statement_facts(bigint, date, date, text[])`.execute(db);
  await sql`DROP INDEX payment_instruction_client_open_idx`.execute(db);
  await sql`DROP INDEX ledger_posting_account_booking_date_idx`.execute(db);
}
