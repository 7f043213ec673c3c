/** What `dueAt` needs of a BullMQ job. */
export interface DueJob {
  readonly id?: string | undefined;
  readonly timestamp: number;
  readonly repeatJobKey?: string | undefined;
  readonly opts: { readonly delay?: number | undefined };
}

/**
 * The moment a job was due to run, in epoch milliseconds: what "the day it fires on" means.
 * `job.timestamp` alone is when the job was *made*, and BullMQ makes a scheduler's next job when the
 * previous one starts: the job of 07:00 on 2 December carries the timestamp of 07:00 on 1 December, so
 * a daily batch would run for yesterday and the monthly statements for the month before last. A
 * scheduler's job names its due time in its id (`repeat:<scheduler>:<millis>`); any other job is due when
 * it was added plus its delay. Both stay the same on every retry, so a retry runs for the same day.
 */
export function dueAt(job: DueJob): number {
  if (job.repeatJobKey !== undefined && job.id !== undefined) {
    const due = /^repeat:.+:(\d+)$/.exec(job.id);
    if (due) return Number(due[1]);
  }
  return job.timestamp + (job.opts.delay ?? 0);
}
