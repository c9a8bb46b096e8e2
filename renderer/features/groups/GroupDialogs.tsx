import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { AppErrorDto } from '../../../common/errors';
import type { ConversationId } from '../../../common/ids';
import type { ConversationSummary, MemberView } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useT } from '../../i18n';
import { useActions } from '../../state/actions';
import { useChat } from '../../state/store';
import { Dialog } from '../common/Dialog';
import { ErrorText } from '../common/ErrorText';
import { Avatar } from '../common/Avatar';
import { PresenceDot } from '../common/Presence';

export function AccountSelect({ value, onChange, filter }: {
  readonly value: string;
  readonly onChange: (id: string) => void;
  readonly filter?: (caps: { createRoom: boolean; contacts: boolean }) => boolean;
}): ReactNode {
  const t = useT();
  const order = useChat((s) => s.domain.accountOrder);
  const accounts = useChat((s) => s.domain.accounts);
  const ids = order.filter((id) => { const a = accounts[id]; return a && (!filter || filter(a.capabilities)); });
  return (
    <label className="field">
      <span>{t('contacts.account')}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} required>
        {ids.map((id) => <option key={id} value={id}>{accounts[id]!.label}</option>)}
      </select>
    </label>
  );
}

function useFirstAccount(): string {
  return useChat((s) => s.domain.accountOrder[0] ?? '');
}

function useSubmit(run: () => Promise<ConversationSummary>, onClose: () => void): {
  busy: boolean; error: AppErrorDto | null; submit: (e: FormEvent) => void;
} {
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppErrorDto | null>(null);
  return {
    busy,
    error,
    submit: (e) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      run().then(
        (c) => { onClose(); void actions.adopt(c); },
        (err: unknown) => { setError(toAppError(err)); setBusy(false); },
      );
    },
  };
}

export function NewGroupDialog({ onClose }: { readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const first = useFirstAccount();
  const [accountId, setAccountId] = useState(first);
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const list = members.split(/[\s,;]+/u).map((m) => m.trim()).filter(Boolean);
  const { busy, error, submit } = useSubmit(() => api.invoke('room:create', { accountId, name: name.trim(), members: list }), onClose);
  return (
    <Dialog title={t('groups.new')} onClose={onClose}>
      {first === '' ? <p>{t('groups.needAccount')}</p> : (
        <form className="form" onSubmit={submit}>
          <p className="info">{t('groups.privateInfo')}</p>
          <AccountSelect value={accountId} onChange={setAccountId} />
          <label className="field">
            <span>{t('groups.name')}</span>
            <input type="text" dir="auto" data-autofocus value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required />
          </label>
          <label className="field">
            <span>{t('groups.members')}</span>
            <textarea rows={4} spellCheck={false} value={members} onChange={(e) => setMembers(e.target.value)} />
          </label>
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy || !name.trim() || !accountId}>{t('groups.create')}</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

export function JoinRoomDialog({ onClose }: { readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const first = useFirstAccount();
  const [accountId, setAccountId] = useState(first);
  const [address, setAddress] = useState('');
  const { busy, error, submit } = useSubmit(() => api.invoke('room:join', { accountId, address: address.trim() }), onClose);
  return (
    <Dialog title={t('groups.join')} onClose={onClose}>
      {first === '' ? <p>{t('groups.needAccount')}</p> : (
        <form className="form" onSubmit={submit}>
          <AccountSelect value={accountId} onChange={setAccountId} />
          <label className="field">
            <span>{t('groups.joinAddress')}</span>
            <input type="text" spellCheck={false} data-autofocus value={address} onChange={(e) => setAddress(e.target.value)} required />
          </label>
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>{t('common.cancel')}</button>
            <button type="submit" className="primary" disabled={busy || address.trim().length < 3 || !accountId}>{t('groups.joinSubmit')}</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

export function MembersDialog({ conversationId, onClose }: { readonly conversationId: ConversationId; readonly onClose: () => void }): ReactNode {
  const t = useT();
  const api = useApi();
  const title = useChat((s) => s.domain.conversations[conversationId]?.title ?? '');
  const accountId = useChat((s) => s.domain.conversations[conversationId]?.accountId);
  const [members, setMembers] = useState<readonly MemberView[] | null>(null);
  const [error, setError] = useState<AppErrorDto | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('conversation:members', { conversationId }).then(
      (m) => { if (live) setMembers(m); },
      (e: unknown) => { if (live) setError(toAppError(e)); },
    );
    return () => { live = false; };
  }, [api, conversationId]);
  return (
    <Dialog title={t('groups.membersTitle', { title })} onClose={onClose}>
      <ErrorText error={error} />
      {members === null && !error ? <p role="status">{t('common.loading')}</p> : null}
      {members && members.length === 0 ? <p>{t('groups.noMembers')}</p> : null}
      {members && members.length > 0 ? (
        <ul className="member-list">
          {members.map((m) => (
            <li key={m.id}>
              {accountId ? <Avatar accountId={accountId} avatar={m.avatar} name={m.name || m.id} size={24} /> : null}
              <PresenceDot state={m.presence} />
              <bdi dir="auto">{m.name || m.id}</bdi>
              {m.role ? <span className="badge">{m.role}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Dialog>
  );
}
