// Formatted message text (the RichNode tree from common/rich-text) as React elements. Each tag goes
// through a fixed map to a fixed element; a tag the map does not know shows only its children.
// Nothing is ever set as HTML, and link targets are checked again here (the tree may come from
// storage written by an older version), so the renderer does not rely on the parser alone.
import { Fragment, createElement, useId, useState, type MouseEvent, type ReactNode } from 'react';
import { RICH_LIMITS, RICH_TAGS, richToPlainText, type RichElement, type RichNode, type RichTag } from '../../../common/rich-text';
import { useT, type MessageKey, type Params } from '../../i18n';
import { linkify, safeHttpUrl } from '../../lib/linkify';

type Translate = (key: MessageKey, params?: Params) => string;

interface Ctx {
  readonly t: Translate;
  /** Inside a link, mention, pre or code: text is shown exactly, bare URLs are not linked. */
  readonly literal: boolean;
  readonly depth: number;
}

const KNOWN: ReadonlySet<string> = new Set<string>(RICH_TAGS);
/** Tags that map one to one onto an HTML element with no attributes. */
const PLAIN_ELEMENTS: Partial<Readonly<Record<RichTag, string>>> = {
  p: 'p', strong: 'strong', em: 'em', u: 'u', del: 'del', sup: 'sup', sub: 'sub', code: 'code',
  blockquote: 'blockquote', ul: 'ul', li: 'li', h1: 'h1', h2: 'h2', h3: 'h3', h4: 'h4', h5: 'h5', h6: 'h6',
  thead: 'thead', tbody: 'tbody', tr: 'tr', th: 'th', td: 'td',
};
/** What may sit directly in each table part; anything else is wrapped so the DOM stays a valid table. */
const TABLE_PARTS: Partial<Readonly<Record<RichTag, { readonly allowed: ReadonlySet<RichTag>; readonly wrapper: RichTag }>>> = {
  table: { allowed: new Set<RichTag>(['thead', 'tbody']), wrapper: 'tbody' },
  thead: { allowed: new Set<RichTag>(['tr']), wrapper: 'tr' },
  tbody: { allowed: new Set<RichTag>(['tr']), wrapper: 'tr' },
  tr: { allowed: new Set<RichTag>(['td', 'th']), wrapper: 'td' },
};
const MAX_START = 1_000_000;

export function RichText({ nodes }: { readonly nodes: readonly RichNode[] }): ReactNode {
  const t = useT();
  return (
    <div className="msg-rich" dir="auto">
      {renderNodes(nodes, { t, literal: false, depth: 0 })}
    </div>
  );
}

function renderNodes(nodes: readonly RichNode[], ctx: Ctx): ReactNode[] {
  return nodes.map((n, i) => renderNode(n, i, ctx));
}

function renderNode(n: RichNode, key: number, ctx: Ctx): ReactNode {
  if (typeof n === 'string') return ctx.literal ? n : <Fragment key={key}>{linkedText(n, ctx.t)}</Fragment>;
  // A tree deeper than the parser allows did not come from it: show its text only.
  if (ctx.depth >= RICH_LIMITS.maxDepth + 3) return richToPlainText([n]);
  const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };
  if (!KNOWN.has(n.tag)) return <Fragment key={key}>{renderNodes(n.children, inner)}</Fragment>;
  return renderElement(n, key, inner);
}

