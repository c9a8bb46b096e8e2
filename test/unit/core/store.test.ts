import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Store } from '../../../main/core/store/store';
import { MIGRATIONS, schemaVersion } from '../../../main/core/store/migrations';
import { conversationIdFor, messageIdFor } from '../../../main/core/ids';
import { toFtsQuery } from '../../../main/core/search/fts-query';
import { cleanupDirs, tempDir } from './harness';
import { People } from '../../../main/core/people/people';

afterEach(cleanupDirs);

function seed(store: Store, texts: string[], v1 = false): string[] {
  // Raw SQL: this also has to work on a v1 profile, which lacks later columns.
  store.db.prepare(`INSERT INTO accounts (id, protocol, address, server, created_at) VALUES ('a1', 'xmpp', 'a@x', 'x', 1)`).run();
  const conv = conversationIdFor('a1', 'bob@x');
  if (v1) store.db.prepare(`INSERT INTO conversations (id, account_id, native_id, kind, title) VALUES (?, 'a1', 'bob@x', 'direct', 'Bob')`).run(conv);
  else store.upsertConversation({ id: conv, account_id: 'a1', native_id: 'bob@x', kind: 'direct', title: 'Bob', is_private: 0, last_activity_at: 0 });
  return texts.map((text, i) => {
    const id = messageIdFor(conv, `m${i}`);
    if (v1) {
      store.db.prepare(`INSERT INTO messages (id, conversation_id, native_id, sender_id, sender_name, ts, text, status) VALUES (?, ?, ?, 'bob@x', 'Bob', ?, ?, 'received')`).run(id, conv, `m${i}`, 1000 + i, text);
      return id;
    }
    store.insertMessage({
      id, conversation_id: conv, native_id: `m${i}`, sender_id: 'bob@x', sender_name: 'Bob', own: 0, ts: 1000 + i, text,
      edited_at: null, deleted: 0, reply_to: null, attachments: '[]', refs: '{}', status: 'received', mentions_me: 0, client_txn_id: null, cursor: null,
    });
    return id;
  });
}

const hits = (store: Store, q: string): string[] => store.searchMessages(toFtsQuery(q)!, undefined, 50).map((r) => r.text);

