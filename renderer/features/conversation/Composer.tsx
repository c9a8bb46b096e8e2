// Composer: Enter sends, Shift+Enter adds a line, Escape cancels reply/edit, Up edits the last own
// message. Typing notifications: on while typing, off after 5 s idle or on send.
import { useEffect, useId, useRef, useState } from 'react';
import type { ChangeEvent, FormEvent, KeyboardEvent, ReactNode } from 'react';
import { MAX_UPLOAD_BYTES } from '../../../common/api';
import type { AppErrorDto } from '../../../common/errors';
import type { AccountSummary, ConversationSummary } from '../../../common/model';
import { useApi } from '../../bridge/context';
import { toAppError } from '../../bridge/errors';
import { useI18n } from '../../i18n';
import { readFileAsBase64 } from '../../lib/files';
import { useChat, useChatStore } from '../../state/store';
import { useErrorText } from '../common/ErrorText';
import { IconClip, IconSend, IconSpinner } from '../common/Icons';

export const TYPING_IDLE_MS = 5000;

export function Composer({ conversation, account }: { readonly conversation: ConversationSummary; readonly account: AccountSummary | undefined }): ReactNode {
  const { t, size } = useI18n();
  const api = useApi();
  const store = useChatStore();
  const cid = conversation.id;
  const caps = account?.capabilities;
  const draft = useChat((s) => s.view.drafts[cid] ?? '');
  const replyTo = useChat((s) => (s.view.replyTo?.conversationId === cid ? s.view.replyTo : null));
  const editing = useChat((s) => (s.view.editing?.conversationId === cid ? s.view.editing : null));
  const replyMsg = useChat((s) => (replyTo ? s.domain.messages[cid]?.byId[replyTo.messageId] : undefined));
  const editMsg = useChat((s) => (editing ? s.domain.messages[cid]?.byId[editing.messageId] : undefined));
  const setDraft = useChat((s) => s.setDraft);
  const setView = useChat((s) => s.setView);
  const errorText = useErrorText();
  const [editText, setEditText] = useState<{ id: string; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [upload, setUpload] = useState<string | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const typingOn = useRef(false);
  const hintId = useId();
  const offlineId = useId();

  const isEditing = editing !== null && editMsg !== undefined;
  const value = isEditing ? (editText?.id === editing.messageId ? editText.text : editMsg.text) : draft;

  const stopTyping = (): void => {
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = null;
    if (typingOn.current) {
      typingOn.current = false;
      void api.invoke('typing:set', { conversationId: cid, typing: false }).catch(() => undefined);
    }
  };
  const stopTypingRef = useRef(stopTyping);
  useEffect(() => {
    stopTypingRef.current = stopTyping;
  });
  // Leaving the conversation ends "typing".
  useEffect(() => () => stopTypingRef.current(), [cid]);
  // Focus the box when a reply or edit starts.
  useEffect(() => {
    if (replyTo || editing) textRef.current?.focus();
  }, [replyTo, editing]);

  const noteTyping = (): void => {
    if (!caps?.typing) return;
    if (!typingOn.current) {
      typingOn.current = true;
      void api.invoke('typing:set', { conversationId: cid, typing: true }).catch(() => undefined);
    }
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const onChange = (e: ChangeEvent<HTMLTextAreaElement>): void => {
    setError(null);
    if (isEditing) setEditText({ id: editing.messageId, text: e.target.value });
    else {
      setDraft(cid, e.target.value);
      if (e.target.value) noteTyping();
      else stopTyping();
    }
  };

  const cancel = (): void => {
    setEditText(null);
    setView({ replyTo: null, editing: null });
  };

  const submit = async (): Promise<void> => {
    const text = value.trim();
    if (!text) return;
    setError(null);
    stopTyping();
    if (isEditing) {
      const target = editing;
      cancel();
      if (text === editMsg.text) return;
      try {
        await api.invoke('message:edit', { conversationId: cid, messageId: target.messageId, text });
      } catch (e) {
        setError(t('composer.sendFailed', { reason: errorText(toAppError(e)) }));
      }
      return;
    }
    const reply = replyTo?.messageId;
    setDraft(cid, '');
    setView({ replyTo: null });
    try {
      const msg = await api.invoke('message:send', reply ? { conversationId: cid, text, replyTo: reply } : { conversationId: cid, text });
      store.getState().apply([{ type: 'messages', conversationId: cid, messages: [msg] }]);
    } catch (e) {
      // Give the text back so nothing typed is lost.
      if (!store.getState().view.drafts[cid]) setDraft(cid, text);
      setError(t('composer.sendFailed', { reason: errorText(toAppError(e)) }));
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'Escape' && (replyTo || editing)) {
      e.preventDefault();
      cancel();
    } else if (e.key === 'ArrowUp' && value === '' && caps?.edit) {
      const msgs = store.getState().domain.messages[cid];
      const lastOwn = msgs ? [...msgs.ids].reverse().map((id) => msgs.byId[id]!).find((m) => m.own && !m.deleted) : undefined;
      if (lastOwn) {
        e.preventDefault();
        setEditText({ id: lastOwn.id, text: lastOwn.text });
        setView({ editing: { conversationId: cid, messageId: lastOwn.id }, replyTo: null });
      }
    }
  };

  const onFile = async (e: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setError(null);
    if (caps && !caps.upload) {
      setError(t('composer.uploadUnsupported'));
      return;
    }
    const max = Math.min(caps?.maxUploadBytes ?? MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES);
    if (file.size > max) {
      setError(t('composer.tooLarge', { name: file.name, max: size(max) }));
      return;
    }
    setUpload(file.name);
    try {
      const dataBase64 = await readFileAsBase64(file);
      const msg = await api.invoke('file:upload', { conversationId: cid, name: file.name, mime: file.type || 'application/octet-stream', dataBase64 });
      store.getState().apply([{ type: 'messages', conversationId: cid, messages: [msg] }]);
    } catch (err) {
      const dto: AppErrorDto = toAppError(err);
      setError(t('composer.uploadFailed', { name: file.name, reason: errorText(dto) }));
    } finally {
      setUpload(null);
    }
  };

  const offline = account !== undefined && account.state !== 'connected';
  const describedBy = [hintId, offline ? offlineId : ''].filter(Boolean).join(' ');
  return (
    <form className="composer" onSubmit={(e: FormEvent) => { e.preventDefault(); void submit(); }}>
      {replyTo && replyMsg ? (
        <div className="composer-banner">
          <span>{t('composer.replyingTo', { name: '' })}<bdi dir="auto">{replyMsg.own ? t('message.you') : replyMsg.senderName}</bdi>: <bdi dir="auto" className="muted">{replyMsg.text.slice(0, 140)}</bdi></span>
          <button type="button" className="small" onClick={cancel}>{t('composer.cancelReply')}</button>
        </div>
      ) : null}
      {isEditing ? (
        <div className="composer-banner">
          <span>{t('composer.editing')}</span>
          <button type="button" className="small" onClick={cancel}>{t('composer.cancelEdit')}</button>
        </div>
      ) : null}
      {offline ? <p id={offlineId} className="composer-offline">{t('composer.offline')}</p> : null}
      {upload ? <p role="status" className="progress"><IconSpinner /> {t('composer.uploading', { name: upload })}</p> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      <div className="composer-row">
        {caps?.upload !== false ? (
          <>
            <input ref={fileRef} type="file" hidden tabIndex={-1} aria-hidden="true" onChange={(e) => void onFile(e)} />
            <button type="button" className="icon-button" aria-label={t('composer.attach')} title={t('composer.attach')} disabled={upload !== null} onClick={() => fileRef.current?.click()}>
              <IconClip />
            </button>
          </>
        ) : null}
        <textarea
          ref={textRef}
          rows={2}
          dir="auto"
          aria-label={t('composer.label')}
          placeholder={t('composer.placeholder')}
          aria-describedby={describedBy}
          value={value}
          onChange={onChange}
          onKeyDown={onKeyDown}
          maxLength={100_000}
        />
        <button type="submit" className="primary" disabled={!value.trim()}>
          <IconSend /> <span>{t('composer.send')}</span>
        </button>
      </div>
      <small id={hintId} className="muted composer-hint">{t('composer.hint')}</small>
    </form>
  );
}
