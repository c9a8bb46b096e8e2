import { describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../../common/errors';
import { dictionaries, errorKey, makeTranslator, translate } from '../../../renderer/i18n';
import { en } from '../../../renderer/i18n/en';
import { sv } from '../../../renderer/i18n/sv';
import { defaultLocale } from '../../../renderer/state/store';

describe('i18n', () => {
  it('Swedish and English have identical key sets and no empty texts', () => {
    expect(Object.keys(sv).sort()).toEqual(Object.keys(en).sort());
    for (const dict of Object.values(dictionaries)) for (const v of Object.values(dict)) expect(v.trim()).not.toBe('');
  });

  it('uses the same placeholders in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/gu)].map((m) => m[1]).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(names(sv[k])).toEqual(names(en[k]));
  });

  it('has a text for every error kind', () => {
    for (const kind of ERROR_KINDS) {
      expect(translate('en', errorKey(kind))).toBeTruthy();
      expect(translate('sv', errorKey(kind))).toBeTruthy();
    }
    expect(translate('sv', 'error.auth')).toBe('Fel användarnamn eller lösenord.');
    expect(translate('en', 'error.network')).toBe('The server cannot be reached.');
  });

  it('fills parameters and keeps åäö', () => {
    expect(translate('sv', 'inbox.unread', { count: 3 })).toBe('3 olästa');
    expect(translate('en', 'notice.room-invite', { from: 'Åsa Öberg', room: 'Äldreomsorg' })).toBe('Åsa Öberg invited you to Äldreomsorg.');
  });

  it('defaults to Swedish only for sv* browser languages', () => {
    expect(defaultLocale('sv-SE')).toBe('sv');
    expect(defaultLocale('sv')).toBe('sv');
    expect(defaultLocale('en-US')).toBe('en');
    expect(defaultLocale('fi-FI')).toBe('en');
    expect(defaultLocale(undefined)).toBe('en');
  });

  it('formats numbers and sizes per locale', () => {
    expect(makeTranslator('sv').size(1536)).toBe('1,5 kB');
    expect(makeTranslator('en').size(1536)).toBe('1.5 kB');
  });
});
