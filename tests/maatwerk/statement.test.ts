import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { assignCaseworker } from '../../src/auth/scope.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { clientStatement, LANGUAGES, listSignals, renderStatementCsv, renderStatementHtml, statementView } from '../../src/statements/index.js';
import { aClient, aServiceRegion, singleAdultObligations, type TestClient } from '../batch/support.js';
import { freshPGlite } from '../support/db.js';
import { decide } from './support.js';

const caseworker = (userId: string): Principal => ({ userId, role: 'caseworker', gemeenten: [], organisation: 'VWN', team: null, clientId: null });

/** The decision and its hand-over plan are visible to the client (statement) and the caseworker (statement, signal). */
describe('maatwerk on the statement and as a caseworker signal [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await assignCaseworker(handle.db, { clientId: amira.id, organisation: 'VWN', caseworkerId: 'caseworker-1' });
    const o = amira.obligations;
    await decide(handle.db, amira.id, '2026-05-04', {
      scope: 'hand_over_plan',
      effectiveDate: '2026-05-11',
      reviewDate: '2026-08-15',
      reasonCategory: 'learning_to_pay',
      handOver: [
        { obligationId: o.gas!.toString(), on: '2026-06-01' },
        { obligationId: o.electricity!.toString(), on: '2026-06-01' },
        { obligationId: o.basic_health_insurance!.toString(), on: '2026-07-01' },
      ],
    });
  });
  afterAll(async () => handle.close());

  const statementOn = async (asOf: string) => (await clientStatement(handle.db, amira.id, { from: `${asOf.slice(0, 7)}-01`, to: asOf, asOf }))!;

  it('before it takes effect the statement says what is coming, per obligation, in plain Dutch', async () => {
    const view = statementView(await statementOn('2026-05-04'), LANGUAGES.get('nl')!);
    expect(view.maatwerk).toEqual({
      scope: 'hand_over_plan',
      status: 'scheduled',
      effectiveDate: '2026-05-11',
      reviewDate: '2026-08-15',
      heading: 'Afspraak op maat',
      summary: 'Vanaf 11 mei 2026 leert u stap voor stap zelf uw rekeningen te betalen. Op elke datum hieronder gaat één rekening naar u. Het geld daarvoor krijgt u erbij als leefgeld.',
      plan: [
        { obligationType: 'rent', payee: 'Woonbron', handedOverOn: null, text: 'Huur (Woonbron): wij blijven dit voor u betalen' },
        { obligationType: 'gas', payee: 'Eneco', handedOverOn: '2026-06-01', text: 'Gas (Eneco): u betaalt zelf vanaf 1 juni 2026' },
        { obligationType: 'electricity', payee: 'Eneco', handedOverOn: '2026-06-01', text: 'Stroom (Eneco): u betaalt zelf vanaf 1 juni 2026' },
        { obligationType: 'water', payee: 'Evides', handedOverOn: null, text: 'Water (Evides): wij blijven dit voor u betalen' },
        { obligationType: 'basic_health_insurance', payee: 'Zilveren Kruis', handedOverOn: '2026-07-01', text: 'Zorgverzekering (Zilveren Kruis): u betaalt zelf vanaf 1 juli 2026' },
      ],
      review: 'Op 15 augustus 2026 kijken we samen met u of deze afspraak goed werkt.',
    });
  });

  it('in force, every language says it; the next payments no longer expect what the client pays himself', async () => {
    const statement = await statementOn('2026-05-20');
    for (const [code, messages] of LANGUAGES) {
      const view = statementView(statement, messages);
      expect(view.maatwerk?.status, code).toBe('in_force');
      expect(view.maatwerk?.summary.length, code).toBeGreaterThan(20);
      expect(view.maatwerk?.plan, code).toHaveLength(5);
    }
    expect(statementView(statement, LANGUAGES.get('en')!).maatwerk?.plan[1]?.text).toBe('Gas (Eneco): you pay it yourself from 1 June 2026');
    // June: rent and water are still paid by the service; gas, electricity (handed over 1 June) are not expected from us.
    const expected = statement.nextPayments.filter((p) => p.status === 'expected').map((p) => `${p.payment.obligationType} ${p.payment.period}`);
    expect(expected).toEqual(['rent 2026-06', 'water 2026-06', 'basic_health_insurance 2026-06']);
  });

  it('the printable page has a maatwerk section and the back office\'s CSV a row per obligation of the plan', async () => {
    const statement = await statementOn('2026-05-20');
    const nl = LANGUAGES.get('nl')!;
    const view = statementView(statement, nl);
    const html = renderStatementHtml(view, nl, '2026-05-20');
    expect(html).toContain('<section class="maatwerk" aria-labelledby="maatwerk">');
    expect(html).toContain('<li>Gas (Eneco): u betaalt zelf vanaf 1 juni 2026</li>');
    const rows = renderStatementCsv(view).split('\r\n').filter((row) => row.includes(';maatwerk;'));
    expect(rows).toHaveLength(6);
    expect(rows[1]).toBe(`${amira.reference};GM0505;;2026-05-11;maatwerk;Huur (Woonbron): wij blijven dit voor u betalen;;;`);
  });

  it('the client\'s own caseworker gets a maatwerk_decision signal; another caseworker does not', async () => {
    const mine = await listSignals(handle.db, caseworker('caseworker-1'), { asOf: '2026-05-12', language: 'nl', kind: 'maatwerk_decision' });
    expect(mine.map((s) => [s.client.id, s.message])).toEqual([
      [amira.id.toString(), 'Maatwerkbesluit vanaf 11 mei 2026: afbouwplan, de vaste lasten gaan een voor een naar de cliënt; herbeoordeling uiterlijk 15 augustus 2026'],
    ]);
    expect(await listSignals(handle.db, caseworker('caseworker-2'), { asOf: '2026-05-12', language: 'nl', kind: 'maatwerk_decision' })).toEqual([]);
  });
});
