// Turning what a user typed into a safe FTS5 query, and finding the matches again in plain text.
// User text is never handed to FTS5 as syntax: we keep only word characters (the same classes the
// unicode61 tokenizer treats as token characters), quote each word and make it a prefix term.
// So `"`, `AND(`, `*` or `NEAR` are just text, and a query made only of punctuation finds nothing.

/** Letters, digits and combining marks: what unicode61 treats as parts of a token. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

export function queryTerms(query: string): string[] {
  const terms = query.toLowerCase().match(WORD) ?? [];
  return [...new Set(terms)].slice(0, 16);
}

/** An FTS5 MATCH expression (implicit AND of quoted prefix terms), or null if nothing to search. */
export function toFtsQuery(query: string): string | null {
  const terms = queryTerms(query);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.replaceAll('"', '""')}"*`).join(' ');
}

/**
 * Ranges [start, end) of words in `text` that start with one of the terms, case-insensitively
 * but without folding diacritics (å stays distinct from a), mirroring the index.
 */
export function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0].toLowerCase();
    const hit = terms.find((t) => word.startsWith(t));
    // toLowerCase keeps the length for the scripts we care about; the guard protects odd cases.
    if (hit !== undefined) out.push([m.index, m.index + Math.min(hit.length, m[0].length)]);
  }
  return out;
}

/**
 * A window of about `width` characters around the first match, with the ranges shifted into it.
 * Plain text only: the renderer highlights by ranges, so nothing here is markup.
 */
export function makeSnippet(text: string, terms: readonly string[], width = 120): { snippet: string; matches: [number, number][] } {
  const flat = text.replace(/\s+/g, ' ');
  const all = matchRanges(flat, terms);
  if (flat.length <= width) return { snippet: flat, matches: all };
  const first = all[0]?.[0] ?? 0;
  let start = Math.max(0, first - Math.floor(width / 3));
  const end = Math.min(flat.length, start + width);
  start = Math.max(0, end - width);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < flat.length ? '…' : '';
  const snippet = prefix + flat.slice(start, end) + suffix;
  const matches = all
    .filter(([s, e]) => s >= start && e <= end)
    .map(([s, e]): [number, number] => [s - start + prefix.length, e - start + prefix.length]);
  return { snippet, matches };
}
