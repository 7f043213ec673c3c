import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMA_NAMES, schemaDir, schemaForNamespace, schemaNamespace, validateXml } from '../../src/xml/xsd.js';

// Copies of the ISO samples (from the shared iso20022/samples folder), kept in the repository so nothing skips.
const samples = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'camt');
const sample = (name: string): string => readFileSync(join(samples, name), 'utf8');

describe('XSD validation with libxml2-wasm', () => {
  it('finds the shipped schemas by walking up to package.json', () => {
    const dir = schemaDir();
    expect(dir.endsWith(join('schemas', 'iso20022'))).toBe(true);
    for (const name of SCHEMA_NAMES) expect(readFileSync(join(dir, `${name}.xsd`), 'utf8')).toContain(schemaNamespace(name));
  });

  it('maps a namespace back to its schema, and refuses unknown ones', () => {
    expect(schemaForNamespace('urn:iso:std:iso:20022:tech:xsd:camt.053.001.02')).toBe('camt.053.001.02');
    expect(schemaForNamespace('urn:iso:std:iso:20022:tech:xsd:camt.053.001.99')).toBeUndefined();
    expect(schemaForNamespace('urn:other')).toBeUndefined();
  });

  it('accepts real camt.053 and camt.054 samples of every shipped version', () => {
    const cases: [string, (typeof SCHEMA_NAMES)[number]][] = [
      ['genkgo_camt_camt053.v2.minimal.xml', 'camt.053.001.02'],
      ['genkgo_camt_camt053.v3.xml', 'camt.053.001.03'],
      ['genkgo_camt_camt053.v4.xml', 'camt.053.001.04'],
      ['genkgo_camt_camt053.v8.xml', 'camt.053.001.08'],
      ['genkgo_camt_camt054.v2.xml', 'camt.054.001.02'],
      ['genkgo_camt_camt054.v4.xml', 'camt.054.001.04'],
      ['genkgo_camt_camt054.v8.xml', 'camt.054.001.08'],
    ];
    for (const [file, schema] of cases) {
      const result = validateXml(sample(file), schema);
      expect(result, file).toEqual({ valid: true, errors: [] });
    }
  });

  it('reports schema errors with a message and a line', () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">',
      '  <CstmrCdtTrfInitn>',
      '    <Unexpected/>',
      '  </CstmrCdtTrfInitn>',
      '</Document>',
    ].join('\n');
    const result = validateXml(xml, 'pain.001.001.03');
    expect(result.valid).toBe(false);
    expect(result.errors[0]?.line).toBe(4);
    expect(result.errors[0]?.message).toMatch(/Unexpected/);
  });

  it('reports line numbers beyond 65,535 (big files have millions of lines)', () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">',
      '  <CstmrCdtTrfInitn>',
      '\n'.repeat(70_000),
      '    <Unexpected/>',
      '  </CstmrCdtTrfInitn>',
      '</Document>',
    ].join('\n');
    // The element starts on line 70,005; libxml2 may count the line where its tag ends.
    const line = validateXml(xml, 'pain.001.001.03').errors[0]?.line ?? 0;
    expect(line).toBeGreaterThanOrEqual(70_005);
    expect(line).toBeLessThanOrEqual(70_006);
  });

  it('does not resolve external entities', () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
      '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn><GrpHdr><MsgId>&secret;</MsgId></GrpHdr></CstmrCdtTrfInitn></Document>',
    ].join('\n');
    const result = validateXml(xml, 'pain.001.001.03');
    expect(result.valid).toBe(false);
    expect(JSON.stringify(result.errors)).not.toContain('root:');
  });

  it('reports a document that is not well-formed as invalid instead of throwing', () => {
    const result = validateXml('<Document><open></Document>', 'pain.001.001.09');
    expect(result.valid).toBe(false);
    expect(result.errors.length).toBeGreaterThan(0);
  });

  it('reports a document in the wrong namespace', () => {
    const result = validateXml(sample('genkgo_camt_camt053.v2.minimal.xml'), 'camt.053.001.08');
    expect(result.valid).toBe(false);
  });

  it('accepts bytes for a document in another declared encoding', () => {
    const text = sample('genkgo_camt_camt053.v2.minimal.xml');
    const bytes = new TextEncoder().encode(text);
    expect(validateXml(bytes, 'camt.053.001.02').valid).toBe(true);
  });

  it('does not grow the wasm heap over many validations', () => {
    const xml = sample('genkgo_camt_camt053.v8.xml');
    for (let i = 0; i < 300; i += 1) expect(validateXml(xml, 'camt.053.001.08').valid).toBe(true);
  });
});
