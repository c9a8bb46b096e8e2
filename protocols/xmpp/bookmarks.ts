// Room bookmarks: XEP-0402 (PEP node urn:xmpp:bookmarks:1), falling back to XEP-0048 private XML
// storage on servers without it. They are how other clients (and our next login) know which rooms
// to join.
import { xml } from './sdk';
import type { Element, XmppSession } from './sdk';
import { NS } from './ns';
import { attr, child, children, childText } from './stanza';
import { parseJid } from './jid';

export interface Bookmark {
  readonly room: string;
  readonly name: string;
  readonly autojoin: boolean;
  readonly nick?: string;
}

function publishOptions(): Element {
  const f = (v: string, val: string): Element => xml('field', { var: v }, xml('value', {}, val));
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: NS.dataForm, type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
      f('pubsub#persist_items', 'true'),
      f('pubsub#max_items', 'max'),
      f('pubsub#send_last_published_item', 'never'),
      f('pubsub#access_model', 'whitelist'),
    ),
  );
}

async function list2(session: XmppSession): Promise<Bookmark[]> {
  const res = await session.iqCaller.request(
    xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS.pubsub }, xml('items', { node: NS.bookmarks2 }))),
    10_000,
  );
  const out: Bookmark[] = [];
  for (const item of children(child(child(res, 'pubsub', NS.pubsub), 'items'), 'item')) {
    const room = parseJid(attr(item, 'id'));
    const conf = child(item, 'conference', NS.bookmarks2);
    if (!room || room.resource || !conf) continue;
    const autojoin = attr(conf, 'autojoin');
    const nick = childText(conf, 'nick');
    out.push({ room: room.bare, name: attr(conf, 'name') ?? '', autojoin: autojoin === 'true' || autojoin === '1', ...(nick ? { nick } : {}) });
  }
  return out;
}

async function listLegacy(session: XmppSession): Promise<Bookmark[]> {
  const res = await session.iqCaller.request(
    xml('iq', { type: 'get' }, xml('query', { xmlns: NS.private }, xml('storage', { xmlns: NS.bookmarksLegacy }))),
    10_000,
  );
  const storage = child(child(res, 'query', NS.private), 'storage', NS.bookmarksLegacy);
  const out: Bookmark[] = [];
  for (const conf of children(storage, 'conference')) {
    const room = parseJid(attr(conf, 'jid'));
    if (!room || room.resource) continue;
    const autojoin = attr(conf, 'autojoin');
    const nick = childText(conf, 'nick');
    out.push({ room: room.bare, name: attr(conf, 'name') ?? '', autojoin: autojoin === 'true' || autojoin === '1', ...(nick ? { nick } : {}) });
  }
  return out;
}

export async function listBookmarks(session: XmppSession, use402: boolean): Promise<Bookmark[]> {
  if (use402) {
    try {
      return await list2(session);
    } catch (e) {
      // An empty/absent node is item-not-found: no bookmarks yet.
      if ((e as { condition?: string }).condition === 'item-not-found') return [];
    }
  }
  try {
    return await listLegacy(session);
  } catch {
    return [];
  }
}

export async function addBookmark(session: XmppSession, use402: boolean, b: Bookmark): Promise<void> {
  if (use402) {
    const conf = xml(
      'conference',
      { xmlns: NS.bookmarks2, name: b.name, autojoin: b.autojoin ? 'true' : 'false' },
      ...(b.nick ? [xml('nick', {}, b.nick)] : []),
    );
    await session.iqCaller.request(
      xml(
        'iq',
        { type: 'set' },
        xml('pubsub', { xmlns: NS.pubsub }, xml('publish', { node: NS.bookmarks2 }, xml('item', { id: b.room }, conf)), publishOptions()),
      ),
      10_000,
    );
    return;
  }
  const existing = (await listLegacy(session)).filter((x) => x.room !== b.room);
  await storeLegacy(session, [...existing, b]);
}

export async function removeBookmark(session: XmppSession, use402: boolean, room: string): Promise<void> {
  if (use402) {
    await session.iqCaller.request(
      xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub }, xml('retract', { node: NS.bookmarks2, notify: 'true' }, xml('item', { id: room })))),
      10_000,
    );
    return;
  }
  const existing = (await listLegacy(session)).filter((x) => x.room !== room);
  await storeLegacy(session, existing);
}

async function storeLegacy(session: XmppSession, list: readonly Bookmark[]): Promise<void> {
  const confs = list.map((b) =>
    xml('conference', { jid: b.room, name: b.name, autojoin: b.autojoin ? 'true' : 'false' }, ...(b.nick ? [xml('nick', {}, b.nick)] : [])),
  );
  await session.iqCaller.request(
    xml('iq', { type: 'set' }, xml('query', { xmlns: NS.private }, xml('storage', { xmlns: NS.bookmarksLegacy }, ...confs))),
    10_000,
  );
}