function renderElement(n: RichElement, key: number, ctx: Ctx): ReactNode {
  const literal: Ctx = { ...ctx, literal: true };
  switch (n.tag) {
    case 'br':
      return <br key={key} />;
    case 'hr':
      return <hr key={key} />;
    case 'a':
      return <RichLink key={key} href={n.href} t={ctx.t}>{renderNodes(n.children, literal)}</RichLink>;
    case 'mention':
      return <span key={key} className="mention" title={n.id}>{renderNodes(n.children, literal)}</span>;
    case 'spoiler':
      return <Spoiler key={key}>{renderNodes(n.children, ctx)}</Spoiler>;
    case 'pre':
      return <pre key={key}><code>{renderNodes(n.children, literal)}</code></pre>;
    case 'code':
      return <code key={key}>{renderNodes(n.children, literal)}</code>;
    case 'ol':
      return <ol key={key} start={validStart(n.start)}>{renderNodes(n.children, ctx)}</ol>;
    case 'table':
      return (
        // Wide tables scroll inside the message; tabIndex lets keyboard users scroll them.
        <div key={key} className="msg-rich-table" tabIndex={0}>
          <table>{renderNodes(tableChildren(n), ctx)}</table>
        </div>
      );
    default:
      return renderPlainElement(n, key, ctx);
  }
}

function renderPlainElement(n: RichElement, key: number, ctx: Ctx): ReactNode {
  const type = PLAIN_ELEMENTS[n.tag];
  const children = TABLE_PARTS[n.tag] ? tableChildren(n) : n.children;
  if (!type) return <Fragment key={key}>{renderNodes(children, ctx)}</Fragment>;
  return createElement(type, { key }, ...renderNodes(children, ctx));
}

/** Children of a table part with whitespace dropped and stray content wrapped in the part it needs. */
function tableChildren(n: RichElement): readonly RichNode[] {
  const part = TABLE_PARTS[n.tag];
  if (!part) return n.children;
  const out: RichNode[] = [];
  let stray: RichNode[] = [];
  const flush = (): void => {
    if (stray.length > 0) out.push({ tag: part.wrapper, children: stray });
    stray = [];
  };
  for (const c of n.children) {
    if (typeof c === 'string' && !c.trim()) continue;
    if (typeof c !== 'string' && part.allowed.has(c.tag)) {
      flush();
      out.push(c);
    } else stray.push(c);
  }
  flush();
  return out;
}

function validStart(start: number | undefined): number | undefined {
  return start !== undefined && Number.isInteger(start) && start >= 1 && start <= MAX_START ? start : undefined;
}

/** Bare http(s) URLs in text become links, as in plain messages. */
function linkedText(text: string, t: Translate): ReactNode[] {
  return linkify(text).map((s, i) =>
    s.kind === 'text' ? s.text : <RichLink key={i} href={s.href} t={t}>{s.text}</RichLink>,
  );
}

/** http(s) via the same check as plain messages, or a mailto: without credentials. */
function safeHref(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const http = safeHttpUrl(raw);
  if (http) return http;
  try {
    const u = new URL(raw);
    return u.protocol === 'mailto:' && !u.username && !u.password ? u.href : null;
  } catch {
    return null;
  }
}

function onLinkClick(e: MouseEvent<HTMLAnchorElement>): void {
  // Check again at click time; the Electron shell routes target=_blank outside the app.
  if (!safeHref(e.currentTarget.href)) e.preventDefault();
}

function RichLink({ href, t, children }: { readonly href: string | undefined; readonly t: Translate; readonly children: ReactNode }): ReactNode {
  const safe = safeHref(href);
  if (!safe) return <>{children}</>;
  const title = safe.startsWith('mailto:') ? t('message.opensInMailApp') : t('message.opensInBrowser');
  return (
    <a href={safe} target="_blank" rel="noopener noreferrer" onClick={onLinkClick} title={title}>
      {children}
    </a>
  );
}

/** Hidden text behind a real button; the content is not in the DOM until it is revealed. */
function Spoiler({ children }: { readonly children: ReactNode }): ReactNode {
  const t = useT();
  const id = useId();
  const [shown, setShown] = useState(false);
  return (
    <span className={shown ? 'spoiler revealed' : 'spoiler'}>
      <button type="button" className="spoiler-toggle" aria-expanded={shown} aria-controls={shown ? id : undefined} onClick={() => setShown((v) => !v)}>
        {shown ? t('message.spoiler.hide') : t('message.spoiler.reveal')}
      </button>
      {shown ? <span id={id} className="spoiler-content">{children}</span> : null}
    </span>
  );
}
