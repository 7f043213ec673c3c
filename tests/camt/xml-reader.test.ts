import { XmlDocument } from 'libxml2-wasm';
import { describe, expect, it } from 'vitest';
import { readXml, XmlSyntaxError } from '../../src/camt/xml-reader.js';

/** The home-made reader must agree with libxml2 on what is well-formed. */
function oursAccepts(text: string): boolean {
  try {
    readXml(text, { onClose: () => true }, { maxDepth: 40, resolveNamespacesToDepth: 2 });
    return true;
  } catch (error) {
    if (error instanceof XmlSyntaxError) return false;
    throw error;
  }
}

function libxml2Accepts(text: string): boolean {
  try {
    XmlDocument.fromString(text).dispose();
    return true;
  } catch {
    return false;
  }
}

const cases = [
  '<a/>',
  '<a>x</a>',
  '<?xml version="1.0"?>\n<a b="1" c=\'2\'>t&amp;&lt;&#65;&#x42;</a>',
  '<a><!-- note --><b/><?pi data?><![CDATA[<raw>&]]></a>',
  '<p:a xmlns:p="urn:x"><p:b/></p:a>',
  '<a>',
  '<a></b>',
  '<a><b></a></b>',
  '<a/><b/>',
  'text<a/>',
  '<a b="1" b="2"/>',
  '<a b=1/>',
  '<a>&foo;</a>',
  '<a>& b</a>',
  '<a>x]]>y</a>',
  '<a><!-- a -- b --></a>',
  '<p:a/>',
  '<a>\u0001</a>',
  '<a b="<"/>',
  '<1a/>',
  '<a><?xml version="1.0"?></a>',
  '<a b="1"c="2"/>',
  '<a>&#0;</a>',
  '< a/>',
  '<a></a >',
];

describe('the XML reader', () => {
  it.each(cases)('agrees with libxml2 on %j', (text) => {
    expect(oursAccepts(text)).toBe(libxml2Accepts(text));
  });

  it('decodes text and attributes, and hands every element to the caller', () => {
    const names: string[] = [];
    const root = readXml(
      '<a x="1 &amp; 2"><b>caf&#233; &lt;ok&gt;</b><c><![CDATA[&raw]]></c></a>',
      { onClose: (e) => (names.push(e.name), true) },
      { maxDepth: 40, resolveNamespacesToDepth: 2 },
    );
    expect(names).toEqual(['b', 'c', 'a']);
    expect(root.attributes).toEqual({ x: '1 & 2' });
    expect(root.children.map((c) => c.text)).toEqual(['café <ok>', '&raw']);
  });

  it.each([
    ['in a start tag', '<a\u0000/>', "unexpected character 'U+0000' in start tag <a>"],
    ['in an end tag', '<ab></\u0000\u0007b>', 'end tag </U+0000U+0007b> does not match start tag <ab>'],
    ['in a reference', '<a>&x\u0000;</a>', 'the reference &xU+0000; is not one of'],
  ])('names a control character %s instead of quoting it (a refusal is stored, and PostgreSQL cannot store a NUL)', (_where, text, message) => {
    let thrown: unknown;
    try {
      readXml(text, { onClose: () => true }, { maxDepth: 40, resolveNamespacesToDepth: 2 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(XmlSyntaxError);
    expect((thrown as Error).message).toContain(message);
    // eslint-disable-next-line no-control-regex -- looking for exactly those characters
    expect((thrown as Error).message).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = '<a>'.repeat(50) + '</a>'.repeat(50);
    expect(() => readXml(deep, { onClose: () => true }, { maxDepth: 40, resolveNamespacesToDepth: 2 })).toThrow(/nested deeper than 40 levels/);
  });
});
