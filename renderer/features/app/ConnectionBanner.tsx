import type { ReactNode } from 'react';
import { useT } from '../../i18n';
import { useChat } from '../../state/store';
import { IconSpinner } from '../common/Icons';

export function ConnectionBanner(): ReactNode {
  const t = useT();
  const connection = useChat((s) => s.view.connection);
  const ready = useChat((s) => s.view.ready);
  const keyfile = useChat((s) => s.view.secretStorage === 'keyfile');
  return (
    <>
      <div role="status" aria-live="polite" className={connection === 'lost' || (!ready && connection === 'connecting') ? 'banner warn' : 'visually-hidden'}>
        {connection === 'lost' ? <><IconSpinner /> {t('app.connLost')}</> : !ready && connection === 'connecting' ? t('app.connecting') : ''}
      </div>
      {connection === 'unauthorized' ? <div role="alert" className="banner error">{t('app.unauthorized')}</div> : null}
      {keyfile ? <p className="banner info small-text">{t('app.keyfile')}</p> : null}
    </>
  );
}
