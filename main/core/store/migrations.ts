// Ordered schema migrations. The database's `user_version` is the number of migrations applied;
// opening a profile applies the missing ones in order, each in its own transaction, so an old
// profile is upgraded in place and a crash mid-upgrade leaves the last good version.
import type Database from 'better-sqlite3';

export type Migration = (db: Database.Database) => void;

/** v1: the core tables. No secrets anywhere: passwords and tokens live in the SecretStore. */
const v1: Migration = (db) => {
  db.exec(`
    CREATE TABLE accounts (
      id TEXT PRIMARY KEY,
      protocol TEXT NOT NULL,
      address TEXT NOT NULL,
      server TEXT NOT NULL,
      service_url TEXT,
      allow_plaintext INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      settings TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE conversations (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      native_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      title TEXT NOT NULL,
      is_private INTEGER NOT NULL DEFAULT 0,
      last_activity_at INTEGER NOT NULL DEFAULT 0,
      last_preview TEXT NOT NULL DEFAULT '',
      unread INTEGER NOT NULL DEFAULT 0,
      mentions INTEGER NOT NULL DEFAULT 0,
      last_read_at INTEGER NOT NULL DEFAULT 0,
      UNIQUE (account_id, native_id)
    );
    CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC);
    CREATE TABLE messages (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      native_id TEXT,
      sender_id TEXT NOT NULL,
      sender_name TEXT NOT NULL,
      own INTEGER NOT NULL DEFAULT 0,
      ts INTEGER NOT NULL,
      text TEXT NOT NULL,
      edited_at INTEGER,
      deleted INTEGER NOT NULL DEFAULT 0,
      reply_to TEXT,
      attachments TEXT NOT NULL DEFAULT '[]',
      refs TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL,
      mentions_me INTEGER NOT NULL DEFAULT 0,
      client_txn_id TEXT,
      cursor TEXT,
      UNIQUE (conversation_id, native_id)
    );
    CREATE INDEX messages_by_time ON messages (conversation_id, ts, seq);
    CREATE INDEX messages_by_txn ON messages (conversation_id, client_txn_id) WHERE client_txn_id IS NOT NULL;
    CREATE TABLE reactions (
      message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
      sender_id TEXT NOT NULL,
      key TEXT NOT NULL,
      PRIMARY KEY (message_id, sender_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE contacts (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      address TEXT NOT NULL,
      name TEXT NOT NULL,
      subscription TEXT NOT NULL,
      groups TEXT NOT NULL DEFAULT '[]',
      PRIMARY KEY (account_id, address)
    ) WITHOUT ROWID;
    CREATE TABLE presence (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      user_id TEXT NOT NULL,
      state TEXT NOT NULL,
      status_text TEXT NOT NULL DEFAULT '',
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
      client_txn_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      state TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE INDEX outbox_by_account ON outbox (account_id, state, created_at);
    CREATE TABLE sync_cursors (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (account_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `);
};

/**
 * v2: full-text search and history paging state.
 * The FTS index uses unicode61 WITHOUT diacritic removal: Swedish å, ä, ö are letters of their
 * own, so 'asa' must not find 'Åsa' while case still folds ('åsa' finds 'Åsa'). Triggers keep it
 * in sync on edit and delete, and a deleted message (deleted = 1) is purged from the index, not
 * just hidden. New rows are indexed by Store.insertMessage itself: an explicit insert is about
 * 2.5× faster than the same insert run from a trigger program, and ingestion is the hot path.
 */
const v2: Migration = (db) => {
  db.exec(`
    CREATE VIRTUAL TABLE messages_fts USING fts5(
      text, content = 'messages', content_rowid = 'seq',
      tokenize = "unicode61 remove_diacritics 0"
    );
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.deleted = 0 BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.seq, old.text WHERE old.deleted = 0;
      INSERT INTO messages_fts (rowid, text) SELECT new.seq, new.text WHERE new.deleted = 0;
    END;
    INSERT INTO messages_fts (rowid, text) SELECT seq, text FROM messages WHERE deleted = 0;

    ALTER TABLE accounts ADD COLUMN self_id TEXT;
    ALTER TABLE accounts ADD COLUMN self_name TEXT;
    ALTER TABLE conversations ADD COLUMN history_cursor TEXT;
    ALTER TABLE conversations ADD COLUMN history_complete INTEGER NOT NULL DEFAULT 0;
  `);
};

