// Formatted message text as data, not markup. Protocol formats (Matrix HTML, Mattermost and
// Rocket.Chat Markdown) are parsed in protocols/base/rich into this tree of allowlisted elements;
// the renderer maps each tag to a fixed React element. No string from a message ever reaches
// innerHTML, an attribute name, a style or a tag name, so hostile markup has nothing to run on.

/** Every element the UI can show. Anything else in a message becomes its text content. */
export const RICH_TAGS = [
  'p', 'br', 'hr',
  'strong', 'em', 'u', 'del', 'sup', 'sub', 'code', 'spoiler',
  'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td',
  /** A link; `href` is an http(s) or mailto URL without credentials. */
  'a',
  /** A mention of a user (`id` is the protocol's user id); shown as a pill, never a link. */
  'mention',
] as const;
export type RichTag = (typeof RICH_TAGS)[number];

export interface RichElement {
  readonly tag: RichTag;
  /** Only on 'a'. */
  readonly href?: string;
  /** Only on 'mention'. */
  readonly id?: string;
  /** Only on 'ol': the first item's number. */
  readonly start?: number;
  readonly children: readonly RichNode[];
}

/** A string is a text node. */
export type RichNode = string | RichElement;

/** Limits that keep a hostile message from costing the UI anything (they cut, never fail). */
export const RICH_LIMITS = {
  /** Element nesting deeper than this is flattened to text. */
  maxDepth: 24,
  /** Elements beyond this count are dropped (their text kept while the text budget lasts). */
  maxElements: 4000,
  /** Serialized size cap for storage; larger trees are not stored (the plain text is shown). */
  maxJsonBytes: 256 * 1024,
} as const;

/** Plain text of a tree (for previews, notifications, search). Block elements end with a newline. */
export function richToPlainText(nodes: readonly RichNode[]): string {
  const out: string[] = [];
  const walk = (n: RichNode): void => {
    if (typeof n === 'string') {
      out.push(n);
      return;
    }
    if (n.tag === 'br') out.push('\n');
    n.children.forEach(walk);
    if (BLOCK_TAGS.has(n.tag)) out.push('\n');
  };
  nodes.forEach(walk);
  return out.join('').replace(/\n{3,}/g, '\n\n').trim();
}

const BLOCK_TAGS: ReadonlySet<RichTag> = new Set<RichTag>(['p', 'pre', 'blockquote', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'hr']);

const TAG_SET: ReadonlySet<string> = new Set<string>(RICH_TAGS);

/** http(s) or mailto without embedded credentials; the only link targets a message may carry. */
export function isSafeRichHref(href: string): boolean {
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return false;
  }
  if (u.protocol === 'mailto:') return true;
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
}

/**
 * Whether `v` is a tree the UI may show: only allowlisted tags, safe links, within RICH_LIMITS.
 * The core checks every tree an adapter hands over, so a buggy or hostile adapter cannot store
 * anything else; the renderer checks again as it draws.
 */
export function isRichTree(v: unknown): v is RichNode[] {
  if (!Array.isArray(v)) return false;
  let elements = 0;
  const ok = (n: unknown, depth: number): boolean => {
    if (typeof n === 'string') return true;
    if (typeof n !== 'object' || n === null || Array.isArray(n)) return false;
    const e = n as Record<string, unknown>;
    if (++elements > RICH_LIMITS.maxElements || depth > RICH_LIMITS.maxDepth) return false;
    if (typeof e.tag !== 'string' || !TAG_SET.has(e.tag) || !Array.isArray(e.children)) return false;
    for (const k of Object.keys(e)) if (k !== 'tag' && k !== 'children' && k !== 'href' && k !== 'id' && k !== 'start') return false;
    if (e.href !== undefined && (e.tag !== 'a' || typeof e.href !== 'string' || !isSafeRichHref(e.href))) return false;
    if (e.tag === 'a' && e.href === undefined) return false;
    if (e.id !== undefined && (e.tag !== 'mention' || typeof e.id !== 'string' || e.id.length > 512)) return false;
    if (e.start !== undefined && (e.tag !== 'ol' || typeof e.start !== 'number' || !Number.isSafeInteger(e.start))) return false;
    return e.children.every((c) => ok(c, depth + 1));
  };
  return v.every((n) => ok(n, 1));
}
