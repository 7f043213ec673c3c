import { readdirSync } from 'node:fs';
import type { Messages } from './language.js';

/**
 * The statement languages: every file in `messages/` named by its language code (`nl.ts`, compiled
 * `nl.js`), loaded once when this module is first imported. Adding a language is adding one file.
 */

export const DEFAULT_LANGUAGE = 'nl';

const MESSAGE_FILE = /^([a-z]{2,3})\.(?:js|ts)$/;

async function loadLanguages(): Promise<ReadonlyMap<string, Messages>> {
  const folder = new URL('./messages/', import.meta.url);
  const languages = new Map<string, Messages>();
  for (const file of readdirSync(folder).sort()) {
    const match = MESSAGE_FILE.exec(file);
    if (!match || languages.has(match[1]!)) continue;
    const loaded = ((await import(new URL(file, folder).href)) as { default?: Messages }).default;
    if (!loaded || loaded.language?.code !== match[1]) throw new Error(`statement messages ${file} must default-export the messages of language "${match[1]}"`);
    languages.set(match[1]!, loaded);
  }
  if (!languages.has(DEFAULT_LANGUAGE)) throw new Error(`the statement messages of the default language (${DEFAULT_LANGUAGE}) are missing`);
  return languages;
}

export const LANGUAGES: ReadonlyMap<string, Messages> = await loadLanguages();

export const LANGUAGE_CODES: readonly string[] = [...LANGUAGES.keys()];

/**
 * The language to answer in: `lang` when given (and known), else the best of Accept-Language by
 * its q-values (`ar-SY` matches `ar`), else Dutch.
 */
export function chooseLanguage(lang: string | undefined, acceptLanguage: string | undefined): Messages {
  if (lang) {
    const asked = LANGUAGES.get(lang.toLowerCase());
    if (asked) return asked;
  }
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, index) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean)?.[1];
        return { primary: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
      })
      .filter((r) => r.q > 0)
      .sort((a, b) => b.q - a.q || a.index - b.index);
    for (const { primary } of ranked) {
      const found = LANGUAGES.get(primary);
      if (found) return found;
    }
  }
  return LANGUAGES.get(DEFAULT_LANGUAGE)!;
}
