// Splits plain text into text and link segments. Only http(s) URLs become links; everything else
// (javascript:, data:, file:, xmpp: …) stays text. The caller renders segments as React text
// nodes, never as HTML.
export type Segment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'link'; readonly text: string; readonly href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING = /[.,;:!?)\]}»”’]+$/u;

export function safeHttpUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password) return null;
    return u.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    const start = m.index;
    // Keep a closing bracket that belongs to the URL (e.g. Wikipedia links), drop trailing punctuation.
    const trail = TRAILING.exec(raw);
    if (trail) {
      let cut = trail[0];
      if (cut.startsWith(')') && raw.includes('(')) cut = cut.slice(1);
      raw = raw.slice(0, raw.length - cut.length);
    }
    const href = safeHttpUrl(raw);
    if (!href || raw.length === 0) continue;
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    out.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}
