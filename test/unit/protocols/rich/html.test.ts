import { describe, expect, it } from 'vitest';
import { RICH_LIMITS, RICH_TAGS, richToPlainText, type RichElement } from '../../../../common/rich-text';
import { htmlToRich } from '../../../../protocols/base/rich';
import { depth, el, elements } from './trees';

const matrixTo = (href: string): string | null => {
  const m = /^https:\/\/matrix\.to\/#\/(@[^/?]+)$/u.exec(href);
  return m ? decodeURIComponent(m[1]!) : null;
};

describe('htmlToRich: ordinary formatting', () => {
  it('returns nothing for empty input', () => {
    expect(htmlToRich('')).toEqual([]);
  });

  it('keeps bold, italic, underline, strikethrough and inline code, mapping HTML synonyms', () => {
    expect(htmlToRich('<b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins> <s>x</s> <strike>y</strike> <del>d</del> <code>c</code>')).toEqual([
      el('strong', ['b']), ' ', el('strong', ['s']), ' ', el('em', ['i']), ' ', el('em', ['e']), ' ', el('u', ['u']), ' ',
      el('u', ['n']), ' ', el('del', ['x']), ' ', el('del', ['y']), ' ', el('del', ['d']), ' ', el('code', ['c']),
    ]);
  });

  it('keeps headings, paragraphs, line breaks and quotes, dropping whitespace between blocks', () => {
    const html = '<h1>Title</h1>\n  <p>First<br>second</p>\n<blockquote>\n  <p>quoted</p>\n</blockquote>\n<h6>small</h6>';
    expect(htmlToRich(html)).toEqual([
      el('h1', ['Title']),
      el('p', ['First', el('br', []), 'second']),
      el('blockquote', [el('p', ['quoted'])]),
      el('h6', ['small']),
    ]);
  });

  it('keeps lists, with an ordered list starting at the given number', () => {
    expect(htmlToRich('<ol start="7">\n<li>seven</li>\n<li>eight</li>\n</ol><ul><li>dot</li></ul>')).toEqual([
      el('ol', [el('li', ['seven']), el('li', ['eight'])], { start: 7 }),
      el('ul', [el('li', ['dot'])]),
    ]);
  });

  it('ignores list starts that are not a sensible positive number', () => {
    for (const start of ['0', '-3', '1e9', '2000000', 'abc', '1.5', '']) {
      const [list] = htmlToRich(`<ol start="${start}"><li>x</li></ol>`) as RichElement[];
      expect(list!.start).toBeUndefined();
    }
  });

  it('keeps tables with header and body rows', () => {
    const html = '<table>\n<thead><tr><th>Name</th><th>Tel</th></tr></thead>\n<tbody>\n<tr><td>Åsa</td><td>123</td></tr>\n</tbody></table>';
    expect(htmlToRich(html)).toEqual([
      el('table', [
        el('thead', [el('tr', [el('th', ['Name']), el('th', ['Tel'])])]),
        el('tbody', [el('tr', [el('td', ['Åsa']), el('td', ['123'])])]),
      ]),
    ]);
  });

  it('keeps a code block as one text node, whitespace and markup-looking text intact', () => {
    const html = '<pre><code class="language-ts">if (a &lt; b) {\n  <span class="hl">return</span> "x";\n}\n</code></pre>';
    expect(htmlToRich(html)).toEqual([el('pre', ['if (a < b) {\n  return "x";\n}'])]);
  });

  it('keeps http, https and mailto links, normalised', () => {
    expect(htmlToRich('<a href="https://example.se/a b">x</a> <a href="HTTP://Example.se">y</a> <a href="mailto:bo@example.se">z</a>')).toEqual([
      el('a', ['x'], { href: 'https://example.se/a%20b' }), ' ',
      el('a', ['y'], { href: 'http://example.se/' }), ' ',
      el('a', ['z'], { href: 'mailto:bo@example.se' }),
    ]);
  });

  it('decodes entities exactly once', () => {
    expect(htmlToRich('<p>&amp;lt;b&amp;gt; &lt;i&gt; &#229;&auml;&ouml; &nbsp;x</p>')).toEqual([el('p', ['&lt;b&gt; <i> åäö \u00a0x'])]);
  });

  it('shows a Matrix spoiler as a spoiler element and a plain span as its text', () => {
    expect(htmlToRich('<span data-mx-spoiler="reason">secret</span> <span style="color:red">red</span>')).toEqual([el('spoiler', ['secret']), ' red']);
  });

  it('unwraps div, font, details and unknown tags but keeps their text', () => {
    expect(richToPlainText(htmlToRich('<div><font color="red">a</font> <details><summary>b</summary>c</details> <blink>d</blink> <constructor>e</constructor></div>'))).toBe('a bc d e');
  });

  it('turns a matrix.to user link into a mention and leaves other links alone', () => {
    const html = '<a href="https://matrix.to/#/@bo:example.se">Bo</a>: see <a href="https://matrix.to/#/#room:example.se">room</a>';
    expect(htmlToRich(html, { mentionFromHref: matrixTo })).toEqual([
      el('mention', ['Bo'], { id: '@bo:example.se' }),
      ': see ',
      el('a', ['room'], { href: 'https://matrix.to/#/#room:example.se' }),
    ]);
  });

  it('shows an image as its alt text in brackets, or not at all', () => {
    expect(htmlToRich('<p>look <img src="mxc://x/y" alt="a cat"> <img src="mxc://x/z"></p>')).toEqual([el('p', ['look [a cat]'])]);
  });
});

