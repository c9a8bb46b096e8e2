// Message text as React text nodes only (never HTML). http(s) URLs become links that open outside
// the app. Everything sits inside <bdi dir="auto"> so bidi controls cannot reorder the UI around it.
import { useState, type MouseEvent, type ReactNode } from 'react';
import { linkify, safeHttpUrl } from '../../lib/linkify';
import { useT } from '../../i18n';

function onLinkClick(e: MouseEvent<HTMLAnchorElement>): void {
  // Double-check at click time; the Electron shell routes target=_blank to the system browser.
  if (!safeHttpUrl(e.currentTarget.href)) e.preventDefault();
}

/** Longer messages (pasted logs, a 1 MB message) start collapsed so the list stays readable. */
export const COLLAPSE_AT = 4000;

export function MessageText({ text }: { readonly text: string }): ReactNode {
  const t = useT();
  const [expanded, setExpanded] = useState(false);
  const long = text.length > COLLAPSE_AT;
  const shown = long && !expanded ? `${text.slice(0, COLLAPSE_AT)}…` : text;
  const segments = linkify(shown);
  return (
    <>
      <MessageTextBody segments={segments} t={t} />
      {long ? (
        <button type="button" className="link-button show-more" aria-expanded={expanded} onClick={() => setExpanded((v) => !v)}>
          {expanded ? t('message.showLess') : t('message.showAll', { count: text.length.toLocaleString() })}
        </button>
      ) : null}
    </>
  );
}

function MessageTextBody({ segments, t }: { readonly segments: ReturnType<typeof linkify>; readonly t: ReturnType<typeof useT> }): ReactNode {
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
