import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { firstDayOf, isYearMonth, lastDayOf } from '../schedule/index.js';
import { amsterdamToday, LANGUAGE_CODES, writeStatementFiles } from '../statements/index.js';

export interface StatementsCommand {
  readonly month: string | undefined;
  readonly gemeente: string | undefined;
  readonly out: string | undefined;
  readonly language: string | undefined;
}

const seconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/**
 * `ontzorg statements --month YYYY-MM [--gemeente GMxxxx] [--out dir] [--language nl]`: every client's
 * statement of the month as HTML and CSV, in `<out>/<gemeente>/<YYYY-MM>/` (the layout the
 * `statements` job writes). Runs here, writing to this machine's folder; "now" on the statements is
 * today. A rerun over an unchanged ledger replaces no file. Exit 0 done, 2 wrong usage.
 */
export async function runStatementsCli(db: Kysely<Database>, args: StatementsCommand, print: (line: string) => void, now: Date = new Date()): Promise<number> {
  if (!args.month || !isYearMonth(args.month)) {
    print('statements needs --month YYYY-MM, and optionally --gemeente GMxxxx, --out DIR and --language');
    return 2;
  }
  if (args.gemeente !== undefined && !/^GM[0-9]{4}$/.test(args.gemeente)) {
    print(`--gemeente "${args.gemeente}" is not a CBS gemeente code (GM and four digits)`);
    return 2;
  }
  if (args.language !== undefined && !LANGUAGE_CODES.includes(args.language)) {
    print(`--language "${args.language}": the statements are written in ${LANGUAGE_CODES.join(', ')}`);
    return 2;
  }
  const out = resolve(args.out ?? './out/statements');
  const gemeenten = args.gemeente ? [args.gemeente] : (await db.selectFrom('gemeente').select('id').orderBy('id').execute()).map((g) => g.id);
  const asOf = amsterdamToday(now);
  for (const gemeenteId of gemeenten) {
    const started = Date.now();
    const folder = join(out, gemeenteId, args.month);
    const result = await writeStatementFiles(db, {
      gemeenteId,
      period: { from: firstDayOf(args.month), to: lastDayOf(args.month) },
      asOf,
      outDir: folder,
      ...(args.language ? { language: args.language } : {}),
      onProgress: (done, total) => {
        if (done % 1_000 === 0 && done < total) print(`  ${gemeenteId}: ${done} of ${total} clients`);
      },
    });
    print(`${gemeenteId} ${args.month}: ${result.clients} statement(s) in ${folder} (${result.written} file(s) written, ${result.unchanged} unchanged) in ${seconds.format((Date.now() - started) / 1000)} s`);
  }
  return 0;
}
