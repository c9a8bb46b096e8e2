// sanitizeFileName / guessMime (protocols/base/filenames.ts), as used for XEP-0066 / XEP-0363 names.
import { describe, it, expect } from 'vitest';
import { sanitizeFileName, guessMime } from '../../../../protocols/base/filenames';

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\System32\\drivers\\etc\\hosts', 'hosts'],
    ['/absolute/path/report.pdf', 'report.pdf'],
    ['C:\\Users\\x\\report.pdf', 'report.pdf'],
    ['..', 'file'],
    ['.', 'file'],
    ['.bashrc', 'bashrc'],
    ['...hidden.txt', 'hidden.txt'],
    ['dir/', 'file'],
  ])('strips path traversal: %p → %p', (raw, out) => {
    expect(sanitizeFileName(raw)).toBe(out);
  });

  it('removes control characters including NUL, DEL and C1', () => {
    expect(sanitizeFileName('re\u0000po\u0007rt\u001f\u007f\u0085.pdf')).toBe('report.pdf');
    expect(sanitizeFileName('a\nb\r\tc.txt')).toBe('abc.txt');
  });

  it('removes bidi overrides and isolates that could disguise the extension', () => {
    // U+202E RIGHT-TO-LEFT OVERRIDE: "invoice‮fdp.exe" displays as "invoiceexe.pdf".
    expect(sanitizeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFileName('\u2066a\u2069\u200Eb\u200F\u061C\uFEFFc.png')).toBe('abc.png');
    expect(sanitizeFileName('zero\u200Bwidth.txt')).toBe('zerowidth.txt');
  });

  it('keeps Scandinavian letters (åäö) and NFC-normalises them', () => {
    expect(sanitizeFileName('Årsrapport för väst.pdf')).toBe('Årsrapport för väst.pdf');
    // "a" + combining ring (U+030A) → "å" (U+00E5)
    expect(sanitizeFileName('la\u030Angd.txt')).toBe('l\u00E5ngd.txt');
  });

  it('replaces characters reserved on Windows', () => {
    expect(sanitizeFileName('a<b>c:d"e|f?g*h.txt')).toBe('a_b_c_d_e_f_g_h.txt');
  });

  it('trims surrounding whitespace', () => {
    expect(sanitizeFileName('   notes.txt  ')).toBe('notes.txt');
  });

  it.each(['', '   ', '\u202E', '\u0000\u0001', '/', '\\'])('falls back for the empty-after-cleaning name %p', (raw) => {
    expect(sanitizeFileName(raw)).toBe('file');
  });

  it('uses a custom fallback', () => {
    expect(sanitizeFileName('', 'attachment')).toBe('attachment');
  });

  it('shortens very long names to 200 chars, keeping a short extension', () => {
    const out = sanitizeFileName(`${'x'.repeat(500)}.jpeg`);
    expect(out).toHaveLength(200);
    expect(out.endsWith('.jpeg')).toBe(true);
  });

  it('shortens a very long name without an extension', () => {
    expect(sanitizeFileName('y'.repeat(1000))).toBe('y'.repeat(200));
  });

  it('does not treat a long "extension" as one', () => {
    const out = sanitizeFileName(`name.${'e'.repeat(300)}`);
    expect(out).toHaveLength(200);
    expect(out.startsWith('name.')).toBe(true);
  });

  it('keeps a name of exactly 200 chars unchanged', () => {
    const n = `${'z'.repeat(196)}.txt`;
    expect(sanitizeFileName(n)).toBe(n);
  });
});

describe('guessMime', () => {
  it.each([
    ['photo.JPG', 'image/jpeg'],
    ['a.png', 'image/png'],
    ['doc.pdf', 'application/pdf'],
    ['voice.m4a', 'audio/mp4'],
    ['archive.tar.gz', 'application/octet-stream'],
    ['page.html', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('%s → %s', (name, mime) => {
    expect(guessMime(name)).toBe(mime);
  });
});
