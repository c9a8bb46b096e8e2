// The profile database: every SQL statement of the core lives here, behind small typed methods.
// One connection, synchronous (better-sqlite3), WAL so readers never wait for the writer, and
// prepared statements cached because ingestion runs the same few statements millions of times.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations';
import type {
  AccountRow,
  ContactRow,
  ConversationListRow,
  ConversationRow,
  MessageRow,
  NewMessageRow,
  OutboxRow,
  OutboxState,
  PersonAddressRow,
  PersonRow,
  ReactionRow,
  UnassignedPeerRow,
} from './rows';

type Param = string | number | bigint | null | Buffer;

/** The MessageRow columns (not the internal conv_key). */
const MESSAGE_COLUMNS = [
  'seq', 'id', 'conversation_id', 'native_id', 'sender_id', 'sender_name', 'own', 'ts', 'text', 'edited_at', 'deleted',
  'reply_to', 'attachments', 'refs', 'status', 'mentions_me', 'client_txn_id', 'cursor', 'undecryptable', 'rich', 'meeting',
] as const;
const M = MESSAGE_COLUMNS.join(', ');
const M_ALIASED = MESSAGE_COLUMNS.map((c) => `m.${c}`).join(', ');

export interface StoreOptions {
  /** For tests that build an old profile: stop after this many migrations. */
  readonly migrateUpTo?: number;
}

export class Store {
  readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement<Param[]>>();
  /** One transaction wrapper for all calls: building a new one per call is measurably slow. */
  private readonly runInTx: (fn: () => unknown) => unknown;

  constructor(file: string, opts: StoreOptions = {}) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // 8 KB pages for new profiles (must precede WAL; no-op for existing files): ingestion spreads
    // writes over many per-conversation index pages, and bigger pages mean fewer page writes per
    // commit — measured 14.0k msg/s at 2 KB, ~17–19k at 4 KB, ~22k at 8 KB on 1M messages.
    this.db.pragma('page_size = 8192');
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode (only an OS crash can lose the
    // last commits), and much faster than FULL for ingestion.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // A 64 MB page cache (default 2 MB) keeps the hot B-tree and FTS pages of a large profile in
    // memory; without it ingestion and inbox reads go to the OS for every random page.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
    // Memory-mapped reads avoid a read() syscall per page on large profiles; fewer, larger WAL
    // checkpoints cut the fsyncs during bulk ingestion (history catch-up).
    this.db.pragma('mmap_size = 268435456');
    this.db.pragma('wal_autocheckpoint = 8000');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, opts.migrateUpTo);
    this.runInTx = this.db.transaction((fn: () => unknown) => fn());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Run `fn` in a transaction (a savepoint when nested), committing only if it returns. */
  tx<T>(fn: () => T): T {
    return this.runInTx(fn) as T;
  }

