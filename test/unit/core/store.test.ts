import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Store } from '../../../main/core/store/store';
import { MIGRATIONS, schemaVersion } from '../../../main/core/store/migrations';
import { conversationIdFor, messageIdFor } from '../../../main/core/ids';
import { toFtsQuery } from '../../../main/core/search/fts-query';
import { cleanupDirs, tempDir } from './harness';

afterEach(cleanupDirs);

function seed(store: Store, texts: string[], v1 = false): string[] {
  // Raw SQL: this also has to work on a v1 profile, which lacks later columns.
  store.db.prepare(`INSERT INTO accounts (id, protocol, address, server, created_at) VALUES ('a1', 'xmpp', 'a@x', 'x', 1)`).run();
  const conv = conversationIdFor('a1', 'bob@x');
  store.upsertConversation({ id: conv, account_id: 'a1', native_id: 'bob@x', kind: 'direct', title: 'Bob', is_private: 0, last_activity_at: 0 });
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
    s.editMessage(a!, 'final report', 2000);
    expect(hits(s, 'budget')).toEqual([]);
    expect(hits(s, 'report')).toEqual(['final report']);
    s.markMessageDeleted(b!);
    expect(s.ftsCount('"lunch"')).toBe(0);
    expect(s.getMessage(b!)?.text).toBe('');
    s.close();
  });

  it('derives the same global ids after a restart and never mixes accounts', () => {
    expect(conversationIdFor('a1', 'room@muc.x')).toBe(conversationIdFor('a1', 'room@muc.x'));
    expect(conversationIdFor('a1', 'x:y')).not.toBe(conversationIdFor('a1:x', 'y'));
    expect(messageIdFor(conversationIdFor('a1', 'r'), 'm:1')).not.toBe(messageIdFor(conversationIdFor('a1', 'r:m'), '1'));
  });
});
