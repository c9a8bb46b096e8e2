import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import type { ReactionView } from '../../../common/model';
import { useT } from '../../i18n';

/** A handful of common emoji, bundled (no emoji service, no network). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉', '✅', '👀'] as const;

export function ReactionChips({ reactions, enabled, onToggle }: {
  readonly reactions: readonly ReactionView[];
  readonly enabled: boolean;
  readonly onToggle: (key: string, on: boolean) => void;
}): ReactNode {
  const t = useT();
  if (reactions.length === 0) return null;
  return (
    <div className="reactions">
      {reactions.map((r) => (
        <button
          key={r.key}
          type="button"
          className={`chip${r.mine ? ' mine' : ''}`}
          aria-pressed={r.mine}
          disabled={!enabled}
          aria-label={t('message.reaction', { key: r.key, count: r.count, names: r.senders.join(', ') })}
          onClick={() => onToggle(r.key, !r.mine)}
        >
          <span aria-hidden="true">{r.key} {r.count}</span>
        </button>
      ))}
    </div>
  );
}

export function ReactionPicker({ onPick, onClose }: { readonly onPick: (key: string) => void; readonly onClose: () => void }): ReactNode {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
  }, []);
  return (
    <div
      ref={ref}
      className="reaction-picker"
      role="group"
      aria-label={t('message.reactionPicker')}
      onKeyDown={(e) => {
        if (e.key === 'Escape') { e.stopPropagation(); onClose(); return; }
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        const items = [...(ref.current?.querySelectorAll('button') ?? [])];
        const i = items.indexOf(document.activeElement as HTMLButtonElement);
        items[(i + (e.key === 'ArrowRight' ? 1 : -1) + items.length) % items.length]?.focus();
        e.preventDefault();
      }}
    >
      {QUICK_REACTIONS.map((k) => (
        <button key={k} type="button" className="chip" aria-label={t('message.addReaction', { key: k })} onClick={() => { onPick(k); onClose(); }}>
          <span aria-hidden="true">{k}</span>
        </button>
      ))}
      <button type="button" className="icon-button small" aria-label={t('common.close')} onClick={onClose}>×</button>
    </div>
  );
}