describe('htmlToRich: hostile markup', () => {
  it('drops script, style, iframe and similar elements together with their content', () => {
    const html = '<p>ok</p><script>alert(1)</script><style>p{color:red}</style><iframe src="https://evil">frame</iframe>'
      + '<object data="x">obj</object><embed src="x"><noscript>ns</noscript><template>tpl</template><textarea>ta</textarea>'
      + '<select><option>opt</option></select><svg><script>alert(2)</script><text>svg</text></svg><math><mi>m</mi></math><title>t</title>';
    expect(htmlToRich(html)).toEqual([el('p', ['ok'])]);
  });

  it('keeps no attributes except the few it understands', () => {
    const tree = htmlToRich('<p onclick="alert(1)" style="x" class="c" id="i"><b onmouseover="alert(2)">x</b><a href="https://ok.se" onclick="alert(3)" target="_top">y</a></p>');
    expect(tree).toEqual([el('p', [el('strong', ['x']), el('a', ['y'], { href: 'https://ok.se/' })])]);
    expect(JSON.stringify(tree)).not.toMatch(/on(click|mouseover)|alert|style|target/u);
  });

  it('unwraps links with dangerous or relative targets to their text', () => {
    const hrefs = [
      'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'javascript&#58;alert(1)', 'javascript&colon;alert(1)',
      '&#106;avascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', 'file:///etc/passwd', '/relative', '//evil.example',
      'https://user:pw@bank.example', 'https://user@bank.example', 'ftp://x.se', 'xmpp:bo@x.se',
    ];
    for (const href of hrefs) expect(htmlToRich(`<a href="${href}">click</a>`), href).toEqual(['click']);
  });

  it('drops Matrix reply fallbacks, nested ones included', () => {
    const html = '<mx-reply><blockquote><a href="https://matrix.to/#/!r/$e">In reply to</a><mx-reply>older</mx-reply> quoted</blockquote></mx-reply>My answer';
    expect(htmlToRich(html)).toEqual(['My answer']);
  });

  it('never turns an image into anything that loads', () => {
    const tree = htmlToRich('<img src=x onerror=alert(1)><img src="https://track.example/p.gif" alt="">text');
    expect(tree).toEqual(['text']);
  });

  it('keeps bidi override characters as plain text', () => {
    expect(htmlToRich('<p>abc \u202Etxt.exe</p>')).toEqual([el('p', ['abc \u202Etxt.exe'])]);
  });

  it('does not put links or spoilers inside links', () => {
    const html = '<a href="https://a.se">x <b><a href="https://b.se">y</a></b> <span data-mx-spoiler>z</span> <i><a href="https://matrix.to/#/@bo:x.se">Bo</a></i></a>';
    expect(htmlToRich(html, { mentionFromHref: matrixTo })).toEqual([
      el('a', ['x ', el('strong', ['y']), ' z ', el('em', ['Bo'])], { href: 'https://a.se/' }),
    ]);
  });

  it('unwraps blocks placed inside inline elements and table parts outside tables', () => {
    expect(htmlToRich('<b>x<ul><li>y</li></ul></b><td>cell</td><li>item</li>')).toEqual([el('strong', ['xy']), 'cellitem']);
  });

  it('only produces allowlisted tags and attributes, whatever the input', () => {
    const soup = '<b><i><x-y a=1><a href="https://ok.se"><table><tr><td><pre><code>c</code></pre></td></tr></table></a></i></b><form><input value=1><button>b</button></form><math><mglyph/></math>';
    for (const n of elements(htmlToRich(soup))) {
      expect(RICH_TAGS).toContain(n.tag);
      expect(Object.keys(n).every((k) => ['tag', 'href', 'id', 'start', 'children'].includes(k))).toBe(true);
    }
  });
});

describe('htmlToRich: limits', () => {
  it('flattens nesting deeper than the depth limit to text', () => {
    const n = 500;
    const tree = htmlToRich(`${'<blockquote>'.repeat(n)}deep${'</blockquote>'.repeat(n)}`);
    expect(depth(tree)).toBe(RICH_LIMITS.maxDepth);
    expect(richToPlainText(tree)).toBe('deep');
  });

  it('stops creating elements at the element limit but keeps the text', () => {
    const tree = htmlToRich('<b>x</b>'.repeat(RICH_LIMITS.maxElements + 500));
    expect(elements(tree)).toHaveLength(RICH_LIMITS.maxElements);
    expect(richToPlainText(tree)).toBe('x'.repeat(RICH_LIMITS.maxElements + 500));
  });

  it('finishes quickly on a megabyte of hostile markup and still returns something', () => {
    const inputs = ['<b>'.repeat(350_000), `${'<i>'.repeat(150_000)}${'</u>'.repeat(150_000)}`, '<div>x'.repeat(200_000), 'a '.repeat(500_000)];
    for (const html of inputs) {
      const started = performance.now();
      const tree = htmlToRich(html);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(tree.length).toBeGreaterThan(0);
      expect(depth(tree)).toBeLessThanOrEqual(RICH_LIMITS.maxDepth);
    }
  });
});

describe('htmlToRich: cutting long input', () => {
  it('never splits an emoji when it cuts text at the size limit', () => {
    const text = richToPlainText(htmlToRich(`<p>${'😀'.repeat(40_000)}</p>`));
    expect(text.length).toBeGreaterThan(30_000);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/u);
  });
});
