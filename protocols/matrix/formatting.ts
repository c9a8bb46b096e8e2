// Formatted messages on Matrix (spec "m.room.message msgtypes", `format: org.matrix.custom.html`).
// Incoming `formatted_body` is parsed by the shared allowlist sanitiser into the rich-text tree
// (never kept as HTML); user pills (`https://matrix.to/#/@user:server` links) become mentions.
// Outgoing Markdown is rendered to HTML only when it actually formats something, as Element does,
// so plain messages stay plain `body`.
import type { RichNode } from '../../common/rich-text';
import { htmlToRich, markdownToHtml } from '../base/rich';
import { parseUserId } from './ids';

export const HTML_FORMAT = 'org.matrix.custom.html';

/** The user id a matrix.to permalink names, or null (rooms, events and other links stay links). */
export function userFromMatrixTo(href: string): string | null {
  const prefix = 'https://matrix.to/#/';
  if (!href.startsWith(prefix)) return null;
  let target: string;
  try {
    target = decodeURIComponent(href.slice(prefix.length).split('?')[0]!);
  } catch {
    return null;
  }
  return parseUserId(target) ? target : null;
}

/** The rich tree of an event's content, or undefined when it carries no HTML formatting. */
export function richFromContent(content: Readonly<Record<string, unknown>>): readonly RichNode[] | undefined {
  if (content.format !== HTML_FORMAT || typeof content.formatted_body !== 'string') return undefined;
  const nodes = htmlToRich(content.formatted_body, { mentionFromHref: userFromMatrixTo });
  return nodes.length > 0 ? nodes : undefined;
}

/** `format` + `formatted_body` for text the user typed (Markdown), or nothing when it is plain. */
export function formattedFields(text: string): { format?: string; formatted_body?: string } {
  const html = markdownToHtml(text);
  return html === null ? {} : { format: HTML_FORMAT, formatted_body: html };
}
