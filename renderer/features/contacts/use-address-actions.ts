// Chat and call with one address on one account, for every place that has an account and an
// address (the people list, directory hits). A chat never picks the account itself: the caller
// hands over exactly the one the user chose.
import type { AppErrorDto } from '../../../common/errors';
import { MEETING_WINDOW_NAME, safeMeetingUrl } from '../../../common/meetings';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useActions } from '../../state/actions';
import { useChatStore } from '../../state/store';

export interface AddressTarget {
  readonly accountId: string;
  readonly address: string;
  /** The existing direct chat on this account, if the core knows one. */
  readonly conversationId: string | null;
}

export interface AddressActions {
  readonly chat: (a: AddressTarget) => void;
  readonly call: (a: AddressTarget) => void;
}

export function useAddressActions(onError: (e: AppErrorDto | null) => void): AddressActions {
  const api = useApi();
  const store = useChatStore();
  const actions = useActions();
  return {
    chat: (a) => {
      onError(null);
      // An existing chat opens; otherwise one starts on exactly this account.
      const existing = a.conversationId !== null ? store.getState().domain.conversations[a.conversationId] : undefined;
      const p = existing
        ? actions.adopt(existing)
        : api.invoke('conversation:start', { accountId: a.accountId, address: a.address }).then((conv) => actions.adopt(conv));
      p.catch((e: unknown) => onError(toAppError(e)));
    },
    call: (a) => {
      onError(null);
      // The direct chat on this account (started if needed) gets the invitation; the meeting opens here.
      const conv = a.conversationId !== null
        ? Promise.resolve(a.conversationId)
        : api.invoke('conversation:start', { accountId: a.accountId, address: a.address }).then((c) => {
          void actions.adopt(c);
          return c.id;
        });
      conv
        .then((conversationId) => api.invoke('call:start', { conversationId }))
        .then(({ url, openIn }) => {
          const safe = safeMeetingUrl(url);
          if (safe) window.open(safe, openIn === 'browser' ? '_blank' : MEETING_WINDOW_NAME, 'noopener,noreferrer');
        })
        .catch((e: unknown) => onError(toAppError(e)));
    },
  };
}
