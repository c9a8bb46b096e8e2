// HTML (Matrix formatted_body, Markdown rendered by us) to the RichNode tree of common/rich-text.
// An allowlist, not a blocklist: a tag becomes an element only if RICH_TAGS has it (after mapping
// synonyms), and the only attributes read are href (re-validated), ol start, Matrix's spoiler flag
// and our own mention marker. Everything else is text or nothing, so no attribute, style, URL
// scheme or tag from a message survives to the renderer.
import { Parser } from 'htmlparser2';
import { RICH_LIMITS, RICH_TAGS, type RichElement, type RichNode, type RichTag } from '../../../common/rich-text';

export interface HtmlToRichOptions {
  /** Returns a user id when a (valid http/https/mailto) link points at a user; the link becomes a mention. */
  readonly mentionFromHref?: (href: string) => string | null;
}

/** Options only markdown.ts uses; a message cannot reach them because user HTML never gets here unescaped. */
export interface InternalHtmlOptions {
  /** A tag name (with a `data-id` attribute) that markdown.ts emits for `@name` mentions. */
  readonly mentionTag?: string;
  /** Input cap in characters (see MAX_HTML_CHARS). */
  readonly maxChars?: number;
}

/**
 * Matrix events are at most 64 KiB, so no real formatted body is longer. The cap matters because
 * htmlparser2 keeps open tags in an array it shifts and searches, which is quadratic for hostile
 * deep nesting (1 MB of `<b>` takes seconds).
 */
export const MAX_HTML_CHARS = 64 * 1024;
/** Parsing stops once this many tags are open at once: far beyond maxDepth, so nothing real is lost. */
const MAX_OPEN_TAGS = 1024;
const CHUNK = 4096;
/** Text beyond this many characters is dropped; larger trees would not be stored anyway. */
const TEXT_BUDGET = RICH_LIMITS.maxJsonBytes;
const MAX_ALT = 200;
const MAX_START = 1_000_000;

const ALLOWED: ReadonlySet<string> = new Set<string>(RICH_TAGS);
// A Map, not an object literal: a tag named `constructor` must not find Object.prototype's.
const SYNONYMS: ReadonlyMap<string, RichTag> = new Map<string, RichTag>([
  ['b', 'strong'], ['i', 'em'], ['s', 'del'], ['strike', 'del'], ['ins', 'u'], ['tt', 'code'], ['kbd', 'code'], ['samp', 'code'],
]);
/** Dropped together with everything inside them. */
const DROPPED: ReadonlySet<string> = new Set([
  'script', 'style', 'template', 'iframe', 'object', 'embed', 'noscript', 'textarea', 'select',
  'head', 'title', 'svg', 'math', 'mx-reply', 'frameset', 'frame', 'applet', 'audio', 'video', 'canvas',
]);
/** Elements that may hold only inline content: a block opened inside them is unwrapped (keeps React's DOM valid). */
const PHRASING: ReadonlySet<RichTag> = new Set<RichTag>([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'u', 'del', 'sup', 'sub', 'code', 'spoiler', 'a', 'mention',
]);
const BLOCKS: ReadonlySet<RichTag> = new Set<RichTag>([
  'p', 'pre', 'blockquote', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr',
]);
/** Where each table/list part may sit; elsewhere it is unwrapped. */
const REQUIRED_PARENT: Partial<Readonly<Record<RichTag, ReadonlySet<RichTag>>>> = {
  li: new Set<RichTag>(['ul', 'ol']),
  thead: new Set<RichTag>(['table']),
  tbody: new Set<RichTag>(['table']),
  tr: new Set<RichTag>(['table', 'thead', 'tbody']),
  td: new Set<RichTag>(['tr']),
  th: new Set<RichTag>(['tr']),
};
/** Containers whose whitespace-only text is never meaningful. */
const STRUCTURAL: ReadonlySet<RichTag> = new Set<RichTag>(['ul', 'ol', 'table', 'thead', 'tbody', 'tr']);
/** Elements kept even when empty. */
const KEEP_EMPTY: ReadonlySet<RichTag> = new Set<RichTag>(['br', 'hr', 'td', 'th', 'li']);

/** A mutable element while building; frozen into RichElement by shape at the end. */
interface Building {
  tag: RichTag;
  href?: string;
  id?: string;
  start?: number;
  children: (string | Building)[];
}

/** One open HTML tag: either it made an element, was unwrapped, or drops its content. */
interface Frame {
  readonly name: string;
  readonly kind: 'element' | 'unwrap' | 'drop';
  readonly el?: Building;
}

export function htmlToRich(html: string, opts: HtmlToRichOptions = {}): RichNode[] {
  return sanitizeHtml(html, opts, {});
}

