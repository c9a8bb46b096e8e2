// Formatted text for protocols: sanitised HTML and Markdown to the RichNode tree (common/rich-text).
export { htmlToRich, safeLinkUrl, type HtmlToRichOptions } from './html';
export { markdownToHtml, markdownToRich, type MarkdownToRichOptions } from './markdown';
