// Find people on the server: GET /api/v1/users.autocomplete?selector={"term":…}
// (apps/meteor/app/api/server/v1/users.ts → lib/server/functions/findUsersToAutocomplete.ts).
// It is what Rocket.Chat's own "new direct message" dialog uses, so every normal user may call
// it, unlike users.list (needs view-d-room + view-outside-room and shows more than we need). The
// server matches the Accounts_SearchFields (username, name, …) case-insensitively, returns active
// users only, at most 10, and never e-mail addresses.
import { z } from 'zod';
import type { DirectoryEntry } from '../contract';
import type { RestClient } from './rest';
import { directoryQuery } from '../base/directory-query';

const autocompleteResponse = z.looseObject({
  items: z.array(z.looseObject({ _id: z.string(), username: z.string(), name: z.string().optional().catch(undefined) })),
});

export async function searchUsers(rest: RestClient, self: { userId: string; host: string }, term: string, limit: number): Promise<DirectoryEntry[]> {
  const q = directoryQuery(term, limit);
  const r = await rest.get('users.autocomplete', { selector: JSON.stringify({ term: q.term }) }, autocompleteResponse);
  return r.items
    // Usernames outside this pattern cannot be written as username@host (ids.ts, mapping.ts peer).
    .filter((u) => u._id !== self.userId && /^[\w.-]{1,120}$/u.test(u.username))
    .slice(0, q.limit)
    .map((u) => ({ address: `${u.username}@${self.host}`, name: (u.name?.trim() || u.username).slice(0, 200) }));
}
