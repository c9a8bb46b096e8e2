// Test helpers: parse XML strings into the same ltx Elements xmpp.js hands the adapter, using the
// streaming Parser that @xmpp/xml exports (the same one the connection uses for incoming data).
import { Parser } from '@xmpp/xml';
import type { Element } from '@xmpp/xml';

/** Parse one XML document (a single stanza) into an Element; throws on malformed XML. */
export function parseXml(src: string): Element {
  const p = new Parser();
  let root: Element | null = null;
  let error: unknown = null;
  p.on('start', (el: Element) => {
    root = el;
  });
  // The stream parser emits direct children of the root separately (as stanzas of a stream).
  p.on('element', (el: Element) => {
    root?.append(el);
  });
  p.on('error', (err: unknown) => {
    error = err;
  });
  p.write(src.trim());
  p.end('');
  if (error) throw error instanceof Error ? error : new Error(String(error));
  if (!root) throw new Error('no root element');
  return root;
}
