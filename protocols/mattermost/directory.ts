// What the adapter knows about people: profiles (names, custom status) and statuses, fetched in
// bulk when first needed (POST /users/ids, /users/usernames, /users/status/ids) and kept in
// bounded caches, so a busy server cannot grow them without limit.
import type { PresenceState } from '../../common/model';
import { BoundedMap } from '../base/bounded';
import type { MmHttp } from './http';
import { customStatusText, presenceFromStatus } from './mapping';
import { StatusSchema, UserSchema, check, type MmUser } from './schemas';
import { z } from 'zod';

const MAX_PER_REQUEST = 200;

export class Directory {
  private readonly users = new BoundedMap<string, MmUser>(10_000);
  private readonly idsByName = new BoundedMap<string, string>(10_000);
  private readonly statuses = new BoundedMap<string, string>(10_000);

  constructor(private readonly http: () => MmHttp | null, private readonly now: () => number) {}

  remember(u: MmUser): void {
    this.users.set(u.id, u);
    this.idsByName.set(u.username.toLowerCase(), u.id);
  }

  user(id: string): MmUser | undefined {
    return this.users.get(id);
  }

  idForName(username: string): string | undefined {
    return this.idsByName.get(username.toLowerCase());
  }

  async ensureIds(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => id && !this.users.has(id)).slice(0, MAX_PER_REQUEST);
    const http = this.http();
    if (missing.length === 0 || !http) return;
    check(z.array(UserSchema), await http.json<unknown>('POST', '/api/v4/users/ids', missing), 'users').forEach((u) => this.remember(u));
  }

  async ensureNames(names: readonly string[]): Promise<void> {
    const missing = [...new Set(names.map((n) => n.toLowerCase()))].filter((n) => n && !this.idsByName.has(n)).slice(0, MAX_PER_REQUEST);
    const http = this.http();
    if (missing.length === 0 || !http) return;
    check(z.array(UserSchema), await http.json<unknown>('POST', '/api/v4/users/usernames', missing), 'users').forEach((u) => this.remember(u));
  }

  setStatus(userId: string, status: string): void {
    this.statuses.set(userId, status);
  }

  async fetchStatuses(ids: readonly string[]): Promise<void> {
    const http = this.http();
    if (ids.length === 0 || !http) return;
    for (let i = 0; i < ids.length; i += MAX_PER_REQUEST) {
      const list = check(z.array(StatusSchema), await http.json<unknown>('POST', '/api/v4/users/status/ids', ids.slice(i, i + MAX_PER_REQUEST)), 'statuses');
      for (const s of list) this.statuses.set(s.user_id, s.status);
    }
  }

  /** 'unknown' until the server told us (protocols.md C.3: no status is not "offline"). */
  presenceOf(userId: string): { state: PresenceState; statusText: string } {
    const s = this.statuses.get(userId);
    const u = this.users.get(userId);
    return { state: s ? presenceFromStatus(s) : 'unknown', statusText: u ? customStatusText(u, this.now()) : '' };
  }
}
