import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, reservedOf, singleAdultObligations } from './support.js';

describe('one broken client record does not stop the others [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
  });
  afterAll(async () => handle.close());

  it('skips it, signals it, and allocates everyone else', async () => {
    const good = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    const broken = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    // A record no rule accepts (written around the code, as a bad migration or a manual fix might).
    await handle.db.updateTable('client').set({ leefgeld_rhythm: JSON.stringify({ kind: 'weekly', weekday: 'funday' }) }).where('id', '=', broken.id).execute();
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(good, '1334.23', '2026-03'), bijstandFor(broken, '1334.23', '2026-03')]);
    const { report } = await batch(handle.db, '2026-03-25');
    expect(report.clients).toBe(2);
    expect(report.failures).toEqual([{ clientId: broken.id.toString(), message: expect.stringContaining('funday') as string }]);
    expect(await reservedOf(handle.db, good.id)).toBe('1024.00');
    expect(await reservedOf(handle.db, broken.id)).toBe('0.00');
    const signal = await handle.db.selectFrom('back_office_signal').select(['kind', 'client_id']).where('kind', '=', 'allocation_error').execute();
    expect(signal).toEqual([{ kind: 'allocation_error', client_id: broken.id }]);
  });
});
