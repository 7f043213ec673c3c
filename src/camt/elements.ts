import type { XmlElement } from './xml-reader.js';

/** Navigation over read elements by local name: the namespace prefix never matters. */

export function child(element: XmlElement | null | undefined, name: string): XmlElement | null {
  if (!element) return null;
  for (const c of element.children) if (c.name === name) return c;
  return null;
}

export function childrenNamed(element: XmlElement | null | undefined, name: string): XmlElement[] {
  if (!element) return [];
  const result: XmlElement[] = [];
  for (const c of element.children) if (c.name === name) result.push(c);
  return result;
}

/** The element at a path of local names below `element`, following the first match at each step. */
export function at(element: XmlElement | null | undefined, ...path: string[]): XmlElement | null {
  let current: XmlElement | null = element ?? null;
  for (const name of path) {
    current = child(current, name);
    if (!current) return null;
  }
  return current;
}

/** Trimmed text at a path, or null when absent or empty. */
export function textAt(element: XmlElement | null | undefined, ...path: string[]): string | null {
  const target = at(element, ...path);
  if (!target) return null;
  const value = target.text.trim();
  return value === '' ? null : value;
}

/** Texts of every element named `name` directly under `element`, trimmed, empties dropped. */
export function textsOf(element: XmlElement | null | undefined, name: string): string[] {
  const result: string[] = [];
  for (const c of childrenNamed(element, name)) {
    const value = c.text.trim();
    if (value !== '') result.push(value);
  }
  return result;
}

/** Joins lines with a space, or null when there are none. */
export function joined(lines: string[]): string | null {
  return lines.length === 0 ? null : lines.join(' ');
}
