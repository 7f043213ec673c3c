import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { buildPain001, type CreditTransfer, type Pain001Version } from '../../src/sepa/index.js';
import { piecesValidatedByHelper } from '../../src/xml/xsd-helper.js';
import { PAIN_001_LAYOUT, PiecewiseValidation, validateXml, validateXmlInPieces, type SchemaName } from '../../src/xml/xsd.js';
import { aBatch, aPayment } from '../sepa/builders.js';

/** A file with several blocks (two dates, two debtor accounts, an instant block) and `n` payments. */
function aFile(version: Pain001Version, n = 60): string {
  const other = { name: 'Gemeente Dordrecht', iban: 'NL20INGB0001234567' };
  const payments: CreditTransfer[] = Array.from({ length: n }, (_, i) =>
    aPayment(i + 1, {
      amount: Money.fromCents(BigInt(100 + i)),
      ...(i % 5 === 0 ? { executionDate: '2026-07-01' } : {}),
      ...(i % 7 === 0 ? { debtor: other } : {}),
      ...(i % 11 === 0 ? { instant: true } : {}),
    }),
  );
  return buildPain001(aBatch(payments), { version });
}

const schemaOf = (version: Pain001Version): SchemaName => `pain.001.001.${version}`;
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe.each<Pain001Version>(['03', '09'])('validateXmlInPieces on pain.001.001.%s', (version) => {
  const xml = aFile(version);

  it('cuts a file into many pieces and finds it valid, as the whole-document check does', () => {
    expect(validateXml(xml, schemaOf(version)).valid).toBe(true);
    const result = validateXmlInPieces(bytes(xml), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 1500, forceUtf8: true });
    expect(result).toMatchObject({ valid: true, errors: [] });
    expect(result.pieces).toBeGreaterThan(10);
  });

  it('reports an error in the middle of a block with the line the whole-document check gives', () => {
    const at = xml.indexOf('<EndToEndId>ONTZ-00000040<');
    const broken = `${xml.slice(0, at)}<Unexpected/>${xml.slice(at)}`;
    const whole = validateXml(broken, schemaOf(version));
    const pieces = validateXmlInPieces(bytes(broken), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 1500, forceUtf8: true });
    expect(whole.valid).toBe(false);
    expect(pieces.valid).toBe(false);
    expect(pieces.errors.map((e) => e.line)).toEqual(whole.errors.map((e) => e.line));
    expect(pieces.errors[0]?.message).toMatch(/Unexpected/);
  });

  it('reports an error in the header of a later block once, at its own line', () => {
    const second = xml.indexOf('<PmtMtd>TRF</PmtMtd>', xml.indexOf('<PmtInf>', xml.indexOf('<PmtInf>') + 1));
    const broken = `${xml.slice(0, second)}<PmtMtd>XYZ</PmtMtd>${xml.slice(second + '<PmtMtd>TRF</PmtMtd>'.length)}`;
    const whole = validateXml(broken, schemaOf(version));
    const pieces = validateXmlInPieces(bytes(broken), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 600, forceUtf8: true });
    expect(whole.valid).toBe(false);
    expect(pieces.valid).toBe(false);
    expect(pieces.errors.map((e) => e.line)).toEqual(whole.errors.map((e) => e.line));
  });

  it('validates a file with a comment, a processing instruction or a DTD as one tree', () => {
    const withComment = xml.replace('<PmtInf>', '<!-- gemeente --><PmtInf>');
    expect(validateXmlInPieces(bytes(withComment), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 1500 })).toMatchObject({ valid: true, pieces: 1 });
    const withPi = xml.replace('<PmtInf>', '<?bank x?><PmtInf>');
    expect(validateXmlInPieces(bytes(withPi), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 1500 }).pieces).toBe(1);
  });

  it('stops after 200 errors on a file with a fault in every payment', () => {
    const big = aFile(version, 600).replace(/<IBAN>NL(\d\d)INGB/g, '<IBAN>nl$1INGB');
    const result = validateXmlInPieces(bytes(big), schemaOf(version), PAIN_001_LAYOUT, { pieceBytes: 4000, forceUtf8: true });
    expect(result.valid).toBe(false);
    expect(result.errors).toHaveLength(200);
    expect(result.errors[0]?.line).toBe(validateXml(big, schemaOf(version)).errors[0]?.line);
  });
});

/**
 * The argument in validateXmlInPieces says: pieces all valid ⇔ the document is
 * valid. Mutations aimed at the cuts (tags removed, doubled, moved, blocks and
 * items opened or closed out of place, comments) must never make the two
 * checks disagree.
 */
