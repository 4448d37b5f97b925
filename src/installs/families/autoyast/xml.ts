/**
 * A small XML well-formedness checker (the parts of XML 1.0 an AutoYaST
 * profile uses): one root element, tags that nest and close, quoted
 * attributes without duplicates, known entities, comments, CDATA,
 * processing instructions and a DOCTYPE without an internal subset. It
 * reports the first problem with its line, as xmllint would; it is not a
 * validating parser.
 */
import type { AnswerProblem } from '../../install-family.ts';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Character data directly inside, entities decoded. */
  text: string;
  line: number;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_.:]*/;
const ENTITY = /^&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;

export function parseXml(text: string, onElementEnd?: (element: XmlElement) => void): AnswerProblem[] {
  let at = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let roots = 0;
  const fail = (message: string): AnswerProblem[] => [{ line, message }];
  const advance = (to: number) => {
    for (let i = at; i < to; i++) if (text[i] === '\n') line++;
    at = to;
  };
  const decode = (raw: string, where: string): string | AnswerProblem[] => {
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === '&') {
        const m = ENTITY.exec(raw.slice(i));
        if (!m) return fail(`${where}: '&' must start an entity such as &amp; (write & as &amp;)`);
        const e = m[0];
        out += e === '&lt;' ? '<' : e === '&gt;' ? '>' : e === '&amp;' ? '&' : e === '&quot;' ? '"' : e === '&apos;' ? "'" : String.fromCodePoint(e.startsWith('&#x') ? parseInt(e.slice(3), 16) : parseInt(e.slice(2), 10));
        i += e.length - 1;
      } else out += raw[i];
    }
    return out;
  };

  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = text.slice(at, lt === -1 ? text.length : lt);
    if (chunk !== '') {
      if (stack.length === 0 && chunk.trim() !== '') return fail(`text outside the root element: ${JSON.stringify(chunk.trim().slice(0, 40))}`);
      const decoded = decode(chunk, 'text');
      if (typeof decoded !== 'string') return decoded;
      if (stack.length > 0) stack.at(-1)!.text += decoded;
      advance(at + chunk.length);
    }
    if (lt === -1) break;
    const rest = text.slice(at);
    if (rest.startsWith('<!--')) {
      const end = text.indexOf('-->', at + 4);
      if (end === -1) return fail('a comment <!-- is never closed with -->');
      if (text.slice(at + 4, end).includes('--')) return fail("'--' inside a comment");
      advance(end + 3);
    } else if (rest.startsWith('<![CDATA[')) {
      if (stack.length === 0) return fail('CDATA outside the root element');
      const end = text.indexOf(']]>', at);
      if (end === -1) return fail('<![CDATA[ is never closed with ]]>');
      stack.at(-1)!.text += text.slice(at + 9, end);
      advance(end + 3);
    } else if (rest.startsWith('<?')) {
      const end = text.indexOf('?>', at);
      if (end === -1) return fail('a processing instruction <? is never closed with ?>');
      if (rest.startsWith('<?xml ') && at !== 0) return fail('the XML declaration must be at the very start of the file');
      advance(end + 2);
    } else if (rest.startsWith('<!DOCTYPE')) {
      if (roots > 0 || stack.length > 0) return fail('DOCTYPE after the root element');
      const end = text.indexOf('>', at);
      if (end === -1) return fail('<!DOCTYPE is never closed with >');
      advance(end + 1);
    } else if (rest.startsWith('</')) {
      const m = NAME.exec(rest.slice(2));
      if (!m) return fail('a closing tag without a name');
      const close = rest.slice(2 + m[0].length).match(/^\s*>/);
      if (!close) return fail(`closing tag </${m[0]}: expected >`);
      const open = stack.pop();
      if (!open) return fail(`</${m[0]}> closes nothing`);
      if (open.name !== m[0]) return fail(`</${m[0]}> closes <${open.name}> opened at line ${open.line}`);
      onElementEnd?.(open);
      advance(at + 2 + m[0].length + close[0].length);
    } else {
      const m = NAME.exec(rest.slice(1));
      if (!m) return fail("'<' that starts no tag (write < as &lt;)");
      if (stack.length === 0 && roots > 0) return fail(`a second root element <${m[0]}>`);
      const element: XmlElement = { name: m[0], attributes: {}, text: '', line };
      let i = at + 1 + m[0].length;
      for (;;) {
        const space = /^\s*/.exec(text.slice(i))![0];
        for (const c of space) if (c === '\n') line++;
        i += space.length;
        if (text.startsWith('/>', i) || text[i] === '>') break;
        if (space === '') return fail(`<${element.name}>: expected a blank before the next attribute, or >`);
        const a = NAME.exec(text.slice(i));
        if (!a) return fail(`<${element.name}>: a bad attribute name at ${JSON.stringify(text.slice(i, i + 20))}`);
        i += a[0].length;
        const eq = /^\s*=\s*/.exec(text.slice(i));
        if (!eq) return fail(`<${element.name}>: attribute ${a[0]} needs ="value"`);
        i += eq[0].length;
        const quote = text[i];
        if (quote !== '"' && quote !== "'") return fail(`<${element.name}>: the value of ${a[0]} must be quoted`);
        const end = text.indexOf(quote, i + 1);
        if (end === -1) return fail(`<${element.name}>: the value of ${a[0]} is never closed`);
        const raw = text.slice(i + 1, end);
        if (raw.includes('<')) return fail(`<${element.name}>: '<' in the value of ${a[0]}`);
        const value = decode(raw, `<${element.name}> ${a[0]}`);
        if (typeof value !== 'string') return value;
        if (Object.hasOwn(element.attributes, a[0])) return fail(`<${element.name}>: attribute ${a[0]} given twice`);
        element.attributes[a[0]] = value;
        for (const c of raw) if (c === '\n') line++;
        i = end + 1;
      }
      const selfClosing = text.startsWith('/>', i);
      at = i + (selfClosing ? 2 : 1);
      if (stack.length === 0) roots++;
      if (selfClosing) onElementEnd?.(element);
      else stack.push(element);
    }
  }
  if (stack.length > 0) return fail(`<${stack.at(-1)!.name}> opened at line ${stack.at(-1)!.line} is never closed`);
  if (roots === 0) return fail('no root element');
  return [];
}
