import type { Kysely } from 'kysely';
import { ClientError } from '../clients/errors.js';
import { gemeentePolicies } from '../clients/policy.js';
import type { Database } from '../db/schema.js';
import { isIsoDate } from '../schedule/index.js';
import { BatchError } from './errors.js';
import { reportSummaryLines } from './report.js';
import { runDailyBatch } from './run.js';

const seconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/**
 * `ontzorg batch --date YYYY-MM-DD [--gemeente GMxxxx]`: the daily batch from the terminal, the same
 * core the job and the embedded mode run. Exit 0 done, 1 a batch failed, 2 wrong usage.
 */
export async function runBatchCli(db: Kysely<Database>, args: { date: string | undefined; gemeente: string | undefined; user: string }, print: (line: string) => void): Promise<number> {
  if (!args.date || !isIsoDate(args.date)) {
    print('batch needs --date YYYY-MM-DD (the run date), and optionally --gemeente GMxxxx');
    return 2;
  }
  if (args.gemeente !== undefined && !/^GM[0-9]{4}$/.test(args.gemeente)) {
    print(`--gemeente "${args.gemeente}" is not a CBS gemeente code (GM and four digits)`);
    return 2;
  }
  const gemeenten = args.gemeente ? [args.gemeente] : (await gemeentePolicies(db)).map((p) => p.gemeenteId);
  if (gemeenten.length === 0) {
    print('no gemeente has a policy yet: nothing to run');
    return 0;
  }
  let failed = false;
  for (const gemeenteId of gemeenten) {
    const started = Date.now();
    try {
      const result = await runDailyBatch(db, { gemeenteId, runDate: args.date, startedBy: `cli:${args.user}` });
      for (const line of reportSummaryLines(result.report)) print(line);
      print(`  ${result.created} instruction(s) and ${result.batchesCreated} batch(es) created by this run, in ${seconds.format((Date.now() - started) / 1000)} s`);
    } catch (error) {
      if (!(error instanceof ClientError) && !(error instanceof BatchError)) throw error;
      print(`${gemeenteId} ${args.date}: FAILED (${error.code}): ${error.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
