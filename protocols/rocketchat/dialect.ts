// Rocket.Chat's message syntax differs from CommonMark in two places users notice: `*text*` is
// bold (not italic) and `~text~` is strikethrough (@rocket.chat/message-parser grammar). Before
// the shared Markdown parser sees a message we rewrite those two forms to `**text**` and
// `~~text~~`, outside code spans and fenced blocks. The plain `text` of a message stays as sent.

/** Single-delimiter runs: not touching the same delimiter, not opened/closed by whitespace. */
const BOLD = /(^|[^*\\\w])\*(?![\s*])([^*\n]*?[^\s*\\])\*(?![*\w])/g;
const STRIKE = /(^|[^~\\\w])~(?![\s~])([^~\n]*?[^\s~\\])~(?![~\w])/g;
const FENCE = /^\s{0,3}(```|~~~)/;

function convertProse(s: string): string {
  return s.replace(BOLD, '$1**$2**').replace(STRIKE, '$1~~$2~~');
}

/** Convert one line, leaving `code spans` untouched. */
function convertLine(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const tick = line.indexOf('`', i);
    if (tick < 0) break;
    let run = 1;
    while (line[tick + run] === '`') run++;
    const fence = '`'.repeat(run);
    const close = line.indexOf(fence, tick + run);
    if (close < 0) break;
    out += convertProse(line.slice(i, tick)) + line.slice(tick, close + run);
    i = close + run;
  }
  return out + convertProse(line.slice(i));
}

export function rcMarkdownToCommonMark(text: string): string {
  let inFence: string | null = null;
  return text.split('\n').map((line) => {
    const f = FENCE.exec(line)?.[1];
    if (inFence !== null) {
      if (f === inFence) inFence = null;
      return line;
    }
    if (f) {
      inFence = f;
      return line;
    }
    return convertLine(line);
  }).join('\n');
}