/**
 * v3: integer keys for the message indexes (ingestion speed on large profiles).
 * Every message index used to start with the text conversation id, and `messages.id` (a long
 * text key) had its own unique index; new messages land at scattered positions in all of them,
 * so on a million-message profile each insert dirtied a page in three large B-trees. Now:
 *  - conversations get a stable integer `conv_key` (survives VACUUM; a key is only reused after
 *    its conversation and all its messages were deleted);
 *  - message indexes use (conv_key, …), a fraction of the size;
 *  - `messages.id` has no index of its own. A message id is derived from its conversation and
 *    either its native id (`conv:enc(native)`) or its client transaction id (`conv#txn`), so the
 *    store finds it through UNIQUE (conv_key, native_id) or UNIQUE (conv_key, client_txn_id);
 *    Store.insertMessage refuses ids of any other form, which keeps ids unique as well;
 *  - reactions lose their foreign key to messages(id) (SQLite needs a unique index on the
 *    parent key); the store deletes a message's reactions explicitly everywhere it deletes it;
 *  - messages lose their foreign key to conversations(id): with no index on
 *    messages.conversation_id, SQLite would scan every message to enforce it on each
 *    conversation delete (seconds per conversation on a large profile). The store deletes a
 *    conversation's messages explicitly (by conv_key) before the conversation.
 * The FTS index is keyed by `seq`, which is kept, so it stays valid as it is.
 */
const v3: Migration = (db) => {
  db.exec(`
    ALTER TABLE conversations ADD COLUMN conv_key INTEGER;
    UPDATE conversations SET conv_key = rowid;
    CREATE UNIQUE INDEX conversations_by_key ON conversations (conv_key);

    CREATE TABLE messages_v3 (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL,
      conversation_id TEXT NOT NULL,
      native_id TEXT,
      sender_id TEXT NOT NULL,
      sender_name TEXT NOT NULL,
      own INTEGER NOT NULL DEFAULT 0,
      ts INTEGER NOT NULL,
      text TEXT NOT NULL,
      edited_at INTEGER,
      deleted INTEGER NOT NULL DEFAULT 0,
      reply_to TEXT,
      attachments TEXT NOT NULL DEFAULT '[]',
      refs TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL,
      mentions_me INTEGER NOT NULL DEFAULT 0,
      client_txn_id TEXT,
      cursor TEXT,
      conv_key INTEGER NOT NULL,
      UNIQUE (conv_key, native_id)
    );
    INSERT INTO messages_v3 (seq, id, conversation_id, native_id, sender_id, sender_name, own, ts, text, edited_at, deleted,
        reply_to, attachments, refs, status, mentions_me, client_txn_id, cursor, conv_key)
      SELECT m.seq, m.id, m.conversation_id, m.native_id, m.sender_id, m.sender_name, m.own, m.ts, m.text, m.edited_at, m.deleted,
        m.reply_to, m.attachments, m.refs, m.status, m.mentions_me, m.client_txn_id, m.cursor, c.conv_key
      FROM messages m JOIN conversations c ON c.id = m.conversation_id;

    CREATE TABLE reactions_v3 (
      message_id TEXT NOT NULL,
      sender_id TEXT NOT NULL,
      key TEXT NOT NULL,
      PRIMARY KEY (message_id, sender_id, key)
    ) WITHOUT ROWID;
    INSERT INTO reactions_v3 SELECT r.message_id, r.sender_id, r.key FROM reactions r WHERE r.message_id IN (SELECT id FROM messages);
    DROP TABLE reactions;
    ALTER TABLE reactions_v3 RENAME TO reactions;

    DROP TABLE messages;
    ALTER TABLE messages_v3 RENAME TO messages;
    CREATE INDEX messages_by_time ON messages (conv_key, ts, seq);
    CREATE UNIQUE INDEX messages_by_txn ON messages (conv_key, client_txn_id) WHERE client_txn_id IS NOT NULL;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.deleted = 0 BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.seq, old.text WHERE old.deleted = 0;
      INSERT INTO messages_fts (rowid, text) SELECT new.seq, new.text WHERE new.deleted = 0;
    END;
  `);
};
/**
 * v4: end-to-end encryption state. A conversation says whether it is end-to-end encrypted (the
 * UI shows it); a message that could not be decrypted yet is kept as a placeholder and replaced
 * when its keys arrive.
 */
