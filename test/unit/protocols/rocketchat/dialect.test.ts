// Rocket.Chat's own emphasis rules (@rocket.chat/message-parser: *bold*, _italic_, ~strike~)
// rewritten for the CommonMark parser, without touching code or ordinary asterisks.
import { describe, expect, it } from 'vitest';
import { rcMarkdownToCommonMark } from '../../../../protocols/rocketchat/dialect';
import { toMessageInfo } from '../../../../protocols/rocketchat/mapping';
import { rcMessage } from '../../../../protocols/rocketchat/schemas';

describe('rcMarkdownToCommonMark', () => {
  it('single * is bold and single ~ is strikethrough', () => {
    expect(rcMarkdownToCommonMark('this is *bold* and ~gone~ and _it_')).toBe('this is **bold** and ~~gone~~ and _it_');
  });
  it('leaves CommonMark forms, arithmetic, code spans and fenced code alone', () => {
    expect(rcMarkdownToCommonMark('**already** ~~done~~')).toBe('**already** ~~done~~');
    expect(rcMarkdownToCommonMark('2 * 3 * 4 and a*b*c')).toBe('2 * 3 * 4 and a*b*c');
    expect(rcMarkdownToCommonMark('`*code*` then *x*')).toBe('`*code*` then **x**');
    expect(rcMarkdownToCommonMark('```\n*not bold*\n```\n*bold*')).toBe('```\n*not bold*\n```\n**bold**');
  });
  it('is linear on hostile input', () => {
    const hostile = '*a '.repeat(20_000) + '~b '.repeat(20_000);
    expect(rcMarkdownToCommonMark(hostile).length).toBeGreaterThanOrEqual(hostile.length);
  });
  it('a message with *bold* gets a strong element in rich, text unchanged', () => {
    const m = rcMessage.parse({ _id: 'M', rid: 'R', msg: 'see *this*', ts: 0, u: { _id: 'U', username: 'u' } });
    const info = toMessageInfo(m, { selfId: 'X', baseUrl: 'https://x', clientTxnFor: () => undefined, joinUrlFor: () => null }, false);
    expect(info.text).toBe('see *this*');
    expect(JSON.stringify(info.rich)).toContain('"tag":"strong"');
  });
});
