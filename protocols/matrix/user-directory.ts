// Search the homeserver's user directory: POST /_matrix/client/v3/user_directory/search
// (Client-Server API §"User directory"). Synapse answers only with users who share a room with the
// searcher or sit in a public room, unless its admin set `user_directory.search_all_users`; that is
// the server's policy, so an empty answer is not an error.
import { AppError } from '../../common/errors';
import type { DirectoryEntry } from '../contract';
import { parseUserId } from './ids';
import { field, stringField } from './rest';
import type { Rest } from './rest';
import { directoryQuery } from '../base/directory-query';

export async function searchUserDirectory(rest: Rest, selfId: string, term: string, limit: number): Promise<DirectoryEntry[]> {
  const q = directoryQuery(term, limit);
  const res = await rest.call('POST', '/user_directory/search', { body: { search_term: q.term, limit: q.limit }, what: 'user directory search' });
  const results = field(res, 'results');
  if (!Array.isArray(results)) throw new AppError('server', 'user directory search: the answer has no results');
  const out: DirectoryEntry[] = [];
  for (const r of results as unknown[]) {
    const userId = stringField(r, 'user_id');
    // Skip what is not a user id (a broken or hostile server) and ourselves.
    if (!userId || !parseUserId(userId) || userId === selfId) continue;
    const name = stringField(r, 'display_name')?.trim().slice(0, 200);
    out.push({ address: userId, name: name || userId });
    if (out.length >= q.limit) break;
  }
  return out;
}