  private stmt(sql: string): Database.Statement<Param[]> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare<Param[]>(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
  private get<T>(sql: string, ...params: Param[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }
  private all<T>(sql: string, ...params: Param[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }
  private run(sql: string, ...params: Param[]): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  // ── app settings ────────────────────────────────────────────────────────────────────────────
  getSetting(key: string): string | null {
    return this.get<{ value: string }>('SELECT value FROM app_settings WHERE key = ?', key)?.value ?? null;
  }
  setSetting(key: string, value: string): void {
    this.run('INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  // ── accounts ────────────────────────────────────────────────────────────────────────────────
  insertAccount(a: Omit<AccountRow, 'self_id' | 'self_name'> & { self_id: string | null; self_name: string | null }): void {
    this.run(
      `INSERT INTO accounts (id, protocol, address, server, service_url, allow_plaintext, created_at, settings, self_id, self_name)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      a.id, a.protocol, a.address, a.server, a.service_url, a.allow_plaintext, a.created_at, a.settings, a.self_id, a.self_name,
    );
  }
  listAccounts(): AccountRow[] {
    return this.all<AccountRow>('SELECT * FROM accounts ORDER BY created_at, id');
  }
  getAccount(id: string): AccountRow | undefined {
    return this.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id);
  }
  updateAccountSelf(id: string, selfId: string, selfName: string): void {
    this.run('UPDATE accounts SET self_id = ?, self_name = ? WHERE id = ?', selfId, selfName, id);
  }
  updateAccountSettings(id: string, settings: string): void {
    this.run('UPDATE accounts SET settings = ? WHERE id = ?', settings, id);
  }
  /**
   * Remove an account and everything learned through it. Explicit deletes (children first) so the
   * FTS triggers run for every message and nothing depends on cascade subtleties.
   */
  deleteAccount(id: string): { conversationIds: string[]; contactAddresses: string[] } {
    return this.tx(() => {
      const conversationIds = this.all<{ id: string }>('SELECT id FROM conversations WHERE account_id = ?', id).map((r) => r.id);
      const contactAddresses = this.all<{ address: string }>('SELECT address FROM contacts WHERE account_id = ?', id).map((r) => r.address);
      this.run('DELETE FROM outbox WHERE account_id = ?', id);
      for (const c of conversationIds) this.deleteConversationRows(c);
      this.run('DELETE FROM contacts WHERE account_id = ?', id);
      this.run('DELETE FROM presence WHERE account_id = ?', id);
      this.run('DELETE FROM sync_cursors WHERE account_id = ?', id);
      this.run('DELETE FROM accounts WHERE id = ?', id);
      return { conversationIds, contactAddresses };
    });
  }

  // ── conversations ───────────────────────────────────────────────────────────────────────────
  getConversation(id: string): ConversationRow | undefined {
    return this.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', id);
  }
  /** Insert, or refresh title/kind/privacy; activity only moves forward. Returns true if new. */
  upsertConversation(c: {
    id: string;
    account_id: string;
    native_id: string;
    kind: 'direct' | 'group';
    title: string;
    is_private: number;
    last_activity_at: number;
    /** Only when the adapter says; otherwise the stored value stays. */
    encrypted?: number;
    /** Picture locator; null clears it, undefined keeps the stored one. */
    avatar?: string | null;
    /** The other person's address in a direct chat; undefined keeps the stored one. */
    peer?: string | null;
  }): boolean {
    const existed = this.get<{ id: string }>('SELECT id FROM conversations WHERE id = ?', c.id) !== undefined;
    if (existed) {
      this.run(
        `UPDATE conversations SET kind = ?, title = ?, is_private = ?, last_activity_at = max(last_activity_at, ?),
           encrypted = coalesce(?, encrypted), avatar = CASE WHEN ? THEN ? ELSE avatar END,
           peer = coalesce(?, peer, CASE WHEN ? = 'direct' THEN native_id END) WHERE id = ?`,
        c.kind, c.title, c.is_private, c.last_activity_at, c.encrypted ?? null, c.avatar === undefined ? 0 : 1, c.avatar ?? null, c.peer ?? null, c.kind, c.id,
      );
    } else {
      this.run(
        `INSERT INTO conversations (id, account_id, native_id, kind, title, is_private, last_activity_at, encrypted, avatar, peer, conv_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(conv_key), 0) + 1 FROM conversations))`,
        // A direct chat's peer is its native id unless the adapter names the person (room ids).
        c.id, c.account_id, c.native_id, c.kind, c.title, c.is_private, c.last_activity_at, c.encrypted ?? 0, c.avatar ?? null,
        c.peer ?? (c.kind === 'direct' ? c.native_id : null),
      );
    }
    return !existed;
  }
  /** Record a new message's effect on the inbox row. */
  bumpConversation(id: string, ts: number, preview: string, unreadDelta: number, mentionDelta: number): void {
    this.run(
      `UPDATE conversations SET
         -- The activity time may come from a non-message event (a Matrix join right after the
         -- first message): an empty preview always takes the message.
         last_preview = CASE WHEN ? >= last_activity_at OR last_preview = '' THEN ? ELSE last_preview END,
         last_activity_at = max(last_activity_at, ?),
         unread = unread + ?, mentions = mentions + ?
       WHERE id = ?`,
      ts, preview, ts, unreadDelta, mentionDelta, id,
    );
  }
  setConversationPreview(id: string, preview: string): void {
    this.run('UPDATE conversations SET last_preview = ? WHERE id = ?', preview, id);
  }
  markConversationRead(id: string, upToTs: number): void {
    this.run('UPDATE conversations SET unread = 0, mentions = 0, last_read_at = max(last_read_at, ?) WHERE id = ?', upToTs, id);
  }
  setHistoryState(id: string, cursor: string | null, complete: boolean): void {
    this.run('UPDATE conversations SET history_cursor = ?, history_complete = ? WHERE id = ?', cursor, complete ? 1 : 0, id);
  }
  // Correlated subqueries rather than joins: with joins SQLite spends ~25 µs per single-row
  // lookup on join planning machinery, with subqueries ~2 µs — and this runs for every batch.
  private static readonly LIST_SQL = `
    SELECT c.*,
      (SELECT protocol FROM accounts WHERE id = c.account_id) AS protocol,
      CASE WHEN c.kind = 'direct'
        THEN (SELECT state FROM presence WHERE account_id = c.account_id AND user_id = c.peer) END AS presence_state
    FROM conversations c`;
  listConversations(accountId?: string): ConversationListRow[] {
    return accountId === undefined
      ? this.all<ConversationListRow>(`${Store.LIST_SQL} ORDER BY c.last_activity_at DESC, c.id`)
      : this.all<ConversationListRow>(`${Store.LIST_SQL} WHERE c.account_id = ? ORDER BY c.last_activity_at DESC, c.id`, accountId);
  }
  getConversationListRow(id: string): ConversationListRow | undefined {
    return this.get<ConversationListRow>(`${Store.LIST_SQL} WHERE c.id = ?`, id);
  }
  /** Direct conversations with this peer (for presence changes). */
  directConversationIds(accountId: string, peer: string): string[] {
    return this.all<{ id: string }>(`SELECT id FROM conversations WHERE account_id = ? AND peer = ? AND kind = 'direct'`, accountId, peer).map((r) => r.id);
  }
  deleteConversation(id: string): void {
    this.tx(() => this.deleteConversationRows(id));
  }
  private deleteConversationRows(id: string): void {
    this.run('DELETE FROM outbox WHERE conversation_id = ?', id);
    this.run('DELETE FROM reactions WHERE message_id IN (SELECT id FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?))', id);
    this.run('DELETE FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?)', id);
    this.run('DELETE FROM conversations WHERE id = ?', id);
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────
  /**
   * By global id. Message ids have no index of their own (migration v3): an id is either
   * `conversation:enc(native)` or `conversation#txn` (see ids.ts, enforced by insertMessage), so
   * it is found through the (conv_key, native_id) or (conv_key, client_txn_id) index.
   */
  getMessage(id: string): MessageRow | undefined {
    const colon = id.lastIndexOf(':');
    if (colon > 0) {
      let native: string | undefined;
      try {
        native = decodeURIComponent(id.slice(colon + 1));
      } catch {
        native = undefined;
      }
      if (native !== undefined) {
        const r = this.findMessageByNative(id.slice(0, colon), native);
        if (r?.id === id) return r;
      }
    }
    const hash = id.indexOf('#');
    if (hash > 0) {
      const r = this.findMessageByTxn(id.slice(0, hash), id.slice(hash + 1));
      if (r?.id === id) return r;
    }
    return undefined;
  }
  private seqOf(id: string): number {
    return this.getMessage(id)?.seq ?? -1;
  }
  findMessageByNative(conversationId: string, nativeId: string): MessageRow | undefined {
    return this.get<MessageRow>(`SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND native_id = ?`, conversationId, nativeId);
  }
  findMessageByTxn(conversationId: string, clientTxnId: string): MessageRow | undefined {
    return this.get<MessageRow>(`SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND client_txn_id = ?`, conversationId, clientTxnId);
  }
  /**
   * Callers run this inside a transaction (the message and its index entry belong together).
   * `seq` is normally assigned by SQLite (after every stored message); older history pages pass
   * a seq below every stored one (see `seqBelowAll`), so that messages sharing an archive second
   * still sort in archive order.
   */
  insertMessage(m: NewMessageRow, seq?: number): number {
    const derived =
      (m.native_id !== null && m.id === `${m.conversation_id}:${encodeURIComponent(m.native_id)}`) ||
      (m.client_txn_id !== null && !m.conversation_id.includes('#') && m.id === `${m.conversation_id}#${m.client_txn_id}`);
    if (!derived) throw new Error(`Message id ${m.id} is not derived from its conversation and native or client transaction id`);
    const r = this.run(
      `INSERT INTO messages (seq, id, conversation_id, native_id, sender_id, sender_name, own, ts, text, edited_at, deleted,
         reply_to, attachments, refs, status, mentions_me, client_txn_id, cursor, undecryptable, rich, meeting, conv_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT conv_key FROM conversations WHERE id = ?))`,
      seq ?? null, m.id, m.conversation_id, m.native_id, m.sender_id, m.sender_name, m.own, m.ts, m.text, m.edited_at, m.deleted,
      m.reply_to, m.attachments, m.refs, m.status, m.mentions_me, m.client_txn_id, m.cursor, m.undecryptable ?? 0, m.rich ?? null, m.meeting ?? null, m.conversation_id,
    );
    const stored = Number(r.lastInsertRowid);
    // Indexed here, not by a trigger (see migration v2); the update/delete triggers keep it in sync.
    if (m.deleted === 0) this.run('INSERT INTO messages_fts (rowid, text) VALUES (?, ?)', stored, m.text);
    return stored;
  }
  /** First of `n` consecutive seq values below every stored message (negative rowids are fine). */
  seqBelowAll(n: number): number {
    const row = this.get<{ low: number | null }>('SELECT min(seq) AS low FROM messages');
    return Math.min(row?.low ?? 1, 1) - n;
  }
  /** The keys for an undecryptable message arrived: it becomes an ordinary message. */
  resolveUndecryptable(id: string, m: { text: string; rich: string | null; meeting: string | null; attachments: string; reply_to: string | null; mentions_me: number }): void {
    this.run(
      'UPDATE messages SET text = ?, rich = ?, meeting = ?, attachments = ?, reply_to = ?, mentions_me = ?, undecryptable = 0 WHERE seq = ?',
      m.text, m.rich, m.meeting, m.attachments, m.reply_to, m.mentions_me, this.seqOf(id),
    );
  }
  /** The server named our pending message (ack or echo). */
  confirmMessage(id: string, nativeId: string, refs: string, status: string, cursor: string | null): void {
    this.run('UPDATE messages SET native_id = ?, refs = ?, status = ?, cursor = coalesce(?, cursor) WHERE seq = ?', nativeId, refs, status, cursor, this.seqOf(id));
  }
  /** Whether a message within `windowMs` of `ts` in the conversation already offers this call. */
  hasMeetingNear(conversationId: string, url: string, ts: number, windowMs: number): boolean {
    return this.get<{ one: number }>(
      `SELECT 1 AS one FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?)
         AND ts BETWEEN ? AND ? AND meeting IS NOT NULL AND instr(meeting, ?) > 0 LIMIT 1`,
      conversationId, ts - windowMs, ts + windowMs, JSON.stringify(url).slice(1, -1),
    ) !== undefined;
  }
  setMessageRich(id: string, rich: string | null): void {
    this.run('UPDATE messages SET rich = ? WHERE seq = ?', rich, this.seqOf(id));
  }
  setMessageStatus(id: string, status: string): void {
    this.run('UPDATE messages SET status = ? WHERE seq = ?', status, this.seqOf(id));
  }
  /** Upgrade own messages up to `ts` to displayed (XMPP markers cover everything before them). */
  markOwnDisplayedUpTo(conversationId: string, ts: number): string[] {
    const rows = this.all<{ id: string; seq: number }>(
      `SELECT id, seq FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND own = 1 AND ts <= ? AND status IN ('sent', 'delivered')`,
      conversationId, ts,
    );
    for (const r of rows) this.run(`UPDATE messages SET status = 'displayed' WHERE seq = ?`, r.seq);
    return rows.map((r) => r.id);
  }
  editMessage(id: string, text: string, rich: string | null, editedAt: number): void {
    this.run('UPDATE messages SET text = ?, rich = ?, edited_at = ? WHERE seq = ?', text, rich, editedAt, this.seqOf(id));
  }
  /** Tombstone: the text and attachments are gone (and leave the search index via the trigger). */
  markMessageDeleted(id: string): void {
    this.run(`UPDATE messages SET deleted = 1, text = '', rich = NULL, meeting = NULL, attachments = '[]' WHERE seq = ?`, this.seqOf(id));
    this.run('DELETE FROM reactions WHERE message_id = ?', id);
  }
  /** Delete a row outright (a duplicate, or an own message that was never sent). */
  deleteMessage(id: string): void {
    this.run('DELETE FROM reactions WHERE message_id = ?', id);
    this.run('DELETE FROM messages WHERE seq = ?', this.seqOf(id));
  }
  countMessages(conversationId: string): number {
    return this.get<{ n: number }>('SELECT count(*) AS n FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?)', conversationId)!.n;
  }
  /** Newest first, strictly older than the anchor (ts, seq). */
  messagesBefore(conversationId: string, anchor: { ts: number; seq: number } | null, limit: number): MessageRow[] {
    return anchor === null
      ? this.all<MessageRow>(`SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) ORDER BY ts DESC, seq DESC LIMIT ?`, conversationId, limit)
      : this.all<MessageRow>(
          `SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND (ts < ? OR (ts = ? AND seq < ?)) ORDER BY ts DESC, seq DESC LIMIT ?`,
          conversationId, anchor.ts, anchor.ts, anchor.seq, limit,
        );
  }
  oldestMessage(conversationId: string): MessageRow | undefined {
    return this.get<MessageRow>(`SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) ORDER BY ts, seq LIMIT 1`, conversationId);
  }
  newestVisibleMessage(conversationId: string): MessageRow | undefined {
    return this.get<MessageRow>(`SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND deleted = 0 ORDER BY ts DESC, seq DESC LIMIT 1`, conversationId);
  }
  newestIncomingMessage(conversationId: string): MessageRow | undefined {
    return this.get<MessageRow>(
      `SELECT ${M} FROM messages WHERE conv_key = (SELECT conv_key FROM conversations WHERE id = ?) AND own = 0 AND native_id IS NOT NULL ORDER BY ts DESC, seq DESC LIMIT 1`,
      conversationId,
    );
  }

  // ── reactions ───────────────────────────────────────────────────────────────────────────────
  reactionsFor(messageIds: readonly string[]): ReactionRow[] {
    if (messageIds.length === 0) return [];
    if (messageIds.length === 1) return this.all<ReactionRow>('SELECT * FROM reactions WHERE message_id = ?', messageIds[0]!);
    const out: ReactionRow[] = [];
    // Chunk to stay far below SQLite's bound-parameter limit.
    for (let i = 0; i < messageIds.length; i += 500) {
      const chunk = messageIds.slice(i, i + 500);
      out.push(...(this.db.prepare(`SELECT * FROM reactions WHERE message_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as ReactionRow[]));
    }
    return out;
  }
  senderReactionKeys(messageId: string, senderId: string): string[] {
    return this.all<{ key: string }>('SELECT key FROM reactions WHERE message_id = ? AND sender_id = ?', messageId, senderId).map((r) => r.key);
  }
  /** Replace one sender's full set of reactions on a message (XEP-0444 semantics). */
  setReactions(messageId: string, senderId: string, keys: readonly string[]): void {
    this.run('DELETE FROM reactions WHERE message_id = ? AND sender_id = ?', messageId, senderId);
    for (const k of new Set(keys)) this.run('INSERT INTO reactions (message_id, sender_id, key) VALUES (?, ?, ?)', messageId, senderId, k);
  }

  // ── contacts and presence ───────────────────────────────────────────────────────────────────
  private static readonly CONTACT_SQL = `
    SELECT ct.*,
      (SELECT protocol FROM accounts WHERE id = ct.account_id) AS protocol,
      (SELECT state FROM presence WHERE account_id = ct.account_id AND user_id = ct.address) AS presence_state,
      (SELECT status_text FROM presence WHERE account_id = ct.account_id AND user_id = ct.address) AS status_text
    FROM contacts ct`;
  listContacts(): ContactRow[] {
    return this.all<ContactRow>(`${Store.CONTACT_SQL} ORDER BY lower(ct.name), ct.address`);
  }
  getContact(accountId: string, address: string): ContactRow | undefined {
    return this.get<ContactRow>(`${Store.CONTACT_SQL} WHERE ct.account_id = ? AND ct.address = ?`, accountId, address);
  }
  upsertContact(accountId: string, address: string, name: string, subscription: string, groups: string): void {
    this.run(
      `INSERT INTO contacts (account_id, address, name, subscription, groups) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, address) DO UPDATE SET name = excluded.name, subscription = excluded.subscription, groups = excluded.groups`,
      accountId, address, name, subscription, groups,
    );
  }
  deleteContact(accountId: string, address: string): boolean {
    return this.run('DELETE FROM contacts WHERE account_id = ? AND address = ?', accountId, address).changes > 0;
  }
  setPresence(accountId: string, userId: string, state: string, statusText: string, at: number): void {
    this.run(
      `INSERT INTO presence (account_id, user_id, state, status_text, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, user_id) DO UPDATE SET state = excluded.state, status_text = excluded.status_text, updated_at = excluded.updated_at`,
      accountId, userId, state, statusText, at,
    );
  }
  /** Presence learned from a session is stale once that session ends. */
  clearPresence(accountId: string): void {
    this.run('DELETE FROM presence WHERE account_id = ?', accountId);
  }

  // ── people (main/core/people) ───────────────────────────────────────────────────────────────
  private static readonly PERSON_ADDRESS_SQL = `
    SELECT pa.person_id, pa.account_id, pa.address, pa.emails, a.protocol,
      ct.name AS contact_name, ct.subscription,
      cv.id AS conversation_id, cv.title AS conversation_title,
      pr.state AS presence_state, pr.status_text, pr.updated_at AS presence_at
    FROM person_addresses pa
    JOIN accounts a ON a.id = pa.account_id
    LEFT JOIN contacts ct ON ct.account_id = pa.account_id AND ct.address = pa.address
    LEFT JOIN conversations cv ON cv.account_id = pa.account_id AND cv.peer = pa.address AND cv.kind = 'direct'
    LEFT JOIN presence pr ON pr.account_id = pa.account_id AND pr.user_id = pa.address`;
  listPeople(): PersonRow[] {
    return this.all<PersonRow>('SELECT * FROM people ORDER BY id');
  }
  getPerson(id: number): PersonRow | undefined {
    return this.get<PersonRow>('SELECT * FROM people WHERE id = ?', id);
  }
  insertPerson(name: string): number {
    return Number(this.run('INSERT INTO people (name, renamed) VALUES (?, 0)', name).lastInsertRowid);
  }
  renamePerson(id: number, name: string): void {
    this.run('UPDATE people SET name = ?, renamed = 1 WHERE id = ?', name, id);
  }
  deletePerson(id: number): void {
    this.run('DELETE FROM person_addresses WHERE person_id = ?', id);
    this.run('DELETE FROM people WHERE id = ?', id);
  }
  /** People left without any address (their account was removed); returns their ids. */
  deleteEmptyPeople(): number[] {
    const ids = this.all<{ id: number }>('SELECT id FROM people p WHERE NOT EXISTS (SELECT 1 FROM person_addresses pa WHERE pa.person_id = p.id)').map((r) => r.id);
    for (const id of ids) this.run('DELETE FROM people WHERE id = ?', id);
    return ids;
  }
  personIdOf(accountId: string, address: string): number | undefined {
    return this.get<{ person_id: number }>('SELECT person_id FROM person_addresses WHERE account_id = ? AND address = ?', accountId, address)?.person_id;
  }
  /** Puts the address into the person (moving it out of any other). */
  assignPersonAddress(accountId: string, address: string, personId: number): void {
    this.run(
      `INSERT INTO person_addresses (account_id, address, person_id) VALUES (?, ?, ?)
       ON CONFLICT (account_id, address) DO UPDATE SET person_id = excluded.person_id`,
      accountId, address, personId,
    );
  }
  movePersonAddresses(fromPersonId: number, toPersonId: number): void {
    this.run('UPDATE person_addresses SET person_id = ? WHERE person_id = ?', toPersonId, fromPersonId);
  }
  setPersonAddressEmails(accountId: string, address: string, emails: string): void {
    this.run('UPDATE person_addresses SET emails = ? WHERE account_id = ? AND address = ?', emails, accountId, address);
  }
  personAddresses(personId: number): PersonAddressRow[] {
    return this.all<PersonAddressRow>(`${Store.PERSON_ADDRESS_SQL} WHERE pa.person_id = ?`, personId);
  }
  allPersonAddresses(): PersonAddressRow[] {
    return this.all<PersonAddressRow>(`${Store.PERSON_ADDRESS_SQL} ORDER BY pa.person_id`);
  }
  /** Contacts (not mere requests) and direct-chat peers without a person yet. */
  unassignedPeers(): UnassignedPeerRow[] {
    return this.all<UnassignedPeerRow>(`
      SELECT p.account_id, p.address, (SELECT protocol FROM accounts WHERE id = p.account_id) AS protocol, max(p.is_contact) AS is_contact FROM (
        SELECT account_id, address, 1 AS is_contact FROM contacts WHERE subscription != 'pending-in'
        UNION ALL
        SELECT account_id, peer AS address, 0 AS is_contact FROM conversations WHERE kind = 'direct' AND peer IS NOT NULL
      ) p
      WHERE NOT EXISTS (SELECT 1 FROM person_addresses pa WHERE pa.account_id = p.account_id AND pa.address = p.address)
      GROUP BY p.account_id, p.address
      ORDER BY p.account_id, p.address`);
  }
  /** The address as a peer (contact or direct-chat peer) of the account, or undefined when it is neither. */
  peerOf(accountId: string, address: string): UnassignedPeerRow | undefined {
    return this.get<UnassignedPeerRow>(
      `SELECT id AS account_id, ? AS address, protocol,
         EXISTS (SELECT 1 FROM contacts WHERE account_id = ? AND address = ? AND subscription != 'pending-in') AS is_contact
       FROM accounts WHERE id = ? AND (
         EXISTS (SELECT 1 FROM contacts WHERE account_id = ? AND address = ? AND subscription != 'pending-in')
         OR EXISTS (SELECT 1 FROM conversations WHERE account_id = ? AND peer = ? AND kind = 'direct'))`,
      address, accountId, address, accountId, accountId, address, accountId, address,
    );
  }
  /** Address pairs the user said are different people (each key "accountId\naddress", a < b). */
  listPersonDismissals(): { a: string; b: string }[] {
    return this.all<{ a: string; b: string }>('SELECT a, b FROM person_dismissals');
  }
  addPersonDismissal(a: string, b: string): void {
    this.run('INSERT OR IGNORE INTO person_dismissals (a, b) VALUES (?, ?)', a < b ? a : b, a < b ? b : a);
  }

  // ── outbox ──────────────────────────────────────────────────────────────────────────────────
  insertOutbox(o: OutboxRow): void {
    this.run(
      `INSERT INTO outbox (client_txn_id, account_id, conversation_id, payload, attempts, state, created_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      o.client_txn_id, o.account_id, o.conversation_id, o.payload, o.attempts, o.state, o.created_at, o.last_error,
    );
  }
  getOutbox(clientTxnId: string): OutboxRow | undefined {
    return this.get<OutboxRow>('SELECT * FROM outbox WHERE client_txn_id = ?', clientTxnId);
  }
  nextPendingOutbox(accountId: string): OutboxRow | undefined {
    return this.get<OutboxRow>(`SELECT * FROM outbox WHERE account_id = ? AND state = 'pending' ORDER BY created_at, rowid LIMIT 1`, accountId);
  }
  pendingOutbox(accountId: string): OutboxRow[] {
    return this.all<OutboxRow>(`SELECT * FROM outbox WHERE account_id = ? AND state = 'pending' ORDER BY created_at, rowid`, accountId);
  }
  updateOutbox(clientTxnId: string, state: OutboxState, attempts: number, lastError: string | null): void {
    this.run('UPDATE outbox SET state = ?, attempts = ?, last_error = ? WHERE client_txn_id = ?', state, attempts, lastError, clientTxnId);
  }
  deleteOutbox(clientTxnId: string): boolean {
    return this.run('DELETE FROM outbox WHERE client_txn_id = ?', clientTxnId).changes > 0;
  }

  // ── sync cursors ────────────────────────────────────────────────────────────────────────────
  getSyncState(accountId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.all<{ key: string; value: string }>('SELECT key, value FROM sync_cursors WHERE account_id = ?', accountId)) out[r.key] = r.value;
    return out;
  }
  mergeSyncState(accountId: string, state: Readonly<Record<string, string>>): void {
    for (const [k, v] of Object.entries(state)) {
      this.run(
        'INSERT INTO sync_cursors (account_id, key, value) VALUES (?, ?, ?) ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value',
        accountId, k, v,
      );
    }
  }

  // ── search ──────────────────────────────────────────────────────────────────────────────────
  /**
   * Newest matches first. Ordering by rowid lets FTS5 stop after `limit` hits instead of ranking
   * every match, which keeps common words fast on a million-message profile.
   */
  searchMessages(ftsQuery: string, accountId: string | undefined, limit: number): (MessageRow & { conversation_title: string; account_id: string })[] {
    const base = `
      SELECT ${M_ALIASED}, c.title AS conversation_title, c.account_id AS account_id
      FROM messages_fts f
      JOIN messages m ON m.seq = f.rowid
      JOIN conversations c ON c.id = m.conversation_id
      WHERE messages_fts MATCH ? AND m.deleted = 0`;
    return accountId === undefined
      ? this.all(`${base} ORDER BY f.rowid DESC LIMIT ?`, ftsQuery, limit)
      : this.all(`${base} AND c.account_id = ? ORDER BY f.rowid DESC LIMIT ?`, ftsQuery, accountId, limit);
  }
  /** Test/diagnostic hook: how many index entries match (proves purging). */
  ftsCount(ftsQuery: string): number {
    return this.get<{ n: number }>('SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?', ftsQuery)!.n;
  }
}
