// Find people on the server: POST /api/v4/users/search (api4/user.go searchUsers; body
// model.UserSearch). The server matches username, nickname, full name and e-mail as its privacy
// settings allow, drops inactive users unless `allow_inactive`, and sanitises each profile (the
// e-mail is only there when PrivacySettings.ShowEmailAddress lets the searcher see it).
import { z } from 'zod';
import { AppError } from '../../common/errors';
import type { DirectoryEntry } from '../contract';
import type { MmHttp } from './http';
import { displayName } from './mapping';
import { SchemaError, UserSchema, check } from './schemas';
import { directoryQuery } from '../base/directory-query';

const SearchHitSchema = UserSchema.extend({
  email: z.string().optional().catch(undefined),
  is_bot: z.boolean().optional().catch(undefined),
});

export async function searchUsers(http: MmHttp, selfId: string, term: string, limit: number): Promise<DirectoryEntry[]> {
  const q = directoryQuery(term, limit);
  const raw = await http.json<unknown>('POST', '/api/v4/users/search', { term: q.term, allow_inactive: false, limit: q.limit });
  let users: z.infer<typeof SearchHitSchema>[];
  try {
    users = check(z.array(SearchHitSchema), raw, 'users');
  } catch (e) {
    throw e instanceof SchemaError ? new AppError('invalid_input', e.message) : e;
  }
  // Addresses are written username@host, the form direct.open and the contact list use.
  const host = new URL(http.baseUrl).host;
  return users
    .filter((u) => u.id !== selfId && u.delete_at === 0 && u.is_bot !== true)
    .slice(0, q.limit)
    .map((u) => ({ address: `${u.username}@${host}`, name: displayName(u).slice(0, 200), ...(u.email ? { email: u.email } : {}) }));
}
