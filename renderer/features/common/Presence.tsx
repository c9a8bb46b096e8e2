// Presence shown as a shape + text, never colour alone.
import type { ReactNode } from 'react';
import type { PresenceState } from '../../../common/model';
import { useT } from '../../i18n';

const SHAPES: Record<PresenceState, ReactNode> = {
  available: <circle cx="6" cy="6" r="5" />,
  away: <path d="M6 1a5 5 0 1 0 0 10V1z" />,
  xa: <path d="M6 1a5 5 0 1 0 0 10V1z" />,
  dnd: <g><circle cx="6" cy="6" r="5" /><rect x="3" y="5" width="6" height="2" className="cut" /></g>,
  offline: <circle cx="6" cy="6" r="4" fill="none" strokeWidth="2" />,
  unknown: <circle cx="6" cy="6" r="4" fill="none" strokeWidth="2" strokeDasharray="2 2" />,
};

export function PresenceDot({ state, withText = false }: { readonly state: PresenceState; readonly withText?: boolean }): ReactNode {
  const t = useT();
  const label = t(`presence.${state}`);
  return (
    <span className={`presence presence-${state}`}>
      <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" stroke="currentColor" fill="currentColor">{SHAPES[state]}</svg>
      {withText ? <span className="presence-text">{label}</span> : <span className="visually-hidden">{label}</span>}
    </span>
  );
}
