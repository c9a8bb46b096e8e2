import { describe, expect, it } from 'vitest';
import { RICH_LIMITS, richToPlainText, type RichElement } from '../../../../common/rich-text';
import { htmlToRich, markdownToHtml, markdownToRich } from '../../../../protocols/base/rich';
import { depth, el } from './trees';

const users: Readonly<Record<string, string>> = { anna: 'uid-anna', 'bo.berg': 'uid-bo' };
const mentionNames = (name: string): string | null => (Object.hasOwn(users, name) ? users[name]! : null);
const matrixTo = (href: string): string | null => /^https:\/\/matrix\.to\/#\/(@[^/?]+)$/u.exec(href)?.[1] ?? null;

describe('markdownToHtml (what we send as Matrix formatted_body)', () => {
  it('sends no formatted body for plain text, line breaks or a bare URL', () => {
    for (const text of ['', 'hello', 'två\nrader', 'see https://example.se/a?b=1 now', 'a.b@example.se www.example.se', '1 + 2 = 3', 'åäö :)']) {
      expect(markdownToHtml(text), text).toBeNull();
    }
  });

  it('renders emphasis, code and strikethrough', () => {
    expect(markdownToHtml('**bold** _it_ `code` ~~gone~~')).toBe('<p><strong>bold</strong> <em>it</em> <code>code</code> <s>gone</s></p>\n');
  });

  it('escapes HTML typed by the user instead of passing it through', () => {
    const html = markdownToHtml('**hi** <b>not bold</b> <script>alert(1)</script>')!;
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<b>|<script/u);
  });

  it('turns single newlines into line breaks once the text has formatting', () => {
    expect(markdownToHtml('*a*\nb')).toBe('<p><em>a</em><br>\nb</p>\n');
  });

  it('renders headings, quotes, lists with a start number, tables and fenced code', () => {
    const html = markdownToHtml('# Rubrik\n\n> citat\n\n3. tre\n4. fyra\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nlet x = 1 < 2;\n```')!;
    expect(html).toContain('<h1>Rubrik</h1>');
    expect(html).toContain('<blockquote>\n<p>citat</p>\n</blockquote>');
    expect(html).toContain('<ol start="3">');
    expect(html).toContain('<th>a</th>');
    expect(html).toContain('<pre><code class="language-js">let x = 1 &lt; 2;\n</code></pre>');
  });

  it('links only to http(s) and mailto targets; other targets stay text', () => {
    expect(markdownToHtml('[ok](https://example.se)')).toBe('<p><a href="https://example.se">ok</a></p>\n');
    for (const bad of ['[x](javascript:alert(1))', '[x](data:text/html,hi)', '[x](vbscript:y)', '[x](/relative)']) {
      expect(markdownToHtml(bad), bad).toBeNull();
    }
  });

  it('does not render images (they would make receivers fetch the URL)', () => {
    expect(markdownToHtml('![tracker](https://evil.example/p.gif)')).not.toContain('<img');
  });

  it('sends no formatted body for texts over the cap rather than a cut one', () => {
    expect(markdownToHtml(`**x** ${'a'.repeat(70_000)}`)).toBeNull();
  });
});

describe('markdownToRich (showing Mattermost and Rocket.Chat messages)', () => {
  it('returns undefined for plain text, so the plain text is shown', () => {
    expect(markdownToRich('hello @nobody, see https://example.se', { mentionNames })).toBeUndefined();
  });

  it('turns formatting into the rich tree', () => {
    expect(markdownToRich('**fet** och *kursiv*\n- ett\n- två')).toEqual([
      el('p', [el('strong', ['fet']), ' och ', el('em', ['kursiv'])]),
      el('ul', [el('li', ['ett']), el('li', ['två'])]),
    ]);
  });

  it('keeps a code block as its text and does not format inside it', () => {
    expect(markdownToRich('```\n**not bold** @anna <i>\n```', { mentionNames })).toEqual([el('pre', ['**not bold** @anna <i>'])]);
  });

  it('shows typed HTML as text', () => {
    expect(markdownToRich('*x* <img src=x onerror=alert(1)> <a href="javascript:alert(1)">y</a>')).toEqual([
      el('p', [el('em', ['x']), ' <img src=x onerror=alert(1)> <a href="javascript:alert(1)">y</a>']),
    ]);
  });

  it('turns known @names into mentions, but not in code, links or e-mail addresses', () => {
    const tree = markdownToRich('hej @anna och @bo.berg. `@anna` [@anna](https://x.se) anna@anna.se @okänd', { mentionNames });
    expect(tree).toEqual([
      el('p', [
        'hej ', el('mention', ['@anna'], { id: 'uid-anna' }), ' och ', el('mention', ['@bo.berg'], { id: 'uid-bo' }), '. ',
        el('code', ['@anna']), ' ', el('a', ['@anna'], { href: 'https://x.se/' }), ' anna@anna.se @okänd',
      ]),
    ]);
  });

  it('counts a mention as formatting even in otherwise plain text', () => {
    expect(markdownToRich('tack @anna', { mentionNames })).toEqual([el('p', ['tack ', el('mention', ['@anna'], { id: 'uid-anna' })])]);
    expect(markdownToRich('tack https://matrix.to/#/@anna:x.se', { mentionFromHref: matrixTo })).toEqual([
      el('p', ['tack ', el('mention', ['https://matrix.to/#/@anna:x.se'], { id: '@anna:x.se' })]),
    ]);
  });

  it('cannot forge a mention through typed markup', () => {
    const tree = markdownToRich('*x* <samverka-mention data-id="admin">@admin</samverka-mention>', { mentionNames: () => null });
    expect(JSON.stringify(tree)).not.toContain('"mention"');
    expect(htmlToRich('<samverka-mention data-id="admin">@admin</samverka-mention>')).toEqual(['@admin']);
  });

  it('survives hostile input: deep quotes and lists, emphasis runs, a megabyte of text', () => {
    const inputs = [
      '>'.repeat(1 << 20) + ' x',
      `${'> - '.repeat(5000)}deep\n`.repeat(50),
      '*a'.repeat(1 << 19),
      '**_'.repeat(350_000),
      '['.repeat(1 << 20),
      `**start** ${'x'.repeat(1 << 20)}`,
      '@anna '.repeat(200_000),
    ];
    for (const md of inputs) {
      const started = performance.now();
      const tree = markdownToRich(md, { mentionNames });
      expect(performance.now() - started, md.slice(0, 12)).toBeLessThan(3000);
      if (tree) expect(depth(tree)).toBeLessThanOrEqual(RICH_LIMITS.maxDepth);
    }
    // A megabyte of formatted text still shows its beginning, formatted.
    const big = markdownToRich(`**start** ${'x'.repeat(1 << 20)}`)!;
    const first = big[0] as RichElement;
    expect(first.tag).toBe('p');
    expect(first.children[0]).toEqual(el('strong', ['start']));
    expect(richToPlainText(big).length).toBeGreaterThan(60_000);
  });
});
