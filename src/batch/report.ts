import type { ClientPlan } from '../allocation/plan.js';
import type { AllocationSummary } from '../allocation/summary.js';
import type { PeriodSignal } from '../clients/periods.js';
import type { SuspenseItem } from '../ingest/suspense.js';
import { Money } from '../money/money.js';
import type { PaymentBatch } from '../payments/batches.js';
import type { IsoDate } from '../schedule/index.js';

/**
 * The daily batch report, per gemeente and run date. Everything in it is read from the state after
 * the run (not from what this particular run happened to do), so running the batch twice, or twice
 * at once, stores the same report. Identifiers and amounts only: no names, BSNs or IBANs (rule 13).
 */
export interface BatchReport {
  readonly gemeenteId: string;
  readonly runDate: IsoDate;
  /** Payments whose execution date falls in [from, to] were created. */
  readonly window: { readonly from: IsoDate; readonly to: IsoDate };
  readonly clients: number;
  readonly receipts: AllocationSummary['receipts'];
  readonly reservationsBooked: number;
  /** Per payment type: obligations, leefgeld, pass-ons (rule 6), closing payments (rule 12). */
  readonly payments: AllocationSummary['payments'];
  readonly latePayments: number;
  readonly batches: readonly { id: string; debtorIban: string; executionDate: IsoDate; payments: number; total: string; approvalsNeeded: number }[];
  /** Obligation periods lacking money: `short` before their execution date, `arrears` on or after it (rule 5). */
  readonly shortfalls: readonly ShortfallLine[];
  readonly shortfallCount: number;
  readonly arrearsCount: number;
  /** Payments held for a missing or revoked machtiging (rule 4). */
  readonly held: AllocationSummary['held'];
  /** Payments that did not go out (cancelled batch, returned, rejected by the bank) and are not issued again yet. */
  readonly awaitingRetry: AllocationSummary['awaitingRetry'];
  readonly leefgeldBelowFloor: number;
  /** Rule 2: periods ending within 30 days or ended without a follow-up decision, and reviews due. */
  readonly periods: readonly { clientId: string; kind: PeriodSignal['kind']; basis: string; date: IsoDate; days: number }[];
  /** Rule 12: clients whose ontzorgen ended, with the obligations handed back to them. */
  readonly ended: readonly { clientId: string; handedBack: readonly { obligationId: string; type: string }[] }[];
  readonly suspense: { readonly olderThanDays: number; readonly count: number; readonly total: string; readonly items: readonly Pick<SuspenseItem, 'itemId' | 'bookingDate' | 'amount' | 'ageDays' | 'reason'>[] };
  /** Whether the gemeente's bijstand payday lets rent be paid from arrived money (rule 7). */
  readonly payday: { readonly feasible: boolean; readonly message: string };
  readonly signals: Readonly<Record<string, number>>;
  /** Clients skipped because their data could not be allocated (each also a back-office signal). */
  readonly failures: readonly { clientId: string; message: string }[];
}

export interface ShortfallLine {
  readonly clientId: string;
  readonly obligationId: string;
  readonly type: string;
  readonly period: string;
  readonly state: 'short' | 'arrears';
  readonly missing: string;
  readonly executionDate: IsoDate;
}

/** Collects, chunk by chunk, what the report lists from the allocation's plans (bounded lists, full counts). */
export class ReportCollector {
  clients = 0;
  shortfallCount = 0;
  arrearsCount = 0;
  leefgeldBelowFloor = 0;
  readonly shortfalls: ShortfallLine[] = [];
  readonly periods: BatchReport['periods'][number][] = [];
  readonly ended: BatchReport['ended'][number][] = [];
  readonly signals: Record<string, number> = {};
  readonly failures: { clientId: string; message: string }[] = [];

  constructor(private readonly listLimit = 1_000) {}

