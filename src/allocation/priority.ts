import type { ObligationType } from '../clients/obligation-rules.js';
import { AllocationError, PRIORITY_GROUPS, type DueItem, type PriorityGroup } from './types.js';

/** Rule 5's default order: rent, energy, water, health insurance, then other obligations. */
export const DEFAULT_PRIORITY: readonly PriorityGroup[] = PRIORITY_GROUPS;

const GROUP_OF: Readonly<Record<ObligationType, PriorityGroup>> = {
  rent: 'rent',
  gas: 'energy',
  electricity: 'energy',
  water: 'water',
  basic_health_insurance: 'health_insurance',
  // Zorgtoeslag is for the basic premium only; supplementary cover is "other".
  supplementary_insurance: 'other',
  municipal_taxes: 'other',
  other: 'other',
};

export function priorityGroupOf(type: ObligationType): PriorityGroup {
  const group = GROUP_OF[type];
  if (!group) throw new AllocationError(`unknown obligation type "${String(type)}"`);
  return group;
}

/** A gemeente's order must name all five groups once, so no obligation is silently left out. */
export function assertPriority(priority: readonly PriorityGroup[]): void {
  const seen = new Set(priority);
  if (priority.length !== PRIORITY_GROUPS.length || seen.size !== PRIORITY_GROUPS.length || !PRIORITY_GROUPS.every((group) => seen.has(group))) {
    throw new AllocationError(`the priority order must name each of ${PRIORITY_GROUPS.join(', ')} exactly once`);
  }
}

/** Due items in the order they are reserved: priority group, then due date, then obligation and period (stable). */
export function inPriorityOrder<T extends DueItem>(items: readonly T[], priority: readonly PriorityGroup[]): T[] {
  const rank = (item: DueItem): number => priority.indexOf(priorityGroupOf(item.type));
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...items].sort(
    (a, b) => rank(a) - rank(b) || compare(a.dueDate, b.dueDate) || compare(a.obligationId, b.obligationId) || compare(a.periodKey, b.periodKey),
  );
}
