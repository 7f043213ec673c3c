import type { PlannedPayment } from '../allocation/plan.js';
import { recordScheduledPayments } from '../allocation/run.js';
import type { Trx } from '../db/transaction.js';
import type { Assembly } from '../payments/assembly.js';
import { createPaymentInstructions, type InstructionDraft } from '../payments/instructions.js';
import type { IsoDate } from '../schedule/index.js';
import { BatchError } from './errors.js';

/**
 * Step 2 of the batch: the payments allocation planned become payment instructions, each once by
 * its key (client + obligation + period, client + leefgeld date, the pass-on's receipt). An
 * obligation pays from the reservation allocation booked; leefgeld, pass-ons and the closing payment
 * reserve themselves now, from money allocation left free for them. Rule 4: a payment to a payee no
 * valid machtiging covers is created held; its money stays reserved. The others go straight into the run's
 * batch of their date (`assembly`). `availableAccounts`: the clients' available-money accounts, when the caller has
 * them already (allocation read them for the same chunk).
 */
export async function instructPayments(
  trx: Trx,
  runDate: IsoDate,
  assembly: Assembly,
  planned: readonly PlannedPayment[],
  availableAccounts?: ReadonlyMap<bigint, bigint>,
): Promise<{ created: number; existing: number }> {
  if (planned.length === 0) return { created: 0, existing: 0 };
  const drafts: InstructionDraft[] = planned.map((p) => ({
    idempotencyKey: p.key,
    clientId: p.clientId,
    gemeenteId: p.gemeenteId,
    kind: p.kind === 'obligation' ? 'obligation' : 'leefgeld',
    obligationId: p.obligationId,
    period: p.periodKey,
    dueDate: p.payDate,
    executionDate: p.executionDate,
    amount: p.amount,
    debtorIban: assembly.debtorIban,
    creditor: p.creditor,
    remittance: p.remittance,
    reference: p.reference,
    ...(p.reservationKey ? { reservationKey: p.reservationKey } : {}),
    holdReason: p.holdReason,
  }));
  const outcomes = await createPaymentInstructions(trx, drafts, { assembly, ...(availableAccounts ? { availableAccounts } : {}) });
  let created = 0;
  let existing = 0;
  const instructionIds = planned.map((p, n) => {
    const outcome = outcomes[n]!;
    if (outcome.outcome === 'refused') {
      throw new BatchError('instruction_refused', `payment ${p.key} (${p.amount.toString()}) was refused: ${outcome.reason}; nothing of this chunk was kept`, { key: p.key });
    }
    if (outcome.outcome === 'created') created += 1;
    else existing += 1;
    return outcome.instructionId;
  });
  await recordScheduledPayments(trx, runDate, planned, instructionIds);
  return { created, existing };
}