  add(plans: readonly ClientPlan[], periodSignals: readonly PeriodSignal[], failures: readonly { clientId: bigint; message: string }[] = []): void {
    this.clients += plans.length + failures.length;
    for (const failure of failures) if (this.failures.length < this.listLimit) this.failures.push({ clientId: failure.clientId.toString(), message: failure.message });
    for (const plan of plans) {
      for (const due of plan.dues) {
        if (due.state === 'covered') continue;
        if (due.state === 'arrears') this.arrearsCount += 1;
        else this.shortfallCount += 1;
        if (this.shortfalls.length < this.listLimit) {
          this.shortfalls.push({
            clientId: plan.clientId.toString(),
            obligationId: due.item.obligationId,
            type: due.item.type,
            period: due.item.periodKey,
            state: due.state,
            missing: due.missing.toString(),
            executionDate: due.item.executionDate,
          });
        }
      }
      for (const signal of plan.signals) {
        this.signals[signal.kind] = (this.signals[signal.kind] ?? 0) + 1;
        if (signal.kind === 'leefgeld_below_floor') this.leefgeldBelowFloor += 1;
      }
      if (plan.handedBack.length > 0 && this.ended.length < this.listLimit) {
        this.ended.push({ clientId: plan.clientId.toString(), handedBack: plan.handedBack.map((h) => ({ obligationId: h.obligationId, type: h.type })) });
      }
    }
    for (const signal of periodSignals) {
      if (this.periods.length >= this.listLimit) break;
      this.periods.push({ clientId: signal.clientId, kind: signal.kind, basis: signal.period.basis, date: signal.date, days: signal.days });
    }
  }
}

export function batchLines(batches: readonly PaymentBatch[]): BatchReport['batches'] {
  return batches.map((b) => ({
    id: b.id.toString(),
    debtorIban: b.debtor_iban,
    executionDate: b.execution_date,
    payments: b.payments,
    total: Money.fromCents(b.total_cents).toString(),
    approvalsNeeded: b.approvals_needed,
  }));
}

/** One line per payment type, for the CLI and the logs. */
export function reportSummaryLines(report: BatchReport): string[] {
  const p = report.payments;
  return [
    `${report.gemeenteId} ${report.runDate}: ${report.clients} clients, payments executed ${report.window.from}…${report.window.to}`,
    `  receipts allocated: ${report.receipts.count} (€ ${report.receipts.total}), passed on: ${report.receipts.passedOnCount} (€ ${report.receipts.passedOnTotal}); reservations booked: ${report.reservationsBooked}`,
    `  obligations: ${p.obligation.count} (€ ${p.obligation.total}), leefgeld: ${p.leefgeld.count} (€ ${p.leefgeld.total}), pass-ons: ${p.pass_on.count} (€ ${p.pass_on.total}), closing: ${p.closing.count} (€ ${p.closing.total}); late: ${report.latePayments}`,
    `  batches awaiting approval: ${report.batches.length}${report.batches.map((b) => `\n    #${b.id} ${b.executionDate} ${b.payments} payments € ${b.total}${b.approvalsNeeded === 2 ? ' (two approvals)' : ''}`).join('')}`,
    ...(report.awaitingRetry.count === 0 ? [] : [`  ! payments that did not go out, waiting to be issued again: ${report.awaitingRetry.count} (€ ${report.awaitingRetry.total})`]),
    `  short: ${report.shortfallCount}, arrears: ${report.arrearsCount}, held (machtiging): ${report.held.length}, leefgeld below floor: ${report.leefgeldBelowFloor}`,
    `  periods needing a decision: ${report.periods.length}; ontzorgen ended: ${report.ended.length}; suspense older than ${report.suspense.olderThanDays} days: ${report.suspense.count} (€ ${report.suspense.total})`,
    ...(report.payday.feasible ? [] : [`  ! ${report.payday.message}`]),
    ...report.failures.map((f) => `  ✗ client ${f.clientId} not allocated: ${f.message}`),
  ];
}
