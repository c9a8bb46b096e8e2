import type { ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import { errorKey, useT } from '../../i18n';

/** The translated text for an error (by kind), plus a retry hint for rate limits. */
export function useErrorText(): (e: AppErrorDto) => string {
  const t = useT();
  return (e) => {
    const base = t(errorKey(e.kind));
    if (e.kind === 'rate_limited' && e.retryAfterMs !== undefined) {
      return `${base} ${t('error.retryIn', { seconds: Math.ceil(e.retryAfterMs / 1000) })}`;
    }
    return base;
  };
}

export function ErrorText({ error, id }: { readonly error: AppErrorDto | null; readonly id?: string }): ReactNode {
  const text = useErrorText();
  if (!error) return null;
  return <p className="error" role="alert" id={id}>{text(error)}</p>;
}
