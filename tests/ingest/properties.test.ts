import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { SimulatedEntry, SimulatedFile } from '../../src/demo/bank-statement.js';
import { chooseNew, realCount } from '../../src/ingest/identity.js';
import { freshPGlite } from '../support/db.js';
import { SOMEONE, aRegion, ingest, statementFile } from './region.js';

/**
 * Property (issue 11): any split, reordering or duplication of the same entries across files
 * ends in the same ledger. The day's entries (some of them identical payments) are reported
 * in camt.054 notifications split at random, files are re-sent at random, the order is
 * shuffled, and the day's camt.053 statement comes at a random place or not at all; the uploads may
 * be put together into files of several reports: the books must equal those of ingesting the statement alone.
 */

const DAY = '2026-12-10';
const entryArb = fc.record({
  amount: fc.constantFrom('25.00', '25.00', '40.00', '1334.23'),
  ref: fc.constantFrom('A', 'A', 'B', 'C'),
  client: fc.constantFrom('DR-0001', 'nobody'),
  creditDebit: fc.constantFrom<'CRDT' | 'DBIT'>('CRDT', 'CRDT', 'DBIT'),
});

function toEntry(e: { amount: string; ref: string; client: string; creditDebit: 'CRDT' | 'DBIT' }): SimulatedEntry {
  return {
    amount: e.amount, creditDebit: e.creditDebit, bookingDate: DAY, accountServicerReference: e.ref,
    details: [{ counterpartyIban: SOMEONE, unstructured: `${e.client} betaling` }],
  };
}

function bundle(uploads: readonly SimulatedFile[]): SimulatedFile[] {
  const files: SimulatedFile[] = [];
  for (const upload of uploads) {
    const last = files[files.length - 1];
    if (last && last.kind === upload.kind && last.statements.length < 3) files[files.length - 1] = { ...last, statements: [...last.statements, ...upload.statements] };
    else files.push(upload);
  }
  return files;
}

async function books(db: Kysely<Database>): Promise<Record<string, string>> {
  const rows = await sql<{ code: string; dp: string; cp: string }>`
    SELECT code, debits_posted::text AS dp, credits_posted::text AS cp FROM account ORDER BY code`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.code, `${r.dp}/${r.cp}`]));
}

describe('ingestion converges whatever the split, order and duplication of files', () => {
  it('ends in the same ledger as the day statement alone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
        fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }),
        fc.option(fc.nat(10), { nil: undefined }),
        fc.nat(1000),
        fc.boolean(),
        async (entries, splitAt, resend, statementAt, seed, bundled) => {
          const all = entries.map(toEntry);
          const statement = statementFile('DAY-10', all, { electronicSequence: 10 });

          const reference = await freshPGlite();
          try {
            await aRegion(reference.db);
            await ingest(reference.db, statement);
            const expected = await books(reference.db);

            const notifications: SimulatedFile[] = [];
            const groups = new Map<number, SimulatedEntry[]>();
            all.forEach((entry, i) => groups.set(splitAt[i]!, [...(groups.get(splitAt[i]!) ?? []), entry]));
            for (const [n, list] of groups) notifications.push(statementFile(`NTF-${n}`, list, {}, 'camt.054'));
            const uploads: SimulatedFile[] = [];
            notifications.forEach((file, i) => {
              for (let copy = 0; copy <= (resend[i] ?? 0); copy++) uploads.push({ ...file, messageId: `${file.messageId}-${copy}` });
            });
            if (statementAt !== undefined) uploads.splice(statementAt % (uploads.length + 1), 0, statement, { ...statement, messageId: 'DAY-10-COPY' });
            // Shuffle deterministically from the seed.
            for (let i = uploads.length - 1; i > 0; i--) {
              const j = (seed * (i + 7)) % (i + 1);
              [uploads[i], uploads[j]] = [uploads[j]!, uploads[i]!];
            }

            // Several reports in one file: neighbouring uploads of one kind put together, up to three reports a file
            // (a report and its re-send can then share a file: the same report twice in one upload).
            const files = bundled ? bundle(uploads) : uploads;

            const actual = await freshPGlite();
            try {
              await aRegion(actual.db);
              for (const upload of files) expect((await ingest(actual.db, upload)).status).toBe('ingested');
              expect(await books(actual.db)).toEqual(expected);
            } finally {
              await actual.close();
            }
          } finally {
            await reference.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);
});

describe('the counting rule', () => {
  it('never counts fewer entries than the largest report, nor more than all reports together', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ kind: fc.constantFrom<'statement' | 'notification'>('statement', 'notification'), key: fc.constantFrom('a', 'b', 'c'), seen: fc.integer({ min: 1, max: 5 }), copy: fc.boolean() })), (sightings) => {
        const count = realCount(sightings.map((s) => ({ reportKind: s.kind, reportKey: `${s.kind}-${s.key}`, ref: null, seen: s.seen, copy: s.copy, source: 'f' })));
        const largest = Math.max(0, ...sightings.map((s) => s.seen));
        const total = sightings.reduce((sum, s) => sum + s.seen, 0);
        expect(count).toBeGreaterThanOrEqual(largest);
        expect(count).toBeLessThanOrEqual(total);
      }),
    );
  });

  it('counts one sighting as what it saw, as the full rule does for the same sighting stored twice', () => {
    fc.assert(
      fc.property(
        fc.record({ reportKind: fc.constantFrom<'statement' | 'notification'>('statement', 'notification'), ref: fc.option(fc.constantFrom('R1', 'R2')), seen: fc.integer({ min: 1, max: 5 }), copy: fc.boolean() }),
        (s) => {
          const sighting = { ...s, reportKey: `${s.reportKind}-a`, source: 'f' };
          // Twice the same sighting goes through the full rule (maps per report and reference) and counts it once.
          expect(realCount([sighting])).toBe(s.seen);
          expect(realCount([sighting, { ...sighting }])).toBe(s.seen);
        },
      ),
    );
  });

  it('prefers entries whose signature is not yet known when choosing the new ones', () => {
    const traits = { accountServicerReference: null, endToEndIds: '', returnCodes: '' };
    const { chosen } = chooseNew([{ signature: 'x', traits, n: 1 }, { signature: 'y', traits, n: 2 }], [{ signature: 'x', traits }], 1);
    expect(chosen.map((c) => c.n)).toEqual([2]);
  });
});