describe('pieces and the whole document always agree', () => {
  const xml = aFile('09', 24);
  const tags = ['<PmtInf>', '</PmtInf>', '<CdtTrfTxInf>', '</CdtTrfTxInf>', '</CstmrCdtTrfInitn>', '<CstmrCdtTrfInitn>', '</Document>', '<!-- x -->', '<GrpHdr>', '<PmtInf >', '<p:PmtInf>', '&amp;', '<', '>', '"'];
  const position = fc.integer({ min: 0, max: xml.length });
  const mutation = fc.oneof(
    fc.tuple(position, fc.integer({ min: 1, max: 400 })).map(([at, length]) => (text: string) => text.slice(0, at) + text.slice(at + length)),
    fc.tuple(position, fc.constantFrom(...tags)).map(([at, tag]) => (text: string) => text.slice(0, at) + tag + text.slice(at)),
    fc.tuple(position, fc.integer({ min: 1, max: 600 }), position).map(([at, length, to]) => (text: string) => {
      const piece = text.slice(at, at + length);
      return text.slice(0, to) + piece + text.slice(to);
    }),
    fc.tuple(fc.constantFrom('<CdtTrfTxInf>', '</CdtTrfTxInf>', '<PmtInf>', '</PmtInf>'), fc.nat(30)).map(([tag, nth]) => (text: string) => {
      let at = -1;
      for (let n = 0; n <= nth; n += 1) at = text.indexOf(tag, at + 1);
      return at === -1 ? text : text.slice(0, at) + text.slice(at + tag.length);
    }),
  );

  it('reports a fault only a later piece sees, at the start tag of the block it continues', () => {
    // Found by the property below: text after the last item of a block is reported by libxml2 at the
    // block's start tag, which a later piece holds only as a re-opened copy of the header.
    const at = xml.lastIndexOf('</PmtInf>');
    const damaged = `${xml.slice(0, at)}>${xml.slice(at)}`;
    const whole = validateXml(damaged, 'pain.001.001.09');
    const pieces = validateXmlInPieces(bytes(damaged), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes: 300, forceUtf8: true });
    expect(whole.valid).toBe(false);
    expect(pieces.valid).toBe(false);
    expect(pieces.errors.map((e) => e.line)).toEqual(whole.errors.map((e) => e.line));
  });

  it('validates whole a document that starts with a processing instruction holding tags', () => {
    // Found by the property below: only a real XML declaration may stand before the first block.
    const firstBlock = xml.indexOf('<PmtInf>');
    const moved = `<?note ${xml.slice(firstBlock, firstBlock + 200)}?>\n${xml.slice(xml.indexOf('<Document'))}`;
    expect(validateXml(moved, 'pain.001.001.09').valid).toBe(true);
    expect(validateXmlInPieces(bytes(moved), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes: 300, forceUtf8: true })).toMatchObject({ valid: true, pieces: 1 });
  });

  it('for random damage to a 24-payment file cut into ~500-byte pieces', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 300, max: 3000 }), (mutations, pieceBytes) => {
        const damaged = mutations.reduce((text, mutate) => mutate(text), xml);
        const whole = validateXml(damaged, 'pain.001.001.09');
        const pieces = validateXmlInPieces(bytes(damaged), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes, forceUtf8: true });
        expect(pieces.valid).toBe(whole.valid);
        if (!whole.valid) expect(pieces.errors.length).toBeGreaterThan(0);
        // The helper thread changes who validates a piece, never the answer.
        expect(validateXmlInPieces(bytes(damaged), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes, forceUtf8: true, threads: 1 })).toEqual(pieces);
      }),
      { numRuns: 400 },
    );
  });

  it('the same when the document is handed over as it is written, in parts of any size', () => {
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 2 }), fc.integer({ min: 300, max: 3000 }), fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 30 }), (mutations, pieceBytes, steps) => {
        const document = bytes(mutations.reduce((text, mutate) => mutate(text), xml));
        const options = { pieceBytes, forceUtf8: true };
        const check = new PiecewiseValidation('pain.001.001.09', PAIN_001_LAYOUT, options);
        // A writer's buffer: what is not written yet is rubbish, never to be read.
        const buffer = Buffer.alloc(document.length + 64, '<PmtInf><CdtTrfTxInf><!-- <?x');
        let written = 0;
        for (const step of steps) {
          const next = Math.min(document.length, written + step);
          document.copy(buffer, written, written, next);
          written = next;
          check.progress(buffer, written);
        }
        expect(check.finish(document)).toEqual(validateXmlInPieces(document, 'pain.001.001.09', PAIN_001_LAYOUT, { ...options, threads: 1 }));
      }),
      { numRuns: 300 },
    );
  });
});

describe('pieces validated on two threads', () => {
  it('give the same result as on one: validity, errors with their lines, and where 200 errors stop it', () => {
    const before = piecesValidatedByHelper();
    for (const version of ['03', '09'] as const) {
      const big = aFile(version, 600).replace(/<IBAN>NL(\d\d)INGB/g, '<IBAN>nl$1INGB');
      const options = { pieceBytes: 4000, forceUtf8: true };
      const two = validateXmlInPieces(bytes(big), schemaOf(version), PAIN_001_LAYOUT, options);
      const one = validateXmlInPieces(bytes(big), schemaOf(version), PAIN_001_LAYOUT, { ...options, threads: 1 });
      expect(two).toEqual(one);
      expect(two.errors).toHaveLength(200);
      const valid = aFile(version, 600);
      expect(validateXmlInPieces(bytes(valid), schemaOf(version), PAIN_001_LAYOUT, options)).toEqual(
        validateXmlInPieces(bytes(valid), schemaOf(version), PAIN_001_LAYOUT, { ...options, threads: 1 }),
      );
    }
    expect(piecesValidatedByHelper()).toBeGreaterThan(before);
  });

  it('leave no answer behind for the next document after stopping early', () => {
    const broken = aFile('09', 600).replace(/<IBAN>NL(\d\d)INGB/g, '<IBAN>nl$1INGB');
    const valid = aFile('09', 600);
    for (let round = 0; round < 3; round += 1) {
      expect(validateXmlInPieces(bytes(broken), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes: 2000, forceUtf8: true }).errors).toHaveLength(200);
      expect(validateXmlInPieces(bytes(valid), 'pain.001.001.09', PAIN_001_LAYOUT, { pieceBytes: 2000, forceUtf8: true })).toMatchObject({ valid: true, errors: [] });
    }
  });
});
