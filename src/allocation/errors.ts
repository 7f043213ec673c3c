/** The allocation's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export const ALLOCATION_ERRORS = {
  invalid_allocation_input: { status: 500, description: 'The allocation was given impossible input (negative money, an incomplete priority order, an obligation due twice for one period). A fault in the caller, not in the data a user entered.' },
  allocation_failed: {
    status: 500,
    description: 'A reservation the allocation computed was not booked by the ledger. Nothing of that chunk of clients was kept (a refusal is never committed, so it cannot block the reservation later); the batch stops and names the reservation.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export class AllocationFailed extends Error {
  readonly code = 'allocation_failed';
  constructor(message: string) {
    super(message);
    this.name = 'AllocationFailed';
  }
}