const v4: Migration = (db) => {
  db.exec(`
    ALTER TABLE conversations ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN undecryptable INTEGER NOT NULL DEFAULT 0;
  `);
};

/**
 * v5: formatted text, calls and pictures. `rich` is the allowlisted tree of common/rich-text.ts as
 * JSON (NULL: plain text); `meeting` the MeetingInfo a message invites to; `avatar` the adapter's
 * locator for the conversation's picture; `peer` the other person's address in a direct chat
 * whose id is a room or channel id.
 */
const v5: Migration = (db) => {
  db.exec(`
    ALTER TABLE messages ADD COLUMN rich TEXT;
    ALTER TABLE messages ADD COLUMN meeting TEXT;
    ALTER TABLE conversations ADD COLUMN avatar TEXT;
    -- The other person's address in a direct chat (its native id, unless that is a room or
    -- channel id); indexed because presence and the people layer look direct chats up by it.
    ALTER TABLE conversations ADD COLUMN peer TEXT;
    UPDATE conversations SET peer = native_id WHERE kind = 'direct';
    CREATE INDEX conversations_by_peer ON conversations (account_id, peer) WHERE peer IS NOT NULL;
  `);
};

/**
 * v6: people (main/core/people). A person joins the addresses (contacts and direct-chat peers,
 * per account) the user or a reliable signal said are one human. `renamed` marks a name the user
 * chose; otherwise the name follows the addresses' names. Address rows outlive a contact that
 * briefly disappears (a roster reload), so merges are not lost; they go with their account.
 * `emails` holds what an adapter may learn about an address (JSON string[]), for suggestions.
 * `person_dismissals` holds address pairs (a < b, each "accountId\naddress") the user said are
 * not the same person: suggestions between people containing such a pair are never made again.
 */
const v6: Migration = (db) => {
  db.exec(`
    CREATE TABLE people (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL DEFAULT '',
      renamed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE person_addresses (
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      address TEXT NOT NULL,
      person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      emails TEXT NOT NULL DEFAULT '[]',
      PRIMARY KEY (account_id, address)
    ) WITHOUT ROWID;
    CREATE INDEX person_addresses_by_person ON person_addresses (person_id);
    CREATE TABLE person_dismissals (
      a TEXT NOT NULL,
      b TEXT NOT NULL,
      PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
  `);
};

/** Steps that rebuild tables run with foreign keys off (SQLite's documented ALTER procedure). */
const REBUILDS = new Set<Migration>([v3]);

export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4, v5, v6];

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply migrations [current, upTo) in order. `upTo` exists so tests can build an old profile. */
export function migrate(db: Database.Database, upTo: number = MIGRATIONS.length): void {
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new Error(`Profile schema v${current} is newer than this build (v${MIGRATIONS.length}); refusing to downgrade`);
  }
  for (let v = current; v < upTo; v++) {
    const step = MIGRATIONS[v]!;
    const rebuild = REBUILDS.has(step);
    // foreign_keys cannot change inside a transaction, so it is switched around it.
    const fk = db.pragma('foreign_keys', { simple: true }) as number;
    if (rebuild && fk) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        step(db);
        if (rebuild && (db.pragma('foreign_key_check') as unknown[]).length > 0) throw new Error(`Migration to v${v + 1} broke a foreign key`);
        db.pragma(`user_version = ${v + 1}`);
      })();
    } finally {
      if (rebuild && fk) db.pragma('foreign_keys = ON');
    }
  }
}