/** htmlToRich with markdown.ts's private switches. */
export function sanitizeHtml(html: string, opts: HtmlToRichOptions, internal: InternalHtmlOptions): RichNode[] {
  if (!html) return [];
  const builder = new TreeBuilder(opts, internal);
  const input = cutText(html, internal.maxChars ?? MAX_HTML_CHARS);
  const parser = new Parser(
    {
      onopentag: (name, attribs) => builder.open(name, attribs),
      onclosetag: (name) => builder.close(name),
      ontext: (text) => builder.text(text),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  // Feed in chunks so a flood of open tags stops the parse before the parser's own stack gets costly.
  for (let i = 0; i < input.length && !builder.tooDeep(); i += CHUNK) parser.write(input.slice(i, i + CHUNK));
  parser.end();
  return tidy(builder.root, false).map(freeze);
}

class TreeBuilder {
  readonly root: (string | Building)[] = [];
  private readonly stack: Frame[] = [];
  private depth = 0;
  private elements = 0;
  private textLeft = TEXT_BUDGET;
  private dropping = 0;
  private preDepth = 0;
  private linkDepth = 0;
  private phrasingDepth = 0;

  constructor(
    private readonly opts: HtmlToRichOptions,
    private readonly internal: InternalHtmlOptions,
  ) {}

  tooDeep(): boolean {
    return this.stack.length > MAX_OPEN_TAGS;
  }

  open(name: string, attribs: Readonly<Record<string, string>>): void {
    const frame = this.dropping > 0 || DROPPED.has(name) ? { name, kind: 'drop' as const } : this.frameFor(name, attribs);
    if (frame.kind === 'drop') this.dropping++;
    if (frame.el) this.enter(frame.el);
    this.stack.push(frame);
  }

  close(name: string): void {
    // The parser closes tags in stack order; a name mismatch means an open we never saw, so ignore it.
    const top = this.stack.at(-1);
    if (!top || top.name !== name) return;
    this.stack.pop();
    if (top.kind === 'drop') this.dropping--;
    if (top.el) this.leave(top.el);
  }

  text(data: string): void {
    if (this.dropping > 0 || this.textLeft <= 0 || !data) return;
    const kept = cutText(data, this.textLeft);
    this.textLeft -= kept.length;
    this.append(kept);
  }

  private frameFor(name: string, attribs: Readonly<Record<string, string>>): Frame {
    if (name === 'img') {
      this.imageAlt(attribs['alt']);
      return { name, kind: 'unwrap' };
    }
    if (name === 'br' && this.preDepth > 0) {
      this.text('\n');
      return { name, kind: 'unwrap' };
    }
    const el = this.elementFor(name, attribs);
    if (!el || !this.fits(el.tag)) return { name, kind: 'unwrap' };
    this.elements++;
    this.parentList().push(el);
    return { name, kind: 'element', el };
  }

  /** The element an allowed tag becomes, or null to unwrap it. */
  private elementFor(name: string, attribs: Readonly<Record<string, string>>): Building | null {
    if (name === this.internal.mentionTag) return this.mention(attribs['data-id']);
    if (name === 'span' && 'data-mx-spoiler' in attribs) return { tag: 'spoiler', children: [] };
    if (name === 'a') return this.link(attribs['href']);
    const tag = SYNONYMS.get(name) ?? (ALLOWED.has(name) ? (name as RichTag) : null);
    if (!tag || tag === 'spoiler' || tag === 'mention') return null; // only reachable through their markers
    if (tag === 'ol') return { tag, children: [], ...startOf(attribs['start']) };
    return { tag, children: [] };
  }

  private link(raw: string | undefined): Building | null {
    if (raw === undefined) return null;
    const href = safeLinkUrl(raw);
    if (!href) return null;
    const id = this.opts.mentionFromHref?.(raw.trim()) ?? null;
    return id ? { tag: 'mention', id, children: [] } : { tag: 'a', href, children: [] };
  }

  private mention(id: string | undefined): Building | null {
    return id ? { tag: 'mention', id, children: [] } : null;
  }

  /** Whether an element may open here; otherwise it is unwrapped and its text kept. */
  private fits(tag: RichTag): boolean {
    if (this.elements >= RICH_LIMITS.maxElements || this.depth >= RICH_LIMITS.maxDepth) return false;
    if (this.preDepth > 0) return false; // pre holds its code text only
    const interactive = tag === 'a' || tag === 'mention' || tag === 'spoiler';
    if (interactive && this.linkDepth > 0) return false; // no link or button inside a link
    if (BLOCKS.has(tag) && this.phrasingDepth > 0) return false;
    const parents = REQUIRED_PARENT[tag];
    return !parents || parents.has(this.parentTag() ?? 'p');
  }

  private enter(el: Building): void {
    this.depth++;
    if (el.tag === 'pre') this.preDepth++;
    if (el.tag === 'a' || el.tag === 'mention') this.linkDepth++;
    if (PHRASING.has(el.tag)) this.phrasingDepth++;
  }

  private leave(el: Building): void {
    this.depth--;
    if (el.tag === 'pre') this.preDepth--;
    if (el.tag === 'a' || el.tag === 'mention') this.linkDepth--;
    if (PHRASING.has(el.tag)) this.phrasingDepth--;
  }

  private imageAlt(alt: string | undefined): void {
    const text = alt?.replace(/\s+/gu, ' ').trim().slice(0, MAX_ALT);
    if (text && this.dropping === 0) this.text(`[${text}]`);
  }

  private nearestElement(): Building | undefined {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const el = this.stack[i]!.el;
      if (el) return el;
    }
    return undefined;
  }

  private parentTag(): RichTag | undefined {
    return this.nearestElement()?.tag;
  }

  private parentList(): (string | Building)[] {
    return this.nearestElement()?.children ?? this.root;
  }

  private append(text: string): void {
    const list = this.parentList();
    const last = list.length - 1;
    if (typeof list[last] === 'string') list[last] += text;
    else list.push(text);
  }
}

/** The first `max` UTF-16 units of a string, without splitting a surrogate pair (a lone half shows as �). */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max > 0 && /[\uD800-\uDBFF]/u.test(s.charAt(max - 1)) ? max - 1 : max;
  return s.slice(0, end);
}

