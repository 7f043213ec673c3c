import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { IsoDate } from '../schedule/index.js';
import { clientStatement } from './assemble.js';
import { DEFAULT_LANGUAGE, LANGUAGES } from './languages.js';
import type { StatementPeriod } from './period.js';
import { renderStatementCsv } from './render-csv.js';
import { renderStatementHtml } from './render-html.js';
import { statementView } from './view.js';

export interface StatementFilesOptions {
  /** The gemeente whose clients get a statement; absent: the clients named in `clientIds`. */
  readonly gemeenteId?: string;
  readonly clientIds?: readonly bigint[];
  readonly period: StatementPeriod;
  /** What "now" means on the statements, and the day printed as their date. */
  readonly asOf: IsoDate;
  readonly outDir: string;
  /** The language for every client unless `languageOf` names one (default nl). */
  readonly language?: string;
  /** A client's own language, where the caller knows it; an unknown code falls back to `language`. */
  readonly languageOf?: (client: { readonly id: bigint; readonly reference: string }) => string | undefined;
  /** Told after each client. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface StatementFile {
  readonly clientId: string;
  readonly reference: string;
  readonly language: string;
  readonly html: string;
  readonly csv: string;
  readonly closingBalance: string;
}

export interface StatementFilesResult {
  readonly clients: number;
  readonly files: readonly StatementFile[];
  /** Files whose bytes changed (or were new); a rerun over an unchanged ledger writes none. */
  readonly written: number;
  readonly unchanged: number;
}

/** A file name from the client's reference and the period: the same as the API's CSV download. */
export function statementFileName(reference: string, period: StatementPeriod, extension: 'html' | 'csv'): string {
  return `statement-${reference.replace(/[^A-Za-z0-9.-]/g, '_')}-${period.from}-${period.to}.${extension}`;
}

/**
 * Writes each client's statement for the period as printable HTML and back-office CSV into a folder,
 * one file per client and format. The same ledger and the same `asOf` give the same bytes, so a rerun
 * (a retried job, the demo run twice) rewrites nothing: a file is only replaced when its bytes differ,
 * and then through a rename, so a reader never sees half a file.
 */
export async function writeStatementFiles(db: Kysely<Database>, options: StatementFilesOptions): Promise<StatementFilesResult> {
  let query = db.selectFrom('client').select(['id', 'reference']).orderBy('id');
  if (options.gemeenteId !== undefined) query = query.where('gemeente_id', '=', options.gemeenteId);
  if (options.clientIds !== undefined) query = query.where('id', 'in', options.clientIds.length > 0 ? [...options.clientIds] : [-1n]);
  const clients = await query.execute();
  mkdirSync(options.outDir, { recursive: true });
  const fallback = LANGUAGES.get(options.language ?? DEFAULT_LANGUAGE) ?? LANGUAGES.get(DEFAULT_LANGUAGE)!;
  const files: StatementFile[] = [];
  let written = 0;
  for (const [index, client] of clients.entries()) {
    const statement = await clientStatement(db, client.id, { ...options.period, asOf: options.asOf });
    if (!statement) continue;
    const messages = LANGUAGES.get(options.languageOf?.(client) ?? '') ?? fallback;
    const view = statementView(statement, messages);
    const html = statementFileName(client.reference, options.period, 'html');
    const csv = statementFileName(client.reference, options.period, 'csv');
    if (writeIfChanged(join(options.outDir, html), renderStatementHtml(view, messages, options.asOf))) written += 1;
    if (writeIfChanged(join(options.outDir, csv), renderStatementCsv(view))) written += 1;
    files.push({ clientId: client.id.toString(), reference: client.reference, language: messages.language.code, html, csv, closingBalance: view.closingBalance });
    options.onProgress?.(index + 1, clients.length);
  }
  return { clients: files.length, files, written, unchanged: files.length * 2 - written };
}

function writeIfChanged(path: string, text: string): boolean {
  const bytes = Buffer.from(text, 'utf8');
  if (existsSync(path) && readFileSync(path).equals(bytes)) return false;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
  return true;
}
