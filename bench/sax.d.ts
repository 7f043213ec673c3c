/** The part of sax 1.6.1 (no types of its own) that bench/camt.ts uses. */
declare module 'sax' {
  interface SAXParser {
    onclosetag: (name: string) => void;
    onerror: (error: Error) => void;
    write(chunk: string): SAXParser;
    close(): SAXParser;
  }
  const sax: { parser(strict: boolean, options: Record<string, unknown>): SAXParser };
  export default sax;
}
