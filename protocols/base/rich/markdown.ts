// Markdown as chat users type it (CommonMark + GFM tables and strikethrough, single newlines are
// line breaks) to HTML for sending (Matrix formatted_body) and to the RichNode tree for showing
// (Mattermost, Rocket.Chat). Raw HTML typed by a user is escaped, never passed through; links are
// limited to http(s)/mailto; the output for display goes through the same allowlist as any HTML.
import markdownIt, { type MarkdownIt, type StateCore, type Token } from 'markdown-it';
import type { RichNode } from '../../../common/rich-text';
import { cutText, sanitizeHtml, safeLinkUrl, type HtmlToRichOptions } from './html';


export interface MarkdownToRichOptions extends HtmlToRichOptions {
  /** Mattermost/Rocket.Chat: the user id for an `@name`, or null when no such user is known. */
  readonly mentionNames?: (name: string) => string | null;
}

/** markdown-it gets at most this much; the full plain text is kept and shown elsewhere. */
export const MAX_MARKDOWN_CHARS = 64 * 1024;
/** Rendered HTML is well nested (maxNesting) and so parses in linear time; a larger cap is safe. */
const MAX_RENDERED_CHARS = 1024 * 1024;
const MENTION_TAG = 'samverka-mention';
/** Tokens that plain text turns into by itself: a paragraph of text with line breaks. */
const PLAIN_TOKENS: ReadonlySet<string> = new Set(['paragraph_open', 'paragraph_close', 'inline', 'text', 'softbreak', 'hardbreak']);
/** `@name` (letters, digits, . _ -) not glued to a word before it, so e-mail addresses do not match. */
const MENTION_RE = /(?<![\p{L}\p{N}._@-])@([\p{L}\p{N}._-]+)/gu;

/** One configured parser; markdown-it instances are reusable and keep no per-render state. */
const md = createParser();

function createParser(): MarkdownIt {
  const parser = markdownIt('default', { html: false, linkify: true, breaks: true, typographer: false, maxNesting: 20 });
  // Bare links: only ones written with http:// or https://, not www.x, e-mail addresses, ftp: or //x.
  parser.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  parser.linkify.add('ftp:', null).add('//', null).add('mailto:', null);
  // Images would make clients fetch URLs chosen by the sender; `![x](u)` stays text.
  parser.disable('image');
  // Links other than http(s)/mailto (javascript:, data:, relative …) are left as the typed text.
  parser.validateLink = (url: string): boolean => safeLinkUrl(url) !== null;
  parser.core.ruler.push('samverka_mentions', mentionRule);
  parser.renderer.rules['mention_open'] = (tokens, idx) => `<${MENTION_TAG} data-id="${escapeAttr(String(tokens[idx]!.attrGet('data-id') ?? ''))}">`;
  parser.renderer.rules['mention_close'] = () => `</${MENTION_TAG}>`;
  return parser;
}

// A type alias, not an interface, so it fits markdown-it's indexable Env.
type Env = {
  mentionNames?: (name: string) => string | null;
};

/**
 * HTML for a message we send (Matrix formatted_body), or null when the text has no formatting, so
 * plain text goes out as plain text only. Null too for texts over the cap: a cut formatted body
 * would show a cut message.
 */
export function markdownToHtml(text: string): string | null {
  if (!text || text.length > MAX_MARKDOWN_CHARS) return null;
  const env: Env = {};
  const tokens = md.parse(text, env);
  if (!hasFormatting(tokens, () => false)) return null;
  return md.renderer.render(tokens, md.options, env);
}

/** The formatted tree of a received Markdown message, or undefined when it is plain text. */
export function markdownToRich(text: string, opts: MarkdownToRichOptions = {}): RichNode[] | undefined {
  if (!text) return undefined;
  const env: Env = opts.mentionNames ? { mentionNames: opts.mentionNames } : {};
  const tokens = md.parse(capped(text), env);
  const isMention = (href: string): boolean => (opts.mentionFromHref?.(href) ?? null) !== null;
  if (!hasFormatting(tokens, isMention)) return undefined;
  const html = md.renderer.render(tokens, md.options, env);
  const linkOpts: HtmlToRichOptions = opts.mentionFromHref ? { mentionFromHref: opts.mentionFromHref } : {};
  return sanitizeHtml(html, linkOpts, { mentionTag: MENTION_TAG, maxChars: MAX_RENDERED_CHARS });
}

/** Cuts hostile lengths, at a line end when there is one near the cap, and marks the cut. */
function capped(text: string): string {
  if (text.length <= MAX_MARKDOWN_CHARS) return text;
  const lineEnd = text.lastIndexOf('\n', MAX_MARKDOWN_CHARS);
  const cut = lineEnd > MAX_MARKDOWN_CHARS - 4096 ? lineEnd : MAX_MARKDOWN_CHARS;
  return `${cutText(text, cut)}\n\n…`;
}

/**
 * Whether the tokens show anything plain text would not: compared structurally, not by string.
 * A bare URL that linkify turned into a link is not formatting (the plain text shows it the same
 * way) unless it is a mention.
 */
function hasFormatting(tokens: readonly Token[], isMention: (href: string) => boolean): boolean {
  const plain = (t: Token): boolean => {
    if (t.type === 'link_open' && t.markup === 'linkify') return !isMention(String(t.attrGet('href') ?? ''));
    if (t.type === 'link_close' && t.markup === 'linkify') return true;
    return PLAIN_TOKENS.has(t.type) && (t.children ?? []).every(plain);
  };
  return !tokens.every(plain);
}

/** Core rule: `@name` in text (not in code, not in a link) becomes a mention when the callback knows the name. */
function mentionRule(state: StateCore): void {
  const lookup = (state.env as Env).mentionNames;
  if (!lookup) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    block.children = mentionsIn(block.children, lookup, state);
  }
}

function mentionsIn(children: readonly Token[], lookup: (name: string) => string | null, state: StateCore): Token[] {
  const out: Token[] = [];
  let linkDepth = 0;
  for (const t of children) {
    if (t.type === 'link_open') linkDepth++;
    if (t.type === 'link_close') linkDepth--;
    if (t.type !== 'text' || linkDepth > 0 || !t.content.includes('@')) out.push(t);
    else out.push(...splitMentions(t, lookup, state));
  }
  return out;
}

function splitMentions(t: Token, lookup: (name: string) => string | null, state: StateCore): Token[] {
  const out: Token[] = [];
  const text = t.content;
  let last = 0;
  for (const m of text.matchAll(MENTION_RE)) {
    // A sentence may end right after the name: "thanks @anna." names anna.
    const name = m[1]!.replace(/[.]+$/u, '');
    const id = name ? lookup(name) : null;
    if (!id) continue;
    if (m.index > last) out.push(textToken(state, text.slice(last, m.index), t.level));
    out.push(...mentionTokens(state, id, `@${name}`, t.level));
    last = m.index + 1 + name.length;
  }
  if (last === 0) return [t];
  if (last < text.length) out.push(textToken(state, text.slice(last), t.level));
  return out;
}

function textToken(state: StateCore, content: string, level: number): Token {
  const tok = new state.Token('text', '', 0);
  tok.content = content;
  tok.level = level;
  return tok;
}

function mentionTokens(state: StateCore, id: string, label: string, level: number): Token[] {
  const open = new state.Token('mention_open', MENTION_TAG, 1);
  open.attrSet('data-id', id);
  open.level = level;
  return [open, textToken(state, label, level + 1), new state.Token('mention_close', MENTION_TAG, -1)];
}

function escapeAttr(s: string): string {
  return s.replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
