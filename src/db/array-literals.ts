/**
 * PostgreSQL array literals, `{1,2,NULL}` and `{"a",NULL}`: the text form of the bulk writes' array parameters
 * (`array-parameters.ts`), which PGlite is given. node-postgres is given the binary form.
 */

/** `{1,2,NULL}`: ids, cents and counters need no quoting. */
export function numberLiteral(values: readonly (bigint | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    out += value === null || value === undefined ? 'NULL' : value.toString();
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;

/** `{"a","b \"c\"",NULL}`: every element quoted, so commas, braces, spaces and the word NULL stay text. */
export function textLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) out += 'NULL';
    else if (NEEDS_ESCAPE.test(value)) out += `"${value.replace(/[\\"]/g, '\\$&')}"`;
    else out += `"${value}"`;
  }
  return `${out}}`;
}
