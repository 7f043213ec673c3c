import { CamtError } from '../../src/camt/index.js';

/** Runs `read` and returns the CamtError it refuses with; fails when it does not refuse. */
export function refusal(read: () => unknown): CamtError {
  try {
    read();
  } catch (error) {
    if (error instanceof CamtError) return error;
    throw error;
  }
  throw new Error('expected the file to be refused, but it was read');
}
