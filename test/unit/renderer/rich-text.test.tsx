// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import type { Locale } from '../../../common/api';
import { RICH_LIMITS, type RichNode } from '../../../common/rich-text';
import { htmlToRich, markdownToRich } from '../../../protocols/base/rich';
import { RichText } from '../../../renderer/features/conversation/RichText';
import { StoreContext, createChatStore } from '../../../renderer/state/store';

afterEach(cleanup);

function show(nodes: readonly RichNode[], locale: Locale = 'en') {
  const store = createChatStore({ view: { locale } });
  const r = render(
    <StoreContext.Provider value={store}>
      <p data-testid="before">before</p>
      <RichText nodes={nodes} />
      <p data-testid="after">after</p>
    </StoreContext.Provider>,
  );
  const root = r.container.querySelector('.msg-rich') as HTMLElement;
  return { ...r, root };
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '<iframe src="javascript:alert(3)"></iframe>',
  '<a href="javascript:alert(4)">js</a>',
  '<a href="javascript&#58;alert(5)">entity</a>',
  '<a href="data:text/html,<script>alert(6)</script>">data</a>',
  '<a href="vbscript:msgbox(7)">vb</a>',
  '<a href="https://user:pw@bank.example">creds</a>',
  '<p onclick="alert(8)" style="background:url(javascript:alert(9))">para</p>',
  '<svg onload=alert(10)><script>alert(11)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(12)></style></mglyph></table></mtext></math>',
  '<object data="x.swf"></object><embed src="x.swf"><form action="https://evil"><input name=q></form>',
  '<mx-reply><blockquote><mx-reply><img src=x onerror=alert(13)></mx-reply></blockquote></mx-reply>',
  '<details open ontoggle=alert(14)><summary>s</summary>d</details>',
  '<a href=" jav&#x09;ascript:alert(15)">tab</a><base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:alert(16)">',
].join('\n');

