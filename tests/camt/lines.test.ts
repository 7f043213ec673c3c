import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCamt } from '../../src/camt/index.js';
import { LineIndex } from '../../src/camt/xml-reader.js';
import { bytes, camt053, fixture } from './builder.js';

/**
 * The reader counts lines while it scans (no newline table for a 100,000-entry
 * file): every statement, entry and detail must still carry the line its start
 * tag is on, whatever sits between the tags.
 */

function linesOf(text: string, element: string): number[] {
  const result: number[] = [];
  const pattern = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${element}[\\s>/]`, 'g');
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) result.push(text.slice(0, match.index).split('\n').length);
  return result;
}

function readLines(data: Uint8Array) {
  const document = readCamt(data);
  return {
    statements: document.statements.map((s) => s.line),
    entries: document.statements.flatMap((s) => s.entries.map((e) => e.line)),
    details: document.statements.flatMap((s) => s.entries.flatMap((e) => e.details.map((d) => d.line))),
  };
}

const fixtures = readdirSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'camt')).filter(
  (f) => f.endsWith('.xml') && !/wrong|xxe|laughs|latin9/.test(f),
);

describe('lines of statements, entries and details', () => {
  it.each(fixtures)('are those of their start tags in %s', (name) => {
    const data = fixture(name);
    const text = new TextDecoder().decode(data);
    const statementElement = text.includes('Ntfctn>') ? 'Ntfctn' : 'Stmt';
    expect(readLines(data)).toEqual({ statements: linesOf(text, statementElement), entries: linesOf(text, 'Ntry'), details: linesOf(text, 'TxDtls') });
  });

  it('count line ends in comments, CDATA, attribute values, tags and CRLF files', () => {
    const plain = camt053([{ entries: [{ amount: '10.00', unstructured: 'a' }, { amount: '5.00', unstructured: 'b' }] }]);
    const odd = plain
      .replace('<Stmt>', '<!-- a\ncomment\n--><Stmt\n>')
      .replace('<Ustrd>a</Ustrd>', '<Ustrd><![CDATA[line\none]]></Ustrd>')
      .replace('<Amt Ccy="EUR">10.00</Amt>', '<Amt\n  Ccy="EUR"\n>10.00</Amt\n>')
      .replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"\n encoding="UTF-8"?>')
      .replace('</GrpHdr>', '</GrpHdr><?note\nhere?>')
      .replaceAll('\n', '\r\n');
    const text = odd.replaceAll('\r\n', '\n');
    expect(readLines(bytes(odd))).toEqual({ statements: linesOf(text, 'Stmt'), entries: linesOf(text, 'Ntry'), details: linesOf(text, 'TxDtls') });
    // Five line ends above the first entry (declaration, comment, tag, instruction), four more inside it (CDATA, the Amt tags).
    expect(readLines(bytes(odd)).entries).toEqual([14, 25]);
    expect(readLines(bytes(plain)).entries).toEqual([9, 16]);
  });
});

describe('the line table of problems and refusals', () => {
  /** Line and column of a byte offset, counted the plain way from the file's start (columns in characters). */
  function plain(data: Buffer, offset: number): { line: number; column: number } {
    const before = data.subarray(0, Math.min(offset, data.length));
    const lineStart = before.lastIndexOf(0x0a) + 1;
    return { line: before.filter((b) => b === 0x0a).length + 1, column: before.subarray(lineStart).toString('utf8').length + (offset - before.length) + 1 };
  }

  it('answers every offset, in any order, as counting from the start would (it reads only as far as asked)', () => {
    const text = fc.array(fc.constantFrom('a', '\n', '\r\n', 'é', '€', '<Ntry>', ' '), { maxLength: 400 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 30 }), (t, picks) => {
        const data = Buffer.from(t, 'utf8');
        const lines = new LineIndex(data);
        // Offsets at character starts (where tags begin), plus the end and one past it.
        const starts = [...t].reduce<number[]>((at, ch) => [...at, at[at.length - 1]! + Buffer.byteLength(ch)], [0]);
        for (const pick of picks) {
          const offset = pick % 7 === 0 ? data.length + (pick % 2) : starts[pick % starts.length]!;
          expect(lines.locate(offset)).toEqual(plain(data, offset));
          expect(lines.line(offset)).toBe(plain(data, offset).line);
        }
      }),
    );
  });
});
