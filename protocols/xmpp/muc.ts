// XEP-0045 multi-user chat: joining (waiting for our self-presence), configuring a new room through
// the muc#owner form, affiliations and invitations. Occupant tracking lives in the adapter.
import { xml } from './sdk';
import type { Element, XmppSession } from './sdk';
import { NS } from './ns';
import { attr, child, children } from './stanza';
import { parseJid } from './jid';
import { AppError } from '../../common/errors';
import { toAppError } from './errors';

export interface JoinResult {
  readonly created: boolean;
  readonly nick: string;
}

/** Join a room and wait for our own presence (status 110) or an error presence. */
export async function joinRoom(session: XmppSession, room: string, nick: string, timeoutMs = 15_000): Promise<JoinResult> {
  const entity = session.entity;
  return new Promise<JoinResult>((resolve, reject) => {
    const timer = setTimeout(() => finish(new AppError('timeout', `joining ${room} timed out`)), timeoutMs);
    function finish(result: JoinResult | AppError): void {
      clearTimeout(timer);
      entity.removeListener('stanza', onStanza as (...args: never[]) => void);
      if (result instanceof AppError) reject(result);
      else resolve(result);
    }
    function onStanza(stanza: Element): void {
      if (!stanza.is('presence')) return;
      const from = parseJid(attr(stanza, 'from'));
      if (!from || from.bare !== room) return;
      if (attr(stanza, 'type') === 'error') {
        const err = child(stanza, 'error');
        const condition = err?.getChildElements()[0]?.name ?? 'undefined-condition';
        const kind = condition === 'registration-required' || condition === 'forbidden' || condition === 'not-authorized' ? 'forbidden'
          : condition === 'conflict' ? 'conflict'
          : condition === 'item-not-found' ? 'not_found'
          : 'server';
        finish(new AppError(kind, `cannot join ${room}: ${condition}`));
        return;
      }
      const x = child(stanza, 'x', NS.mucUser);
      const codes = children(x, 'status').map((s) => attr(s, 'code'));
      if (!codes.includes('110')) return;
      finish({ created: codes.includes('201'), nick: from.resource || nick });
    }
    entity.on('stanza', onStanza as (...args: never[]) => void);
    // No room history on join: history comes from MAM (getHistory/catch-up), once and paged.
    entity
      .send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS.muc }, xml('history', { maxstanzas: '0' }))))
      .catch((e: unknown) => finish(toAppError(e, 'join')));
  });
}

/**
 * The room's human name from its disco#info identity (XEP-0045 §6.4), or '' when it has none or
 * the query fails — the caller then falls back to the address.
 */
export async function roomName(session: XmppSession, room: string): Promise<string> {
  try {
    const res = await session.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS.discoInfo })), 10_000);
    const identity = children(child(res, 'query', NS.discoInfo), 'identity').find((i) => attr(i, 'category') === 'conference');
    return (attr(identity, 'name') ?? '').trim().slice(0, 200);
  } catch {
    return '';
  }
}

export async function leaveRoom(session: XmppSession, room: string, nick: string): Promise<void> {
  await session.entity.send(xml('presence', { to: `${room}/${nick}`, type: 'unavailable' }));
}

/** Configure a freshly created (locked) room: private, members-only, persistent, archived. */
export async function configureRoom(session: XmppSession, room: string, name: string): Promise<void> {
  // Read the form first so we only submit fields this server knows.
  const res = await session.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS.mucOwner })), 10_000);
  const form = child(child(res, 'query', NS.mucOwner), 'x', NS.dataForm);
  const known = new Set(children(form, 'field').map((f) => attr(f, 'var')));
  const wanted: Record<string, string> = {
    'muc#roomconfig_roomname': name,
    'muc#roomconfig_membersonly': '1',
    'muc#roomconfig_persistentroom': '1',
    'muc#roomconfig_publicroom': '0',
    'muc#roomconfig_whois': 'anyone',
    'muc#roomconfig_enablearchiving': '1',
    'muc#roomconfig_allowinvites': '0',
  };
  const fields = [xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig'))];
  for (const [k, v] of Object.entries(wanted)) if (known.has(k)) fields.push(xml('field', { var: k }, xml('value', {}, v)));
  await session.iqCaller.request(
    xml('iq', { type: 'set', to: room }, xml('query', { xmlns: NS.mucOwner }, xml('x', { xmlns: NS.dataForm, type: 'submit' }, ...fields))),
    10_000,
  );
}

export async function setAffiliations(session: XmppSession, room: string, jids: readonly string[], affiliation: 'member' | 'none'): Promise<void> {
  if (jids.length === 0) return;
  await session.iqCaller.request(
    xml('iq', { type: 'set', to: room }, xml('query', { xmlns: NS.mucAdmin }, ...jids.map((jid) => xml('item', { jid, affiliation })))),
    10_000,
  );
}

/** Affiliation list (needs admin/owner rights; members may get forbidden). */
export async function getAffiliations(session: XmppSession, room: string, affiliation: string): Promise<{ jid: string; nick: string }[]> {
  const res = await session.iqCaller.request(
    xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS.mucAdmin }, xml('item', { affiliation }))),
    10_000,
  );
  return children(child(res, 'query', NS.mucAdmin), 'item')
    .map((i) => ({ jid: parseJid(attr(i, 'jid'))?.bare ?? '', nick: attr(i, 'nick') ?? '' }))
    .filter((i) => i.jid !== '');
}

/** Mediated invitation (§7.8.2): goes through the room, which can add membership. */
export async function invite(session: XmppSession, room: string, jid: string, reason: string): Promise<void> {
  await session.entity.send(
    xml('message', { to: room }, xml('x', { xmlns: NS.mucUser }, xml('invite', { to: jid }, xml('reason', {}, reason)))),
  );
}

/** Room address local part from a human name: readable and unique enough. */
export function roomLocalPart(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // "Älv" → "alv", not "a-lv"
    .replace(/[^\w-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 32);
  const rand = Math.random().toString(36).slice(2, 8);
  return `${slug || 'room'}-${rand}`;
}