describe('RichText', () => {
  it('renders formatting as the matching elements inside a dir=auto container', () => {
    const { root } = show(htmlToRich('<h2>Rubrik</h2><p><b>fet</b> <i>kursiv</i> <del>struken</del> <code>kod</code></p><blockquote>citat</blockquote><pre><code>a  b\n c</code></pre>'));
    expect(root.tagName).toBe('DIV');
    expect(root.getAttribute('dir')).toBe('auto');
    expect(within(root).getByRole('heading', { level: 2, name: 'Rubrik' })).toBeTruthy();
    expect(root.querySelector('strong')!.textContent).toBe('fet');
    expect(root.querySelector('em')!.textContent).toBe('kursiv');
    expect(root.querySelector('del')!.textContent).toBe('struken');
    expect(root.querySelector('p > code')!.textContent).toBe('kod');
    expect(root.querySelector('blockquote')!.textContent).toBe('citat');
    expect(root.querySelector('pre > code')!.textContent).toBe('a  b\n c');
  });

  it('numbers an ordered list from its start and wraps tables so they can scroll', () => {
    const { root } = show(markdownToRich('5. fem\n6. sex\n\n| a | b |\n|---|---|\n| 1 | 2 |')!);
    expect(root.querySelector('ol')!.getAttribute('start')).toBe('5');
    expect(within(root).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['fem', 'sex']);
    const table = root.querySelector('table')!;
    expect(table.parentElement!.className).toBe('msg-rich-table');
    expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['a', 'b']);
    expect(within(table).getAllByRole('cell').map((td) => td.textContent)).toEqual(['1', '2']);
  });

  it('puts stray table content in cells instead of breaking the table', () => {
    const nodes: RichNode[] = [{ tag: 'table', children: ['loose', { tag: 'tr', children: ['x', { tag: 'td', children: ['y'] }] }] }];
    const { root } = show(nodes);
    const table = root.querySelector('table')!;
    expect([...table.children].map((c) => c.tagName)).toEqual(['TBODY']);
    expect([...table.querySelectorAll('tr')].map((tr) => tr.textContent)).toEqual(['loose', 'xy']);
    expect(table.querySelectorAll('td')).toHaveLength(3);
    expect(table.textContent).toBe('loosexy');
  });

  it('opens safe links outside the app, and links bare URLs in text', () => {
    const { root } = show(htmlToRich('<p><a href="https://example.se/a">sidan</a> och https://example.org/b. <a href="mailto:bo@example.se">mejla</a></p>'));
    const links = within(root).getAllByRole('link');
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.se/a', 'https://example.org/b', 'mailto:bo@example.se']);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    }
    expect(links[0]!.getAttribute('title')).toBe('(opens in your web browser)');
    expect(links[2]!.getAttribute('title')).toBe('(opens in your email program)');
  });

  it('does not link URLs inside code blocks or inside existing links', () => {
    const { root } = show(htmlToRich('<pre>see https://a.example</pre><code>https://b.example</code><a href="https://c.example">go to https://d.example</a>'));
    const links = within(root).getAllByRole('link');
    expect(links).toHaveLength(1);
    expect(links[0]!.textContent).toBe('go to https://d.example');
  });

  it('re-checks links from a stored tree and shows unsafe ones as text', () => {
    const stored: RichNode[] = [
      { tag: 'a', href: 'javascript:alert(1)', children: ['one'] },
      { tag: 'a', href: 'https://u:p@x.example', children: ['two'] },
      { tag: 'a', children: ['three'] },
    ];
    const { root } = show(stored);
    expect(root.querySelector('a')).toBeNull();
    expect(root.textContent).toBe('onetwothree');
  });

  it('shows unknown tags from a stored tree only as their text', () => {
    const stored = [{ tag: 'script', children: ['alert(1)'] }, { tag: 'img', children: [] }] as unknown as RichNode[];
    const { root } = show(stored);
    expect(root.querySelector('script, img')).toBeNull();
    expect(root.textContent).toBe('alert(1)');
  });

  it('shows mentions as pills naming the user id, not as links', () => {
    const nodes = htmlToRich('<a href="https://matrix.to/#/@anna:example.se">Anna</a> hej', {
      mentionFromHref: (href) => (href === 'https://matrix.to/#/@anna:example.se' ? '@anna:example.se' : null),
    });
    const { root } = show(nodes);
    const pill = within(root).getByText('Anna');
    expect(pill.tagName).toBe('SPAN');
    expect(pill.className).toBe('mention');
    expect(pill.getAttribute('title')).toBe('@anna:example.se');
    expect(root.querySelector('a')).toBeNull();
  });

  it('hides a spoiler behind a button that reveals it and hides it again, in Swedish too', () => {
    const { root } = show(htmlToRich('Slutet: <span data-mx-spoiler>butlern gjorde det</span>'), 'sv');
    expect(root.textContent).not.toContain('butlern');
    const button = within(root).getByRole('button', { name: 'Visa dolt innehåll' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(root.textContent).toContain('butlern gjorde det');
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(button.textContent).toBe('Dölj innehållet igen');
    expect(document.getElementById(button.getAttribute('aria-controls')!)!.textContent).toBe('butlern gjorde det');
    fireEvent.click(button);
    expect(root.textContent).not.toContain('butlern');
  });

  it('reveals a spoiler from the keyboard: a focusable native button, announced as collapsed/expanded', () => {
    const { root } = show(htmlToRich('<span data-mx-spoiler>hemligt</span>'));
    const button = within(root).getByRole('button', { name: 'Show hidden content' });
    // A real <button type="button"> without tabindex=-1 is in the tab order, and browsers turn
    // Enter/Space on it into a click (happy-dom does not simulate that step, so the click is sent here).
    expect(button.tagName).toBe('BUTTON');
    expect(button.getAttribute('type')).toBe('button');
    expect(button.hasAttribute('tabindex')).toBe(false);
    button.focus();
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    expect(root.textContent).toContain('hemligt');
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement).toBe(button);
  });

  it('keeps bidi overrides inside the dir=auto container', () => {
    const { root, container } = show(htmlToRich('<p>abc \u202Etxt.exe</p>'));
    expect(root.textContent).toBe('abc \u202Etxt.exe');
    expect(root.closest('[dir="auto"]')).toBe(root);
    const before = screen.getByTestId('before');
    const after = screen.getByTestId('after');
    expect(root.contains(before) || root.contains(after)).toBe(false);
    expect(container.textContent).toBe('beforeabc \u202Etxt.exeafter');
  });

  it('renders hostile HTML end to end without scripts, frames, images, handlers or javascript: links', () => {
    const { root, container } = show(htmlToRich(HOSTILE));
    expect(container.querySelector('script, iframe, img, svg, math, object, embed, form, input, style, base, meta, details')).toBeNull();
    for (const node of container.querySelectorAll('*')) {
      for (const attr of node.getAttributeNames()) expect(attr.startsWith('on'), `${node.tagName} ${attr}`).toBe(false);
      expect(node.getAttribute('style')).toBeNull();
    }
    expect(container.querySelector('[href^="javascript" i], [href^="data" i], [href^="vbscript" i], [src]')).toBeNull();
    expect(container.querySelector('[href*="@"]')).toBeNull();
    expect(root.textContent).toContain('js');
    expect(root.textContent).toContain('creds');
    expect(root.innerHTML).not.toMatch(/javascript:/iu);
  });

  it('renders trees at the depth and element limits without trouble', () => {
    const deep = htmlToRich(`${'<blockquote>'.repeat(300)}deep${'</blockquote>'.repeat(300)}`);
    const many = htmlToRich('<b>x</b>'.repeat(RICH_LIMITS.maxElements * 2));
    const { root } = show([...deep, ...many]);
    expect(root.querySelectorAll('blockquote')).toHaveLength(RICH_LIMITS.maxDepth);
    expect(root.querySelectorAll('strong')).toHaveLength(RICH_LIMITS.maxElements);
    expect(root.textContent).toBe(`deep${'x'.repeat(RICH_LIMITS.maxElements * 2)}`);
  });
});
