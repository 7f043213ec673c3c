import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParseOption, XmlDocument, XmlLibError, XsdValidator } from 'libxml2-wasm';

/**
 * XSD validation at run time with libxml2-wasm: no download, no native build.
 * Each schema is compiled once per process and kept; every parsed document is
 * disposed after use, or the wasm heap grows with every file. Big documents are
 * validated in pieces (`pieces.ts`); `xsd.ts` is the door to both.
 */

export const SCHEMA_NAMES = [
  'pain.001.001.03',
  'pain.001.001.09',
  'camt.053.001.02',
  'camt.053.001.03',
  'camt.053.001.04',
  'camt.053.001.08',
  'camt.054.001.02',
  'camt.054.001.04',
  'camt.054.001.08',
] as const;

export type SchemaName = (typeof SCHEMA_NAMES)[number];

export interface XmlProblem {
  message: string;
  /** 1-based line in the validated document; 0 when libxml2 gives none. */
  line: number;
}

export interface XsdResult {
  valid: boolean;
  errors: XmlProblem[];
}

/** Keeps a result readable when a broken file produces thousands of errors. */
export const MAX_ERRORS = 200;

export function isSchemaName(name: string): name is SchemaName {
  return (SCHEMA_NAMES as readonly string[]).includes(name);
}

/** The namespace a schema's documents use, e.g. `urn:iso:std:iso:20022:tech:xsd:pain.001.001.03`. */
export function schemaNamespace(schema: SchemaName): string {
  return `urn:iso:std:iso:20022:tech:xsd:${schema}`;
}

/** The schema for a namespace URI, or undefined when it is not one we ship. */
export function schemaForNamespace(namespace: string): SchemaName | undefined {
  const prefix = 'urn:iso:std:iso:20022:tech:xsd:';
  if (!namespace.startsWith(prefix)) return undefined;
  const name = namespace.slice(prefix.length);
  return isSchemaName(name) ? name : undefined;
}

/**
 * No network and no external entities (files come from outside), line numbers
 * above 65,535 kept (a 100,000-payment file has millions of lines), and
 * ignorable whitespace dropped: ISO 20022 has no mixed content.
 */
export const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_BIG_LINES |
  ParseOption.XML_PARSE_NOBLANKS |
  ParseOption.XML_PARSE_COMPACT;

let schemaDirectory: string | undefined;

/**
 * `schemas/iso20022` under the project root. The root is found by walking up
 * from this file to the directory holding package.json, so the same code works
 * from `src/xml/` (vitest, tsx) and from `dist/src/xml/` (after tsc).
 */
export function schemaDir(): string {
  if (schemaDirectory) return schemaDirectory;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'schemas', 'iso20022');
      if (!existsSync(candidate)) throw new Error(`schema directory ${candidate} is missing`);
      schemaDirectory = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above src/xml/xsd: cannot locate schemas/iso20022');
    dir = parent;
  }
}

const validators = new Map<SchemaName, XsdValidator>();

export function validatorFor(schema: SchemaName): XsdValidator {
  const cached = validators.get(schema);
  if (cached) return cached;
  const path = schemaPath(schema);
  const xsdDoc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
  try {
    const validator = XsdValidator.fromDoc(xsdDoc);
    validators.set(schema, validator);
    return validator;
  } finally {
    // The compiled schema does not refer back to its source document.
    xsdDoc.dispose();
  }
}

function problemsOf(error: unknown): XmlProblem[] {
  if (error instanceof XmlLibError && error.details.length > 0) {
    return error.details.slice(0, MAX_ERRORS).map((d) => ({ message: d.message.trim(), line: d.line }));
  }
  return [{ message: error instanceof Error ? error.message.trim() : String(error), line: 0 }];
}

/** Parses and validates one document; a document that is not well-formed is invalid, never thrown. */
export function validateBytes(bytes: Uint8Array, validator: XsdValidator, forceUtf8: boolean): XsdResult {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(bytes, forceUtf8 ? { encoding: 'UTF-8', option: PARSE_OPTIONS } : { option: PARSE_OPTIONS });
  } catch (error) {
    return { valid: false, errors: problemsOf(error) };
  }
  try {
    validator.validate(doc);
    return { valid: true, errors: [] };
  } catch (error) {
    return { valid: false, errors: problemsOf(error) };
  } finally {
    doc.dispose();
  }
}

/**
 * Validates an XML document against one of the shipped ISO 20022 schemas.
 * A string is already decoded text, so its declared encoding is ignored; pass
 * the raw bytes to let libxml2 decode a file in its declared encoding (a CAMT
 * file in ISO-8859-15). A document that is not well-formed is reported
 * as invalid with the parser's errors, never thrown.
 */
export function validateXml(xml: string | Uint8Array, schema: SchemaName): XsdResult {
  const validator = validatorFor(schema);
  // A string is parsed from its UTF-8 bytes with the encoding forced: libxml2's own string path is
  // about three times slower on big files, and the declared encoding no longer applies to a JS string.
  return typeof xml === 'string' ? validateBytes(Buffer.from(xml, 'utf8'), validator, true) : validateBytes(xml, validator, false);
}


/** The file of a shipped schema. */
export function schemaPath(schema: SchemaName): string {
  return join(schemaDir(), `${schema}.xsd`);
}

/** Frees the compiled schemas (tests, or a long-lived process shutting down). */
export function disposeSchemas(): void {
  for (const validator of validators.values()) validator.dispose();
  validators.clear();
}
