/**
 * One worker process of the scale-out test (tests/jobs/scale-out.test.ts): a daily-batch BullMQ worker
 * on its own database pool and Redis connection, as `ontzorg worker` runs it on another machine. It is
 * also a producer: told `enqueue` on stdin, it adds every (gemeente, date) job of the run, with the
 * job id that makes a second producer's add the same job. Prints what it does, one line each:
 * `ready`, `enqueued`, `active <job id>`, `completed <job id> <instructions created>`, `failed <job id> <error>`.
 * `stop` on stdin closes it.
 *
 * env: SCALE_DATABASE_URL, SCALE_REDIS_URL, SCALE_PREFIX, SCALE_JOBS (JSON [{ gemeenteId, runDate }])
 */
import { createInterface } from 'node:readline';
import { dailyBatchQueue, dailyBatchWorker } from '../../jobs/batch.js';
import { connectRedis } from '../../jobs/connection.js';
import { connectPostgres } from '../../src/db/connect.js';
import { createLogger } from '../../src/logging/logger.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** The producers' shared job id: one job per gemeente and run date, whoever adds it. */
const dailyBatchJobId = (gemeenteId: string, runDate: string): string => `daily-batch-${gemeenteId}-${runDate}`;

async function main(): Promise<void> {
  const handle = connectPostgres({ url: env('SCALE_DATABASE_URL'), poolSize: 3, applicationName: 'ontzorg-scale-out' });
  const connection = connectRedis(env('SCALE_REDIS_URL'));
  const prefix = env('SCALE_PREFIX');
  const jobs = JSON.parse(env('SCALE_JOBS')) as { gemeenteId: string; runDate: string }[];
  const worker = dailyBatchWorker({ connection, prefix }, handle.db, createLogger({ level: 'silent' }));
  worker.on('active', (job) => say(`active ${job.id ?? ''}`));
  worker.on('completed', (job, result) => say(`completed ${job.id ?? ''} ${result.created}`));
  worker.on('failed', (job, error) => say(`failed ${job?.id ?? ''} ${error.message.replace(/\s+/g, ' ')}`));
  await worker.waitUntilReady();
  const queue = dailyBatchQueue({ connection, prefix });
  say('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'enqueue') {
      await Promise.all(jobs.map((job) => queue.add('daily-batch', job, { jobId: dailyBatchJobId(job.gemeenteId, job.runDate) })));
      say('enqueued');
    }
    if (line === 'stop') break;
  }
  await worker.close();
  await queue.close();
  connection.disconnect();
  await handle.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
