/**
 * XSD validation of ISO 20022 files: the shipped schemas and whole documents
 * (`schemas.ts`), big documents in pieces on one or two threads (`pieces.ts`).
 */
export {
  disposeSchemas,
  isSchemaName,
  SCHEMA_NAMES,
  schemaDir,
  schemaForNamespace,
  schemaNamespace,
  validateXml,
  type SchemaName,
  type XmlProblem,
  type XsdResult,
} from './schemas.js';
export { PAIN_001_LAYOUT, PiecewiseValidation, validateXmlInPieces, type PieceLayout, type PieceOptions, type PiecewiseXsdResult } from './pieces.js';
