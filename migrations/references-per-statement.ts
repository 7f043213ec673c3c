/**
 * Foreign keys checked per statement instead of per row: the triggers that replace one foreign key, on the functions
 * migration 0024 created (`references_check_statement`, `references_check_row`, `references_guard_referenced`).
 * Shared by the migrations that move a bulk-written table's references onto them (0024, 0025). Not a migration itself;
 * what it generates for a reference must not change once a migration that uses it has landed.
 *
 * Columns may be NULL as before (MATCH SIMPLE: a reference with a NULL column is not checked).
 */
export interface Reference {
  /** The foreign key this replaces; its name is kept in the error. */
  readonly constraint: string;
  readonly child: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly parentColumns: readonly string[];
  /** What the referenced row is, for the message. */
  readonly what: string;
  /**
   * `statement`: an UPDATE is checked per statement as well, for the keys it newly refers to (for a column that bulk
   * UPDATEs set, such as an instruction's batch). Otherwise (`row`, the default) a row trigger checks an UPDATE that
   * changes the key.
   */
  readonly onUpdate?: 'statement' | 'row';
}

export const list = (columns: readonly string[], prefix = ''): string => columns.map((c) => `${prefix}${c}`).join(', ');
const notNull = (columns: readonly string[], prefix = ''): string => columns.map((c) => `${prefix}${c} IS NOT NULL`).join(' AND ');
const matches = (r: Reference, parentAlias: string, childAlias: string): string => r.parentColumns.map((p, i) => `${parentAlias}.${p} = ${childAlias}.${r.columns[i]!}`).join(' AND ');
const changed = (columns: readonly string[]): string => columns.map((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`).join(' OR ');
const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** The four triggers that together enforce `r`: insert and update on the child, delete and key update on the parent. */
export function triggersFor(r: Reference): string[] {
  const n = (suffix: string) => `${r.constraint}_${suffix}`;
  const keyText = r.columns.map((c) => `n.${c}::text`).join(` || '/' || `);
  const rowKeyText = r.columns.map((c) => `($1).${c}::text`).join(` || '/' || `);
  const statementArgs = [r.constraint, list(r.columns), notNull(r.columns), r.parent, matches(r, 'p', 'n'), r.what, keyText].map(quote).join(', ');
  const rowArgs = [r.constraint, r.parent, `${r.parentColumns.map((p, i) => `p.${p} = ($1).${r.columns[i]!}`).join(' AND ')}`, r.what, rowKeyText].map(quote).join(', ');
  const guardArgs = [r.constraint, r.child, r.columns.map((c, i) => `c.${c} = ($1).${r.parentColumns[i]!}`).join(' AND '), r.what].map(quote).join(', ');
  return [
    `CREATE TRIGGER ${n('ins')} AFTER INSERT ON ${r.child} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION references_check_statement(${statementArgs})`,
    r.onUpdate === 'statement'
      ? `CREATE TRIGGER ${n('upd')} AFTER UPDATE ON ${r.child} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION references_check_statement(${statementArgs})`
      : `CREATE TRIGGER ${n('upd')} AFTER UPDATE OF ${list(r.columns)} ON ${r.child} FOR EACH ROW WHEN ((${changed(r.columns)}) AND ${notNull(r.columns, 'NEW.')}) EXECUTE FUNCTION references_check_row(${rowArgs})`,
    `CREATE TRIGGER ${n('del')} AFTER DELETE ON ${r.parent} FOR EACH ROW EXECUTE FUNCTION references_guard_referenced(${guardArgs})`,
    `CREATE TRIGGER ${n('key')} AFTER UPDATE OF ${list(r.parentColumns)} ON ${r.parent} FOR EACH ROW WHEN (${changed(r.parentColumns)}) EXECUTE FUNCTION references_guard_referenced(${guardArgs})`,
  ];
}

/** Replaces each foreign key by its triggers. The existing rows were checked by the foreign key being replaced. */
export function replaceForeignKeys(references: readonly Reference[]): string[] {
  return references.flatMap((r) => [`ALTER TABLE ${r.child} DROP CONSTRAINT ${r.constraint}`, ...triggersFor(r)]);
}

/** The foreign keys back, their triggers gone. */
export function restoreForeignKeys(references: readonly Reference[]): string[] {
  return references.flatMap((r) => [
    ...['ins', 'upd'].map((suffix) => `DROP TRIGGER ${r.constraint}_${suffix} ON ${r.child}`),
    ...['del', 'key'].map((suffix) => `DROP TRIGGER ${r.constraint}_${suffix} ON ${r.parent}`),
    `ALTER TABLE ${r.child} ADD CONSTRAINT ${r.constraint} FOREIGN KEY (${list(r.columns)}) REFERENCES ${r.parent} (${list(r.parentColumns)})`,
  ]);
}
