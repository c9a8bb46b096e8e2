// Root: provides the API and store, loads the snapshot, applies pushed patches, and reloads after
// the link to the core comes back.
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiContext } from '../../bridge/context';
import type { RendererApi } from '../../bridge/types';
import { bootstrap } from '../../state/actions';
import { StoreContext, createChatStore } from '../../state/store';
import type { ChatStore } from '../../state/store';
import { Shell } from './Shell';
import { watchIdle } from './idle-presence';

export function App({ api, store: given }: { readonly api: RendererApi; readonly store?: ChatStore }): ReactNode {
  const [store] = useState<ChatStore>(() => given ?? createChatStore());

  useEffect(() => {
    const off = api.onPatches((patches) => store.getState().apply(patches));
    const load = (): void => {
      bootstrap(api, store).catch(() => {
        /* the connection banner tells the user; the next reconnect retries */
      });
    };
    let offConn: (() => void) | undefined;
    if (api.onConnectionChange) {
      offConn = api.onConnectionChange((state) => {
        store.getState().setView({ connection: state });
        // First open and every reconnect: (re)load the snapshot; patches missed meanwhile are covered.
        if (state === 'open') load();
      });
    } else {
      store.getState().setView({ connection: 'open' });
      load();
    }
    return () => {
      off();
      offConn?.();
    };
  }, [api, store]);

  useEffect(() => watchIdle(api, window), [api]);

  useEffect(() => {
    const apply = (): void => {
      document.documentElement.lang = store.getState().view.locale;
    };
    apply();
    return store.subscribe(apply);
  }, [store]);

  return (
    <ApiContext.Provider value={api}>
      <StoreContext.Provider value={store}>
        <Shell />
      </StoreContext.Provider>
    </ApiContext.Provider>
  );
}
