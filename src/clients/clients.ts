import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { ClientTable, GemeenteTable } from './rows.js';

export type Gemeente = Selectable<GemeenteTable>;
export type ClientRow = Selectable<ClientTable>;

/** Registers a gemeente by its CBS code (GM + four digits); replaying with the same name changes nothing. */
export async function ensureGemeente(db: Kysely<Database> | Trx, gemeente: { id: string; name: string }): Promise<Gemeente> {
  await db.insertInto('gemeente').values(gemeente).onConflict((oc) => oc.column('id').doNothing()).execute();
  return db.selectFrom('gemeente').selectAll().where('id', '=', gemeente.id).executeTakeFirstOrThrow();
}

/** Registers a client under a gemeente by the reference used for matching; replays return the same client. */
export async function ensureClient(db: Kysely<Database> | Trx, client: { gemeenteId: string; reference: string }): Promise<ClientRow> {
  await db
    .insertInto('client')
    .values({ gemeente_id: client.gemeenteId, reference: client.reference })
    .onConflict((oc) => oc.column('reference').doNothing())
    .execute();
  const row = await db.selectFrom('client').selectAll().where('reference', '=', client.reference).executeTakeFirstOrThrow();
  if (row.gemeente_id !== client.gemeenteId) {
    throw new Error(`client reference "${client.reference}" already belongs to gemeente ${row.gemeente_id}`);
  }
  return row;
}
