import type { Generated } from 'kysely';

export interface GemeenteTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface ClientTable {
  id: Generated<bigint>;
  gemeente_id: string;
  reference: string;
  created_at: Generated<Date>;
}

export interface ClientTables {
  gemeente: GemeenteTable;
  client: ClientTable;
}
