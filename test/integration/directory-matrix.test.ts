// Finding people on Matrix: the adapter's directory search against a real Synapse
// (POST /_matrix/client/v3/user_directory/search). Synapse lists only people who share a room with
// the searcher or are in public rooms unless `user_directory.search_all_users` is on, as an
// organisation's own server would set it; this server has it on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterLogger, DirectoryEntry, ProtocolAdapter } from '../../protocols/contract';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let server: SynapseServer;
let seq = 0;
const open: ProtocolAdapter[] = [];

beforeAll(async () => {
  server = await startSynapse({ extraConfig: { user_directory: { enabled: true, search_all_users: true } } });
});
afterAll(async () => {
  await Promise.allSettled(open.map((a) => a.disconnect()));
  await server?.dispose();
});

async function newUser(prefix: string, displayName: string): Promise<RegisteredUser> {
  const u = await server.registerUser(`${prefix}${seq++}`, 'pw-for-directory-tests');
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent(u.userId)}/displayname`, {
    method: 'PUT', headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ displayname: displayName }),
  });
  if (!res.ok) throw new Error(`set display name: ${res.status} ${await res.text()}`);
  return u;
}

async function connect(user: RegisteredUser): Promise<ProtocolAdapter> {
  const a = createMatrixAdapter({ address: user.userId, serviceUrl: server.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() });
  open.push(a);
  await a.connect({ credentials: { kind: 'token', token: JSON.stringify({ accessToken: user.accessToken, deviceId: user.deviceId, userId: user.userId }) }, syncState: {} });
  return a;
}

/** Synapse updates its directory after a profile change in the background: ask until it answers. */
async function searchUntil(a: ProtocolAdapter, term: string, limit: number, done: (hits: readonly DirectoryEntry[]) => boolean): Promise<readonly DirectoryEntry[]> {
  const until = Date.now() + 15_000;
  for (;;) {
    const hits = await a.directory!.search(term, limit);
    if (done(hits) || Date.now() > until) return hits;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('matrix directory search', () => {
  it('finds users by display name with their user id as address, not the searcher', async () => {
    const me = await newUser('dirme', 'Dagny Söker');
    const dagny = await newUser('dirdagny', 'Dagny Fjord');
    const a = await connect(me);
    const hits = await searchUntil(a, ' dagny ', 10, (h) => h.length > 0);
    expect(hits).toEqual([{ address: dagny.userId, name: 'Dagny Fjord' }]);
    expect(await a.directory!.search('nobody-like-this', 10)).toEqual([]);
    await expect(a.directory!.search('   ', 10)).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('keeps to the limit and opens a direct chat whose peer is the hit\'s address', async () => {
    const me = await newUser('limme', 'Lim Me');
    for (let i = 0; i < 3; i++) await newUser('limfriend', `Limo ${i}`);
    const a = await connect(me);
    await searchUntil(a, 'limo', 10, (h) => h.length === 3);
    const hits = await a.directory!.search('limo', 2);
    expect(hits).toHaveLength(2);
    const conv = await a.direct!.open(hits[0]!.address);
    expect(conv).toMatchObject({ kind: 'direct', peer: hits[0]!.address });
  });
});
