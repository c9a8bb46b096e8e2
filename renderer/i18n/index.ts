// Typed translations: t(key, params) with `{name}` placeholders; dates via Intl (sv-SE / en-GB).
import { useCallback, useMemo } from 'react';
import type { Locale } from '../../common/api';
import type { ErrorKind } from '../../common/errors';
import { useChat } from '../state/store';
import { en } from './en';
import type { MessageKey, Params } from './keys';
import { sv } from './sv';

export type { MessageKey, Params } from './keys';

export const dictionaries: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { en, sv };

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const raw = dictionaries[locale][key];
  if (!params) return raw;
  return raw.replace(/\{(\w+)\}/gu, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export function intlLocale(locale: Locale): string {
  return locale === 'sv' ? 'sv-SE' : 'en-GB';
}

export function errorKey(kind: ErrorKind): MessageKey {
  const key: `error.${ErrorKind}` = `error.${kind}`;
  return key;
}

export interface Translator {
  readonly locale: Locale;
  t(key: MessageKey, params?: Params): string;
  time(ts: number): string;
  day(ts: number, now?: number): string;
  dateTime(ts: number): string;
  number(n: number): string;
  size(bytes: number | null): string;
}

export function makeTranslator(locale: Locale): Translator {
  const tag = intlLocale(locale);
  const timeFmt = new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit' });
  const dayFmt = new Intl.DateTimeFormat(tag, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const dtFmt = new Intl.DateTimeFormat(tag, { dateStyle: 'short', timeStyle: 'short' });
  const numFmt = new Intl.NumberFormat(tag);
  const oneDecimal = new Intl.NumberFormat(tag, { maximumFractionDigits: 1 });
  const t = (key: MessageKey, params?: Params): string => translate(locale, key, params);
  return {
    locale,
    t,
    time: (ts) => timeFmt.format(ts),
    day: (ts, now = Date.now()) => {
      const start = (d: number): number => new Date(d).setHours(0, 0, 0, 0);
      const diff = Math.round((start(now) - start(ts)) / 86_400_000);
      if (diff === 0) return t('conversation.today');
      if (diff === 1) return t('conversation.yesterday');
      return dayFmt.format(ts);
    },
    dateTime: (ts) => dtFmt.format(ts),
    number: (n) => numFmt.format(n),
    size: (bytes) => {
      if (bytes === null) return t('message.sizeUnknown');
      if (bytes < 1024) return `${numFmt.format(bytes)} B`;
      if (bytes < 1024 * 1024) return `${oneDecimal.format(bytes / 1024)} kB`;
      if (bytes < 1024 ** 3) return `${oneDecimal.format(bytes / 1024 ** 2)} MB`;
      return `${oneDecimal.format(bytes / 1024 ** 3)} GB`;
    },
  };
}

/** The translator for the current UI language. */
export function useI18n(): Translator {
  const locale = useChat((s) => s.view.locale);
  return useMemo(() => makeTranslator(locale), [locale]);
}

export function useT(): (key: MessageKey, params?: Params) => string {
  const locale = useChat((s) => s.view.locale);
  return useCallback((key: MessageKey, params?: Params) => translate(locale, key, params), [locale]);
}
