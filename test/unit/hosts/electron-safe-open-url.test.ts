import { describe, expect, it, vi } from 'vitest';
import { checkExternalUrl, safeOpenUrl } from '../../../main/electron/safe-open-url';

describe('safeOpenUrl', () => {
  it.each(['https://example.org/a?b=c#d', 'http://intranet.example/', 'mailto:anna@myndighet.se'])('opens %s', (url) => {
    const open = vi.fn(() => Promise.resolve());
    expect(safeOpenUrl(url, open)).toBe(true);
    expect(open).toHaveBeenCalledWith(new URL(url).href);
  });

  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'file:///etc/passwd',
    'app://samverka/index.html',
    'app://other/',
    'data:text/html,hi',
    'vbscript:x',
    'ms-msdt:/id',
    'smb://host/share',
    'https://user:pw@example.org/',
    'https://' + 'a'.repeat(5000) + '.example/',
    'mailto:',
    '',
    '/relative',
  ])('refuses %s', (url) => {
    const open = vi.fn(() => Promise.resolve());
    expect(safeOpenUrl(url, open)).toBe(false);
    expect(open).not.toHaveBeenCalled();
    expect(checkExternalUrl(url)).toBeNull();
  });

  it('swallows a failing opener', async () => {
    const open = vi.fn(() => Promise.reject(new Error('no handler')));
    expect(safeOpenUrl('https://example.org/', open)).toBe(true);
    await Promise.resolve();
  });
});
