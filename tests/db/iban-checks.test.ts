import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { ensureClient, ensureGemeente } from '../../src/clients/clients.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { describeOnEachDatabase, migrateTo, refusal } from '../support/db.js';

/** The rule every IBAN column had before 0031, as PostgreSQL itself reads it. */
const BOUNDED = '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$';
const CONSTRAINTS = [
  'payment_instruction_creditor_iban_check',
  'client_own_iban_check',
  'obligation_payee_iban_check',
  'machtiging_payee_payee_iban_check',
  'known_payer_iban_check',
  'bank_account_iban_check',
];

/** Texts near the rule's edges: its own alphabet and a few characters just outside it, 0 to 40 long. */
const nearlyIbans = fc.oneof(
  fc.string({ unit: fc.constantFrom('N', 'L', 'Z', 'A', '0', '9', '1', 'a', ' ', '-', 'É', '٣', '\n'), maxLength: 40 }),
  fc.tuple(fc.constantFrom('NL', 'DE', 'nl', 'N1'), fc.constantFrom('91', '9A', '00'), fc.string({ unit: fc.constantFrom('A', 'B', '0', '7', 'x', 'Ä'), minLength: 9, maxLength: 33 })).map((parts) => parts.join('')),
);

/** 0031: the IBAN shape checks, written without a bounded repeat, keep exactly the rule they had. */
describeOnEachDatabase('migration 0031: IBAN checks without a bounded repeat', (handle) => {
  it('every IBAN column accepts and refuses exactly what the bounded pattern did', async () => {
    const { db } = handle();
    const { rows } = await sql<{ name: string; definition: string }>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = ANY(${CONSTRAINTS}::text[])
    `.execute(db);
    expect(rows.map((r) => r.name).sort()).toEqual([...CONSTRAINTS].sort());
    for (const { definition } of rows) expect(definition).not.toContain('{');
    // Each constraint's own expression, evaluated on a column named as in its table, against the old pattern.
    const checks = rows.map(({ definition }) => {
      const column = /\boctet_length\((\w+)\)/.exec(definition)![1]!;
      return { column, expression: definition.replace(/^CHECK /, '') };
    });
    await fc.assert(
      fc.asyncProperty(fc.array(nearlyIbans, { minLength: 1, maxLength: 25 }), async (texts) => {
        for (const { column, expression } of checks) {
          const { rows: judged } = await sql<{ text: string; now: boolean; before: boolean }>`
            SELECT t AS text, coalesce(${sql.raw(expression)}, false) AS now, t ~ ${BOUNDED} AS before
              FROM unnest(${texts}::text[]) AS u (t), LATERAL (SELECT t AS ${sql.id(column)}) AS c
          `.execute(db);
          for (const row of judged) expect(row.now, `${column}: ${JSON.stringify(row.text)}`).toBe(row.before);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a client\'s IBAN of the wrong shape is refused by the database, naming the constraint', async () => {
    const { db } = handle();
    await ensureGemeente(db, { id: 'GM0505', name: 'Dordrecht' });
    const client = await ensureClient(db, { gemeenteId: 'GM0505', reference: 'iban-check' });
    const set = (iban: string) => sql`UPDATE client SET own_iban = ${iban} WHERE id = ${client.id.toString()}::bigint`.execute(db);
    for (const bad of ['NL91ABNA041716', 'NL91ABNA0417164300NL91ABNA0417164300X', 'nl91abna0417164300', 'NL91 ABNA 0417 1643 00', 'NLA1ABNA0417164300', 'NL91ABNA041716430É']) {
      expect((await refusal(set(bad))).constraint, bad).toBe('client_own_iban_check');
    }
    await set('NL91ABNA0417164300');
    await set('MT84MALT011000012345MTLCAST001S');
  });

  it('migrating back to 0030 restores the bounded checks, and forward again the new ones', async () => {
    const { db } = handle();
    const definition = async () =>
      (await sql<{ d: string }>`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'payment_instruction_creditor_iban_check'`.execute(db)).rows[0]!.d;
    const down = await migrateTo(db, '0030_payment_file_deflated');
    expect(down.error).toBeUndefined();
    expect(await definition()).toContain('{11,30}');
    expect(await migrateToLatest(db)).toContain('0031_iban_checks_without_bounds');
    expect(await definition()).toContain('octet_length(creditor_iban)');
  });
});
