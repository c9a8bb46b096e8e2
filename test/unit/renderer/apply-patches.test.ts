import { describe, expect, it } from 'vitest';
import type { Patch } from '../../../common/api';
import {
  MAX_NOTICES, applyPatches, dismissNotice, emptyDomain, replaceAccountsPatches, replaceConversationsPatches,
} from '../../../renderer/state/domain';
import { account, contact, conversation, message } from './fixtures';

const conv = (id: string, at: number, accountId = 'acc1') => conversation({ id, lastActivityAt: at, accountId });

describe('applyPatches', () => {
  it('returns the same state for an empty batch', () => {
    expect(applyPatches(emptyDomain, [])).toBe(emptyDomain);
  });

  it('upserts accounts and keeps first-seen order', () => {
    let s = applyPatches(emptyDomain, [{ type: 'account', account: account({ id: 'a' }) }, { type: 'account', account: account({ id: 'b' }) }]);
    s = applyPatches(s, [{ type: 'account', account: account({ id: 'a', state: 'reconnecting' }) }]);
    expect(s.accountOrder).toEqual(['a', 'b']);
    expect(s.accounts.a!.state).toBe('reconnecting');
  });

  it('sorts conversations by last activity, newest first, and moves updated ones', () => {
    let s = applyPatches(emptyDomain, [
      { type: 'conversation', conversation: conv('x', 100) },
      { type: 'conversation', conversation: conv('y', 300) },
      { type: 'conversation', conversation: conv('z', 200) },
    ]);
    expect(s.order).toEqual(['y', 'z', 'x']);
    s = applyPatches(s, [{ type: 'conversation', conversation: conv('x', 400) }]);
    expect(s.order).toEqual(['x', 'y', 'z']);
    s = applyPatches(s, [{ type: 'conversation', conversation: conv('x', 400) }]);
    expect(s.order).toEqual(['x', 'y', 'z']);
  });

  it('breaks activity ties by id so the order is stable', () => {
    const s = applyPatches(emptyDomain, [
      { type: 'conversation', conversation: conv('b', 5) },
      { type: 'conversation', conversation: conv('a', 5) },
    ]);
    expect(s.order).toEqual(['a', 'b']);
  });

  it('re-sorts large batches correctly (10 000 conversations)', () => {
    const patches: Patch[] = [];
    for (let i = 0; i < 10_000; i++) patches.push({ type: 'conversation', conversation: conv(`c${i}`, (i * 7919) % 10_007) });
    const t0 = performance.now();
    const s = applyPatches(emptyDomain, patches);
    const ms = performance.now() - t0;
    expect(s.order).toHaveLength(10_000);
    for (let i = 1; i < s.order.length; i++) {
      expect(s.conversations[s.order[i - 1]!]!.lastActivityAt).toBeGreaterThanOrEqual(s.conversations[s.order[i]!]!.lastActivityAt);
    }
    expect(ms).toBeLessThan(1000);
    const s2 = applyPatches(s, [{ type: 'conversation', conversation: conv('c5', 999_999) }]);
    expect(s2.order[0]).toBe('c5');
    expect(s2.order).toHaveLength(10_000);
  });

  it('removes conversations with their messages', () => {
    let s = applyPatches(emptyDomain, [
      { type: 'conversation', conversation: conv('x', 1) },
      { type: 'conversation', conversation: conv('y', 2) },
      { type: 'messages', conversationId: 'x', messages: [message({ id: 'm', conversationId: 'x' })] },
    ]);
    s = applyPatches(s, [{ type: 'conversation.removed', conversationId: 'x' }]);
    expect(s.order).toEqual(['y']);
    expect(s.conversations.x).toBeUndefined();
    expect(s.messages.x).toBeUndefined();
  });

  it('orders messages by timestamp and dedupes by id', () => {
    let s = applyPatches(emptyDomain, [{
      type: 'messages', conversationId: 'c1',
      messages: [message({ id: 'b', ts: 20 }), message({ id: 'a', ts: 10 }), message({ id: 'c', ts: 30 })],
    }]);
    expect(s.messages.c1!.ids).toEqual(['a', 'b', 'c']);
    // Same ids again (reconnect replay) plus an older page (history) and a newer message.
    s = applyPatches(s, [
      { type: 'messages', conversationId: 'c1', messages: [message({ id: 'b', ts: 20, text: 'edited', editedAt: 25 })] },
      { type: 'messages', conversationId: 'c1', messages: [message({ id: 'z', ts: 1 }), message({ id: 'a', ts: 10 })] },
      { type: 'messages', conversationId: 'c1', messages: [message({ id: 'd', ts: 40 }), message({ id: 'd', ts: 40 })] },
    ]);
    expect(s.messages.c1!.ids).toEqual(['z', 'a', 'b', 'c', 'd']);
    expect(s.messages.c1!.byId.b!.text).toBe('edited');
  });

  it('orders messages with the same timestamp by the core\'s storage order, not by id', () => {
    // Archives stamp whole seconds: "Historik 2" and "Historik 10" share a second.
    const s = applyPatches(emptyDomain, [{
      type: 'messages', conversationId: 'c1',
      messages: [message({ id: 'm10', ts: 5000, seq: 10 }), message({ id: 'm2', ts: 5000, seq: 2 }), message({ id: 'm1', ts: 5000, seq: 1 })],
    }]);
    expect(s.messages.c1!.ids).toEqual(['m1', 'm2', 'm10']);
  });

  it('re-sorts when an existing message changes timestamp (server time replaces local echo)', () => {
    let s = applyPatches(emptyDomain, [{ type: 'messages', conversationId: 'c1', messages: [message({ id: 'p', ts: 50, status: 'pending' }), message({ id: 'q', ts: 40 })] }]);
    expect(s.messages.c1!.ids).toEqual(['q', 'p']);
    s = applyPatches(s, [{ type: 'messages', conversationId: 'c1', messages: [message({ id: 'p', ts: 30, status: 'sent' })] }]);
    expect(s.messages.c1!.ids).toEqual(['p', 'q']);
    expect(s.messages.c1!.byId.p!.status).toBe('sent');
  });

  it('removes messages by id and ignores unknown ids', () => {
    let s = applyPatches(emptyDomain, [{ type: 'messages', conversationId: 'c1', messages: [message({ id: 'a', ts: 1 }), message({ id: 'b', ts: 2 })] }]);
    s = applyPatches(s, [{ type: 'messages.removed', conversationId: 'c1', ids: ['a', 'nope'] }]);
    expect(s.messages.c1!.ids).toEqual(['b']);
    expect(s.messages.c1!.byId.a).toBeUndefined();
    const same = applyPatches(s, [{ type: 'messages.removed', conversationId: 'other', ids: ['x'] }]);
    expect(same.messages).toBe(s.messages);
  });

  it('removing an account drops its conversations, messages and contacts only', () => {
    let s = applyPatches(emptyDomain, [
      { type: 'account', account: account({ id: 'a1' }) },
      { type: 'account', account: account({ id: 'a2' }) },
      { type: 'conversation', conversation: conv('x', 1, 'a1') },
      { type: 'conversation', conversation: conv('y', 2, 'a2') },
      { type: 'messages', conversationId: 'x', messages: [message({ id: 'm', conversationId: 'x' })] },
      { type: 'contact', contact: contact({ id: 'k1', accountId: 'a1' }) },
      { type: 'contact', contact: contact({ id: 'k2', accountId: 'a2' }) },
    ]);
    s = applyPatches(s, [{ type: 'account.removed', accountId: 'a1' }]);
    expect(s.accountOrder).toEqual(['a2']);
    expect(s.order).toEqual(['y']);
    expect(s.messages.x).toBeUndefined();
    expect(Object.keys(s.contacts)).toEqual(['k2']);
  });

  it('upserts and removes contacts, sets own presence', () => {
    let s = applyPatches(emptyDomain, [{ type: 'contact', contact: contact({ id: 'k', presence: 'away' }) }]);
    s = applyPatches(s, [{ type: 'contact', contact: contact({ id: 'k', presence: 'dnd' }) }, { type: 'presence.own', state: 'dnd', statusText: 'I möte' }]);
    expect(s.contacts.k!.presence).toBe('dnd');
    expect(s.ownPresence).toBe('dnd');
    expect(s.ownStatusText).toBe('I möte');
    s = applyPatches(s, [{ type: 'contact.removed', contactId: 'k' }]);
    expect(s.contacts).toEqual({});
  });

  it('queues notices with ids, keeps the newest few, and dismisses them', () => {
    const notice: Patch = { type: 'notice', level: 'info', code: 'room-invite', params: { from: 'Åsa', room: 'Styrgrupp' } };
    let s = applyPatches(emptyDomain, Array.from({ length: MAX_NOTICES + 2 }, () => notice));
    expect(s.notices).toHaveLength(MAX_NOTICES);
    expect(s.notices.map((n) => n.id)).toEqual([3, 4, 5, 6, 7]);
    s = dismissNotice(s, 3);
    expect(s.notices.map((n) => n.id)).toEqual([4, 5, 6, 7]);
  });

  it('is pure: the input state is not mutated', () => {
    const s1 = applyPatches(emptyDomain, [
      { type: 'conversation', conversation: conv('x', 1) },
      { type: 'messages', conversationId: 'x', messages: [message({ id: 'a', conversationId: 'x', ts: 1 })] },
    ]);
    const frozen = JSON.stringify(s1);
    const s2 = applyPatches(s1, [
      { type: 'conversation', conversation: conv('y', 2) },
      { type: 'messages', conversationId: 'x', messages: [message({ id: 'b', conversationId: 'x', ts: 2 })] },
      { type: 'conversation.removed', conversationId: 'x' },
    ]);
    expect(JSON.stringify(s1)).toBe(frozen);
    expect(s2).not.toBe(s1);
    expect(JSON.stringify(emptyDomain)).toBe(JSON.stringify({ ...emptyDomain }));
  });

  it('replace*Patches turn a full list into removals plus upserts', () => {
    let s = applyPatches(emptyDomain, [
      { type: 'account', account: account({ id: 'old' }) },
      { type: 'conversation', conversation: conv('gone', 1) },
    ]);
    s = applyPatches(s, replaceAccountsPatches(s, [account({ id: 'new' })]));
    expect(s.accountOrder).toEqual(['new']);
    s = applyPatches(s, replaceConversationsPatches(s, [conv('kept', 2, 'new')]));
    expect(s.order).toEqual(['kept']);
  });
});
