import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeSnippet, matchRanges, queryTerms, toFtsQuery } from '../../../main/core/search/fts-query';
import { Store } from '../../../main/core/store/store';
import { cleanupDirs, tempDir } from './harness';

afterEach(cleanupDirs);

describe('search query escaping', () => {
  it('never hands FTS5 syntax through: quotes, operators and stars are plain text', () => {
    const s = new Store(join(tempDir(), 'p.db'));
    for (const q of ['"', 'AND(', '*', 'NEAR(a b)', 'a OR', '-x', 'col:val', '^start', '(((', "it's", 'a"b']) {
      const fts = toFtsQuery(q);
      if (fts !== null) expect(() => s.ftsCount(fts)).not.toThrow();
    }
    expect(toFtsQuery('"')).toBeNull();
    expect(toFtsQuery('*')).toBeNull();
    expect(toFtsQuery('AND(')).toBe('"and"*');
    s.close();
  });

  it('turns words into lower-case prefix terms', () => {
    expect(queryTerms('Möte  MÖTE budget')).toEqual(['möte', 'budget']);
    expect(toFtsQuery('Åsa kaffe')).toBe('"åsa"* "kaffe"*');
  });

  it('marks matches by character ranges, without folding diacritics', () => {
    const text = 'Åsa and Asa met';
    expect(matchRanges(text, ['åsa'])).toEqual([[0, 3]]);
    expect(matchRanges(text, ['asa'])).toEqual([[8, 11]]);
  });

  it('cuts long texts to a window around the first match and shifts the ranges into it', () => {
    const text = `${'lorem '.repeat(60)}budget ${'ipsum '.repeat(60)}`;
    const { snippet, matches } = makeSnippet(text, ['budget']);
    expect(snippet.length).toBeLessThanOrEqual(122);
    expect(matches).toHaveLength(1);
    const [s, e] = matches[0]!;
    expect(snippet.slice(s, e)).toBe('budget');
  });
});
