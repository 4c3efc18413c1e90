import { XMLParser } from 'fast-xml-parser';

/** A TwiML document as a tree, the way Twilio reads it: verbs in order, with attributes and text. */
export interface TwimlNode {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: TwimlNode[];
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: true });

type Raw = Record<string, unknown>;

function toNode(raw: Raw): TwimlNode | null {
  const name = Object.keys(raw).find((k) => k !== ':@');
  if (!name || name === '#text' || name === '?xml') return null;
  const kids = (raw[name] as Raw[]) ?? [];
  const attrs = (raw[':@'] as Record<string, string>) ?? {};
  return {
    name,
    attrs,
    text: kids
      .filter((k) => '#text' in k)
      .map((k) => String(k['#text']))
      .join(''),
    children: kids.map(toNode).filter((n): n is TwimlNode => n !== null),
  };
}

export function parseTwiml(xml: string): TwimlNode {
  const doc = (parser.parse(xml) as Raw[]).map(toNode).filter((n): n is TwimlNode => n !== null);
  const response = doc.find((n) => n.name === 'Response');
  if (!response) throw new Error(`not TwiML: ${xml}`);
  return response;
}

/** Every <Say> text, in document order, including those nested in <Gather>. */
export function saysOf(node: TwimlNode): string[] {
  return node.children.flatMap((c) => (c.name === 'Say' ? [c.text] : saysOf(c)));
}

export function find(node: TwimlNode, name: string): TwimlNode | undefined {
  return node.children.find((c) => c.name === name);
}
