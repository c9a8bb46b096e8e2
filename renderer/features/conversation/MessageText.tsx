// Message text as React text nodes only (never HTML). http(s) URLs become links that open outside
// the app. Everything sits inside <bdi dir="auto"> so bidi controls cannot reorder the UI around it.
import type { MouseEvent, ReactNode } from 'react';
import { linkify, safeHttpUrl } from '../../lib/linkify';
import { useT } from '../../i18n';

function onLinkClick(e: MouseEvent<HTMLAnchorElement>): void {
  // Double-check at click time; the Electron shell routes target=_blank to the system browser.
  if (!safeHttpUrl(e.currentTarget.href)) e.preventDefault();
}

export function MessageText({ text }: { readonly text: string }): ReactNode {
  const t = useT();
  const segments = linkify(text);
  return (
    <bdi className="msg-text" dir="auto">
      {segments.map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer" onClick={onLinkClick} title={t('message.opensInBrowser')}>
            {s.text}
          </a>
        ),
      )}
    </bdi>
  );
}