describe('store', () => {
  it('migrates a v1 profile to the current schema and indexes its old messages for search', () => {
    const file = join(tempDir(), 'p.db');
    const v1 = new Store(file, { migrateUpTo: 1 });
    expect(schemaVersion(v1.db)).toBe(1);
    seed(v1, ['Protokoll från mötet i tisdags'], true);
    v1.close();

    const current = new Store(file);
    expect(schemaVersion(current.db)).toBe(MIGRATIONS.length);
    expect(hits(current, 'mötet')).toEqual(['Protokoll från mötet i tisdags']);
    expect(current.getAccount('a1')?.self_id).toBeNull(); // column added by v2
    current.close();
  });

  it('migrates a v2 profile to integer message keys, keeping messages, reactions, search and dedupe', () => {
    const file = join(tempDir(), 'p.db');
    const v1 = new Store(file, { migrateUpTo: 1 });
    const [a, b] = seed(v1, ['budget draft', 'lunch tomorrow'], true);
    v1.db.prepare(`INSERT INTO reactions (message_id, sender_id, key) VALUES (?, 'bob@x', '👍')`).run(a!);
    v1.close();
    const v2 = new Store(file, { migrateUpTo: 2 }); // builds the FTS index
    expect(schemaVersion(v2.db)).toBe(2);
    v2.close();

    const s = new Store(file);
    expect(schemaVersion(s.db)).toBe(MIGRATIONS.length);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.getMessage(a!)?.text).toBe('budget draft');
    expect(s.reactionsFor([a!])).toEqual([{ message_id: a, sender_id: 'bob@x', key: '👍' }]);
    expect(hits(s, 'lunch')).toEqual(['lunch tomorrow']);
    s.editMessage(b!, 'dinner tomorrow', null, 3000);
    expect(s.ftsCount('"lunch"')).toBe(0);
    expect(hits(s, 'dinner')).toEqual(['dinner tomorrow']);
    // Dedupe by (conversation, native id) and by client transaction id survives the rebuild.
    const conv = conversationIdFor('a1', 'bob@x');
    const row = { ...s.getMessage(a!)! } as Record<string, unknown>;
    delete row.seq;
    expect(() => s.insertMessage(row as never)).toThrow(/UNIQUE/);
    const pending = { ...row, id: `${conv}#t1`, native_id: null, client_txn_id: 't1', text: 'pending' };
    s.insertMessage(pending as never);
    expect(s.getMessage(`${conv}#t1`)?.client_txn_id).toBe('t1');
    expect(() => s.insertMessage(pending as never)).toThrow(/UNIQUE/);
    // A new conversation gets the next integer key.
    s.upsertConversation({ id: conversationIdFor('a1', 'eve@x'), account_id: 'a1', native_id: 'eve@x', kind: 'direct', title: 'Eve', is_private: 0, last_activity_at: 0 });
    expect(s.db.prepare('SELECT count(DISTINCT conv_key) AS n FROM conversations').get()).toEqual({ n: 2 });
    s.deleteMessage(a!);
    expect(s.getMessage(a!)).toBeUndefined();
    expect(s.reactionsFor([a!])).toEqual([]);
    expect(hits(s, 'budget')).toEqual([]);
    s.close();
  });

  it('upgrades a v5 profile with people: every contact and direct-chat peer becomes a person, merges then persist', () => {
    const file = join(tempDir(), 'p.db');
    const v5 = new Store(file, { migrateUpTo: 5 });
    seed(v5, ['Hej']); // account a1 (XMPP a@x) with a direct chat with bob@x
    v5.db.prepare(`INSERT INTO contacts (account_id, address, name, subscription) VALUES ('a1', 'carl@x', 'Carl', 'both'), ('a1', 'req@y', '', 'pending-in')`).run();
    expect(v5.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'people'`).get()).toBeUndefined();
    v5.close();

    const s = new Store(file);
    expect(schemaVersion(s.db)).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(6);
    const people = new People(s).list();
    // A subscription request is not a person until it is accepted.
    expect(people.map((p) => [p.name, p.addresses.map((a) => a.address)])).toEqual([['Bob', ['bob@x']], ['Carl', ['carl@x']]]);
    expect(people[0]!.addresses[0]!.conversationId).toBe(conversationIdFor('a1', 'bob@x'));
    const merged = new People(s).merge(people.map((p) => p.id));
    s.close();

    const again = new Store(file);
    expect(new People(again).list()).toEqual([{ ...merged, addresses: merged.addresses }]);
    expect(merged.addresses.map((a) => a.address)).toEqual(['bob@x', 'carl@x']);
    again.close();
  });

  it('refuses message ids that are not derived from the conversation and native or client transaction id', () => {
    const s = new Store(join(tempDir(), 'p.db'));
    const [a] = seed(s, ['hello']);
    const row = { ...s.getMessage(a!)!, id: 'something-else', native_id: 'other' } as Record<string, unknown>;
    delete row.seq;
    expect(() => s.insertMessage(row as never)).toThrow(/not derived/);
    s.close();
  });

  it('refuses to open a profile written by a newer build', () => {
    const file = join(tempDir(), 'p.db');
    const s = new Store(file);
    s.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    s.close();
    expect(() => new Store(file)).toThrow(/newer/);
  });

  it('searches case-insensitively but keeps å, ä and ö distinct from a and o', () => {
    const s = new Store(join(tempDir(), 'p.db'));
    seed(s, ['Hej Åsa, ses vi?', 'Asa is another name', 'Möte kl 10', 'Mote is not a word here']);
    expect(hits(s, 'åsa')).toEqual(['Hej Åsa, ses vi?']);
    expect(hits(s, 'ÅSA')).toEqual(['Hej Åsa, ses vi?']);
    expect(hits(s, 'asa')).toEqual(['Asa is another name']);
    expect(hits(s, 'möte')).toEqual(['Möte kl 10']);
    s.close();
  });

  it('keeps the search index in sync with edits and purges deleted messages from it', () => {
    const s = new Store(join(tempDir(), 'p.db'));
    const [a, b] = seed(s, ['budget draft', 'lunch tomorrow']);
    s.editMessage(a!, 'final report', null, 2000);
    expect(hits(s, 'budget')).toEqual([]);
    expect(hits(s, 'report')).toEqual(['final report']);
    s.markMessageDeleted(b!);
    expect(s.ftsCount('"lunch"')).toBe(0);
    expect(s.getMessage(b!)?.text).toBe('');
    s.close();
  });

  it('deletes a conversation with its messages, reactions and search entries without touching other conversations', () => {
    const s = new Store(join(tempDir(), 'p.db'));
    const [a] = seed(s, ['budget draft', 'lunch tomorrow']);
    const other = conversationIdFor('a1', 'carol@x');
    s.upsertConversation({ id: other, account_id: 'a1', native_id: 'carol@x', kind: 'direct', title: 'Carol', is_private: 0, last_activity_at: 0 });
    s.insertMessage({
      id: messageIdFor(other, 'c1'), conversation_id: other, native_id: 'c1', sender_id: 'carol@x', sender_name: 'Carol', own: 0, ts: 5, text: 'budget approved',
      edited_at: null, deleted: 0, reply_to: null, attachments: '[]', refs: '{}', status: 'received', mentions_me: 0, client_txn_id: null, cursor: null,
    });
    s.db.prepare('INSERT INTO reactions (message_id, sender_id, key) VALUES (?, ?, ?)').run(a!, 'carol@x', '👍');
    s.deleteConversation(conversationIdFor('a1', 'bob@x'));
    expect(s.getMessage(a!)).toBeUndefined();
    expect(s.db.prepare('SELECT count(*) AS n FROM reactions').get()).toEqual({ n: 0 });
    expect(hits(s, 'budget')).toEqual(['budget approved']);
    expect(hits(s, 'lunch')).toEqual([]);
    // Deletes are explicit: no foreign key on messages that would make SQLite scan every message
    // of the profile for each deleted conversation.
    expect(s.db.pragma('foreign_key_list(messages)')).toEqual([]);
    s.close();
  });

  it('derives the same global ids after a restart and never mixes accounts', () => {
    expect(conversationIdFor('a1', 'room@muc.x')).toBe(conversationIdFor('a1', 'room@muc.x'));
    expect(conversationIdFor('a1', 'x:y')).not.toBe(conversationIdFor('a1:x', 'y'));
    expect(messageIdFor(conversationIdFor('a1', 'r'), 'm:1')).not.toBe(messageIdFor(conversationIdFor('a1', 'r:m'), '1'));
  });
});
