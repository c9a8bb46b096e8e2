import type { ReactNode } from 'react';
import { LOCALES } from '../../../common/api';
import type { Locale } from '../../../common/api';
import { useApi } from '../../bridge/context';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';

export function LanguageSwitch(): ReactNode {
  const t = useT();
  const api = useApi();
  const locale = useChat((s) => s.view.locale);
  const setView = useChat((s) => s.setView);
  return (
    <label className="inline-field language">
      <span>{t('settings.language')}</span>
      <select
        value={locale}
        onChange={(e) => {
          const next = e.target.value as Locale;
          setView({ locale: next });
          void api.invoke('settings:setLocale', { locale: next }).catch(() => undefined);
        }}
      >
        {LOCALES.map((l) => <option key={l} value={l} lang={l}>{t(`settings.lang.${l}`)}</option>)}
      </select>
    </label>
  );
}
