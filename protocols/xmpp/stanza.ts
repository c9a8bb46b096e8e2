// Defensive accessors for received XML. Attributes may be missing or oddly typed and children may
// have unexpected shapes; these helpers never throw and return undefined for anything unexpected.
import type { Element } from './sdk';

export function attr(el: Element | undefined, name: string): string | undefined {
  const v: unknown = el?.attrs[name];
  return typeof v === 'string' ? v : undefined;
}

/** xmlns of an element as written on it (parsed stanzas carry it on each namespaced element). */
function nsOf(el: Element): string | undefined {
  const v: unknown = el.attrs.xmlns;
  return typeof v === 'string' ? v : undefined;
}

/**
 * First child element with this name and namespace. For jabber:client children (body, subject…)
 * the namespace is usually inherited, so an absent xmlns counts as a match for `client`.
 */
export function child(el: Element | undefined, name: string, ns?: string): Element | undefined {
  if (!el) return undefined;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    const e = c as Element;
    if (e.name !== name) continue;
    if (ns === undefined) return e;
    const own = nsOf(e);
    if (own === ns || (own === undefined && ns === 'jabber:client')) return e;
  }
  return undefined;
}

export function children(el: Element | undefined, name: string, ns?: string): Element[] {
  if (!el) return [];
  const out: Element[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    const e = c as Element;
    if (e.name !== name) continue;
    const own = nsOf(e);
    if (ns === undefined || own === ns || (own === undefined && ns === 'jabber:client')) out.push(e);
  }
  return out;
}

export function text(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  try {
    return el.text();
  } catch {
    return undefined;
  }
}

export function childText(el: Element | undefined, name: string, ns?: string): string | undefined {
  return text(child(el, name, ns));
}

/** Parse an XEP-0082 timestamp; undefined when absent or nonsense. */
export function parseStamp(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** Reject ids that are unreasonably long or contain control characters (they are stored and echoed). */
export function cleanId(s: string | undefined): string | undefined {
  if (s === undefined || s.length === 0 || s.length > 256) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}
