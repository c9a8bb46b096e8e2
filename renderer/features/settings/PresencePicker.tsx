// Own presence for all accounts at once (presence:set). The core answers with a presence.own patch.
import { useState } from 'react';
import type { ReactNode } from 'react';
import { OWN_PRESENCE_STATES } from '../../../common/model';
import type { OwnPresenceState } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { PresenceDot } from '../common/Presence';

export function PresencePicker(): ReactNode {
  const t = useT();
  const api = useApi();
  const state = useChat((s) => s.domain.ownPresence);
  const statusText = useChat((s) => s.domain.ownStatusText);
  const apply = useChat((s) => s.apply);
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? statusText;

  const set = (next: OwnPresenceState, nextText: string): void => {
    apply([{ type: 'presence.own', state: next, statusText: nextText }]);
    void api.invoke('presence:set', { state: next, statusText: nextText }).catch(() => undefined);
  };

  return (
    <div className="presence-picker">
      <label className="inline-field">
        <PresenceDot state={state} />
        <span className="visually-hidden">{t('presence.label')}</span>
        <select aria-label={t('presence.label')} value={state} onChange={(e) => set(e.target.value as OwnPresenceState, text)}>
          {OWN_PRESENCE_STATES.map((p) => <option key={p} value={p}>{t(`presence.${p}`)}</option>)}
        </select>
      </label>
      <input
        type="text"
        className="status-text"
        aria-label={t('presence.statusText')}
        placeholder={t('presence.statusText')}
        maxLength={200}
        dir="auto"
        value={text}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter') e.currentTarget.blur(); }}
        onBlur={() => {
          if (draft !== null && draft !== statusText) set(state, draft);
          setDraft(null);
        }}
      />
    </div>
  );
}
