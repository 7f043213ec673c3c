import { describe, expect, it } from 'vitest';
import { CAMT_ERROR_DESCRIPTIONS, CAMT_PROBLEM_DESCRIPTIONS, readCamt } from '../../src/camt/index.js';
import { bytes, camt053, fixture } from './builder.js';
import { refusal } from './support.js';

const minimal = camt053([{ entries: [{ amount: '10.00' }] }]);

describe('files that are refused, with a message a back-office user can act on', () => {
  it('refuses an XXE attempt before reading anything', () => {
    const error = refusal(() => readCamt(fixture('xxe.xml')));
    expect(error.code).toBe('doctype_not_allowed');
    expect(error.message).toBe(
      'The file contains a DOCTYPE declaration (line 2). Bank files never do; it is refused because such declarations can read other files or exhaust memory.',
    );
    expect(error.location.line).toBe(2);
  });

  it('refuses a billion-laughs entity bomb', () => {
    expect(refusal(() => readCamt(fixture('billion-laughs.xml'))).code).toBe('doctype_not_allowed');
  });

  it('refuses a DOCTYPE found further on by the XML reader', () => {
    const text = `<?xml version="1.0"?>\n<!--${' '.repeat(70_000)}-->\n<!DOCTYPE x>\n<Document/>`;
    const error = refusal(() => readCamt(bytes(text)));
    expect(error.code).toBe('doctype_not_allowed');
    expect(error.location.line).toBe(3);
  });

  it('refuses a file above the size limit', () => {
    const error = refusal(() => readCamt(bytes(minimal), { maxBytes: 100 }));
    expect(error.code).toBe('file_too_large');
    expect(error.message).toMatch(/^The file is 0 MB; files above 0 MB are refused/);
  });

  it('refuses an empty file', () => {
    expect(refusal(() => readCamt(new Uint8Array())).code).toBe('empty_file');
  });

  it('refuses XML that is not well-formed, naming line and column', () => {
    const broken = minimal.replace('</CdtDbtInd>', '</CdtDbtInf>');
    const error = refusal(() => readCamt(bytes(broken)));
    expect(error.code).toBe('malformed_xml');
    expect(error.message).toBe('The file is not well-formed XML: line 11, column 16: end tag </CdtDbtInf> does not match start tag <CdtDbtInd>.');
    expect(error.location).toEqual({ line: 11, column: 16 });
  });

  it.each([
    ['a truncated file', minimal.slice(0, minimal.indexOf('</Stmt>')), /the file ends before element <Stmt> is closed/],
    ['an unknown entity', minimal.replace('TEST-MSG', 'A&nbsp;B'), /&nbsp; is not one of XML's own/],
    ['a bare ampersand', minimal.replace('TEST-MSG', 'A & B'), /an '&' that does not start a reference/],
    ['an unquoted attribute', minimal.replace('Ccy="EUR"', 'Ccy=EUR'), /is not quoted/],
    ['a duplicate attribute', minimal.replace('Ccy="EUR"', 'Ccy="EUR" Ccy="EUR"'), /appears twice/],
    ['two root elements', `${minimal}<Document/>`, /second root element/],
    ['text after the root', `${minimal}garbage`, /text outside the root element/],
    ['an undeclared prefix', minimal.replace('<GrpHdr>', '<x:GrpHdr>').replace('</GrpHdr>', '</x:GrpHdr>'), /prefix 'x' .* is not declared/],
    ['a control character', minimal.replace('TEST-MSG', 'A\u0001B'), /control character \(U\+0001\)/],
  ])('refuses %s', (_what, text, message) => {
    const error = refusal(() => readCamt(bytes(text)));
    expect(error.code).toBe('malformed_xml');
    expect(error.message).toMatch(message);
    expect(error.location.line).toBeGreaterThan(0);
  });

  it('refuses XML that is not a CAMT statement or notification', () => {
    expect(refusal(() => readCamt(bytes('<Invoice/>'))).message).toBe('The file is XML with root element <Invoice>, not a CAMT.053 or CAMT.054 <Document>.');
    expect(refusal(() => readCamt(bytes('<Document><BkToCstmrStmt/></Document>'))).code).toBe('unknown_namespace');
    const pain = refusal(() => readCamt(bytes('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')));
    expect(pain.message).toBe('The file\'s namespace "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" is not a camt.053 or camt.054 namespace.');
    const wrongMessage = refusal(() => readCamt(bytes(minimal.replaceAll('BkToCstmrStmt', 'BkToCstmrAcctRpt'))));
    expect(wrongMessage).toMatchObject({ code: 'unknown_document', message: 'A camt.053 document must hold <BkToCstmrStmt>, but holds <BkToCstmrAcctRpt>.' });
  });

  it('refuses versions it does not know', () => {
    const error = refusal(() => readCamt(bytes(minimal.replace('camt.053.001.02', 'camt.053.001.11'))));
    expect(error).toMatchObject({ code: 'unsupported_version', message: 'The file is camt.053.001.11; versions .001.02 to .001.08 are read.' });
  });

  it('reads a national namespace of a known version, with a warning', () => {
    const document = readCamt(bytes(minimal.replace('urn:iso:std:iso:20022:tech:xsd:camt.053.001.02', 'http://www.six-interbank-clearing.com/de/camt.053.001.02.xsd')));
    expect(document.warnings.map((w) => w.code)).toEqual(['nonstandard_namespace']);
  });

  it.each([
    ['the account IBAN', minimal.replace('<Id><IBAN>NL91ABNA0417164300</IBAN></Id>', '<Id><Othr><Id>12345</Id></Othr></Id>'), 'Statement 1 ("STMT-1") (line 8) has no IBAN for its account, only the account number "12345"; only IBAN accounts are read (Acct/Id/IBAN).'],
    ['the entry amount', minimal.replace('<Amt Ccy="EUR">10.00</Amt>', ''), 'Statement 1 ("STMT-1"), entry 1 (line 9) has no amount (Ntry/Amt).'],
    ['the credit/debit indicator', minimal.replace('<CdtDbtInd>CRDT</CdtDbtInd>', ''), 'Statement 1 ("STMT-1"), entry 1 (line 9) has no credit/debit indicator (CdtDbtInd).'],
    ['the status', minimal.replace('<Sts>BOOK</Sts>', ''), 'Statement 1 ("STMT-1"), entry 1 (line 9) has no status (BOOK, PDNG or INFO) (Ntry/Sts).'],
    ['the message id', minimal.replace('<MsgId>TEST-MSG</MsgId>', ''), 'The file has no message id (GrpHdr/MsgId).'],
  ])('refuses a file that lacks %s', (_what, text, message) => {
    const error = refusal(() => readCamt(bytes(text)));
    expect(error.code).toBe('missing_field');
    expect(error.message).toBe(message);
  });

  it.each([
    ['an amount with a comma', minimal.replace('>10.00<', '>10,00<'), 'Statement 1 ("STMT-1"), entry 1 (line 10): amount "10,00" is not a decimal amount such as 123.45 (digits, a point, no sign).'],
    ['a negative amount', minimal.replace('>10.00<', '>-10.00<'), 'Statement 1 ("STMT-1"), entry 1 (line 10): amount "-10.00" is not a decimal amount such as 123.45 (digits, a point, no sign).'],
    ['an impossible date', minimal.replace('<Dt>2025-01-31</Dt>', '<Dt>2025-02-30</Dt>'), 'Statement 1 ("STMT-1"), entry 1 (line 13): booking date "2025-02-30" is not a date such as 2025-01-31.'],
    ['a bad indicator', minimal.replace('<CdtDbtInd>CRDT</CdtDbtInd>', '<CdtDbtInd>C</CdtDbtInd>'), 'Statement 1 ("STMT-1"), entry 1 (line 11): the credit/debit indicator "C" is not CRDT or DBIT.'],
  ])('refuses %s', (_what, text, message) => {
    const error = refusal(() => readCamt(bytes(text)));
    expect(error.code).toBe('invalid_value');
    expect(error.message).toBe(message);
  });

  it('refuses bytes that do not match the declared encoding, and unknown encodings', () => {
    const latin1Bytes = new Uint8Array([...bytes(minimal.replace('TEST-MSG', 'X'))].map((b) => b));
    latin1Bytes[latin1Bytes.indexOf('X'.charCodeAt(0))] = 0xe9;
    expect(refusal(() => readCamt(latin1Bytes)).code).toBe('invalid_encoding');
    const ebcdic = refusal(() => readCamt(bytes(minimal.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="EBCDIC-US"?>'))));
    expect(ebcdic).toMatchObject({ code: 'unsupported_encoding' });
  });

  it('reads a UTF-8 file with a byte order mark', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(minimal)]);
    expect(readCamt(withBom).statements).toHaveLength(1);
  });

  it('has a description for every error and problem code', () => {
    for (const description of [...Object.values(CAMT_ERROR_DESCRIPTIONS), ...Object.values(CAMT_PROBLEM_DESCRIPTIONS)]) {
      expect(description.length).toBeGreaterThan(10);
    }
  });
});
