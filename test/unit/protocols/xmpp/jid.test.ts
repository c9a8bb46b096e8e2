// parseJid / bareJid / jidLabel (protocols/xmpp/jid.ts). Examples follow RFC 7622 §3 (address
// format) and §3.1 ("the resourcepart ... can contain any Unicode code point", including '/').
import { describe, it, expect } from 'vitest';
import { parseJid, bareJid, jidLabel } from '../../../../protocols/xmpp/jid';

describe('parseJid', () => {
  it('parses a bare JID (RFC 7622 §3, localpart@domainpart)', () => {
    expect(parseJid('juliet@example.com')).toEqual({ local: 'juliet', domain: 'example.com', resource: '', bare: 'juliet@example.com' });
  });

  it('parses a full JID and keeps the resource verbatim (case is significant there)', () => {
    expect(parseJid('juliet@example.com/Balcony')).toEqual({
      local: 'juliet', domain: 'example.com', resource: 'Balcony', bare: 'juliet@example.com',
    });
  });

  it('splits on the first slash only: the resource may itself contain slashes (RFC 7622 §3.4)', () => {
    const j = parseJid('juliet@example.com/foo/bar/baz');
    expect(j?.resource).toBe('foo/bar/baz');
    expect(j?.bare).toBe('juliet@example.com');
  });

  it('allows "@" inside a resource (RFC 7622 §3.1 example example.com/foo@bar)', () => {
    const j = parseJid('example.com/foo@bar');
    expect(j).toEqual({ local: '', domain: 'example.com', resource: 'foo@bar', bare: 'example.com' });
  });

  it('parses a domain-only JID (servers, components, MUC services)', () => {
    expect(parseJid('conference.example.com')).toEqual({ local: '', domain: 'conference.example.com', resource: '', bare: 'conference.example.com' });
  });

  it('lower-cases ASCII local and domain parts but not the resource', () => {
    const j = parseJid('Juliet@EXAMPLE.Com/Balcony');
    expect(j?.local).toBe('juliet');
    expect(j?.domain).toBe('example.com');
    expect(j?.bare).toBe('juliet@example.com');
    expect(j?.resource).toBe('Balcony');
  });

  it('keeps non-ASCII local parts (åäö) and lower-cases them', () => {
    expect(parseJid('Åsa@exempel.se')?.bare).toBe('åsa@exempel.se');
  });

  it.each([
    ['empty string', ''],
    ['missing domain', 'juliet@'],
    ['missing domain with resource', 'juliet@/res'],
    ['empty resource after slash', 'juliet@example.com/'],
    ['two @ in the bare part', 'a@b@example.com'],
    ['whitespace in the domain', 'juliet@exa mple.com'],
    ['markup in the domain', 'juliet@<script>'],
    ['quote in the local part', 'ju"liet@example.com'],
    ['colon in the local part (RFC 7622 §3.3.1 disallowed)', 'ju:liet@example.com'],
    ['space in the local part', 'jul iet@example.com'],
    ['domain longer than 1023', `a@${'d'.repeat(1024)}`],
    ['whole string too long', `${'l'.repeat(1023)}@${'d'.repeat(1023)}/${'r'.repeat(1024)}`],
    ['resource longer than 1023', `a@example.com/${'r'.repeat(1024)}`],
  ])('returns null for %s', (_label, raw) => {
    expect(parseJid(raw)).toBeNull();
  });

  it.each([undefined, null, 42, {}, ['a@b'], true])('returns null for the non-string %p', (raw) => {
    expect(parseJid(raw)).toBeNull();
  });

  it('accepts parts exactly at the 1023 limit', () => {
    const j = parseJid(`${'l'.repeat(1023)}@${'d'.repeat(1023)}`);
    expect(j?.local.length).toBe(1023);
    expect(j?.domain.length).toBe(1023);
  });
});

describe('bareJid', () => {
  it('strips the resource and normalises case', () => {
    expect(bareJid('Romeo@Example.NET/orchard')).toBe('romeo@example.net');
  });
  it('returns null for invalid input instead of throwing', () => {
    expect(bareJid('romeo@')).toBeNull();
    expect(bareJid(undefined)).toBeNull();
  });
});

describe('jidLabel', () => {
  it('returns the local part of a bare JID', () => {
    expect(jidLabel('romeo@example.net')).toBe('romeo');
  });
  it('returns a domain-only JID unchanged', () => {
    expect(jidLabel('example.net')).toBe('example.net');
  });
});