/** An href we are willing to show as a link: http(s) or mailto, no credentials; normalised. */
export function safeLinkUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null; // relative or malformed: there is no base a chat message could sensibly resolve against
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'mailto:') return null;
  if (u.username || u.password) return null;
  return u.href;
}

function startOf(raw: string | undefined): { start?: number } {
  if (raw === undefined || !/^\s*\d{1,7}\s*$/u.test(raw)) return {};
  const n = Number(raw);
  return n >= 1 && n <= MAX_START && n !== 1 ? { start: n } : {};
}

// ---- Whitespace and emptiness: a second pass over the (depth-limited) tree. ----

/** Collapses insignificant whitespace and drops empty elements. Recursion depth ≤ maxDepth. */
function tidy(nodes: (string | Building)[], inPre: boolean, parent?: RichTag): (string | Building)[] {
  if (inPre) {
    const code = trimPre(nodes.filter((n): n is string => typeof n === 'string').join(''));
    return code ? [code] : [];
  }
  const merged = mergeText(nodes).map((n) => (typeof n === 'string' ? n.replace(/[ \t\n\r\f]+/gu, ' ') : tidyElement(n)));
  const blockContext = parent === undefined || BLOCKS.has(parent);
  const out: (string | Building)[] = [];
  merged.forEach((n, i) => {
    if (typeof n !== 'string') {
      if (n.children.length > 0 || KEEP_EMPTY.has(n.tag)) out.push(n);
      return;
    }
    const text = trimAround(n, merged[i - 1], merged[i + 1], blockContext);
    if (text && !(parent && STRUCTURAL.has(parent) && !text.trim())) out.push(text);
  });
  return mergeText(out);
}

function tidyElement(el: Building): Building {
  return { ...el, children: tidy(el.children, el.tag === 'pre', el.tag) };
}

/** Trims a space that only separates a block or line break from its neighbour. */
function trimAround(text: string, prev: string | Building | undefined, next: string | Building | undefined, blockContext: boolean): string {
  const breaks = (n: string | Building | undefined, edge: boolean): boolean =>
    n === undefined ? edge : typeof n !== 'string' && (BLOCKS.has(n.tag) || n.tag === 'br');
  let out = text;
  if (breaks(prev, blockContext)) out = out.replace(/^ /u, '');
  if (breaks(next, blockContext)) out = out.replace(/ $/u, '');
  return out;
}

/** HTML ignores a newline right after <pre>; Markdown code blocks end with one we do not want. */
function trimPre(text: string): string {
  return text.replace(/^\r?\n/u, '').replace(/\r?\n$/u, '');
}

function mergeText(nodes: readonly (string | Building)[]): (string | Building)[] {
  const out: (string | Building)[] = [];
  for (const n of nodes) {
    const last = out.length - 1;
    if (typeof n === 'string' && typeof out[last] === 'string') out[last] += n;
    else out.push(n);
  }
  return out;
}

function freeze(n: string | Building): RichNode {
  if (typeof n === 'string') return n;
  const el: RichElement = {
    tag: n.tag,
    ...(n.href !== undefined ? { href: n.href } : {}),
    ...(n.id !== undefined ? { id: n.id } : {}),
    ...(n.start !== undefined ? { start: n.start } : {}),
    children: n.children.map(freeze),
  };
  return el;
}
