// Extra trusted certificate authorities for Matrix (AccountConfig.trustedCaPem, protocols/matrix/
// http.ts) against a real Synapse behind an HTTPS front (test/servers/http-front.ts) whose
// certificate is signed by a throwaway CA made in this test (openssl, test/servers/test-ca.ts).
// Without that CA the connection fails with kind 'certificate' before any request reaches the
// server; with it, login, sync, a message both ways, media and the SSO helper all work over TLS;
// an unrelated CA still fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { RegisteredUser, SynapseServer } from '../servers/synapse/synapse';
import { synapseApi } from '../servers/synapse/client-api';
import { startHttpFront } from '../servers/http-front';
import type { HttpFront } from '../servers/http-front';
import { makeTestCa } from '../servers/test-ca';
import type { TestCa } from '../servers/test-ca';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AccountConfig, AdapterEvent, AdapterLogger, ProtocolAdapter } from '../../protocols/contract';
import { AppError } from '../../common/errors';
import { record } from '../helpers/recorder';

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let server: SynapseServer;
let front: HttpFront;
let ca: TestCa;
let unrelated: TestCa;
let seq = 0;
const open: ProtocolAdapter[] = [];

async function newUser(prefix: string): Promise<RegisteredUser & { password: string }> {
  const name = `${prefix}${seq++}`;
  return { ...(await server.registerUser(name, `${name}-pw`)), password: `${name}-pw` };
}

function adapterFor(userId: string, extra: Partial<AccountConfig> = {}): ProtocolAdapter {
  // No allowPlaintext: the homeserver is https only.
  const adapter = createMatrixAdapter({ address: userId, serviceUrl: front.url, ...extra }, { log: quiet, now: () => Date.now() });
  open.push(adapter);
  return adapter;
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw new Error(`expected an AppError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

/** Plain client-server API call, directly to Synapse (not through the TLS front). */
const api = <T>(user: RegisteredUser, method: string, path: string, body?: unknown): Promise<T> => synapseApi<T>(server.baseUrl, user, method, path, body);

beforeAll(async () => {
  [server, ca, unrelated] = await Promise.all([startSynapse(), makeTestCa('Samverka Test Org CA'), makeTestCa('Unrelated CA')]);
  front = await startHttpFront({ targetPort: server.port, tls: { key: ca.serverKeyPem, cert: ca.serverCertPem } });
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((a) => a.disconnect().catch(() => undefined)));
  await front?.close();
  await server?.dispose();
});

describe('matrix: extra trusted certificate authorities', () => {
  it('without the CA: connect fails with kind certificate and a clear message; no request reaches the server', async () => {
    const u = await newUser('nt');
    const adapter = adapterFor(u.userId);
    const rec = record(adapter);
    const seen = front.requests.length;
    const err = await rejection(adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }));
    expect(err.kind).toBe('certificate');
    expect(err.fatal).toBe(true);
    expect(err.message).toMatch(/not signed by a trusted certificate authority/);
    const last = rec.events.filter((e): e is Extract<AdapterEvent, { type: 'connection' }> => e.type === 'connection').at(-1);
    expect(last).toMatchObject({ state: 'disconnected', error: { kind: 'certificate' } });
    // The TLS handshake failed: not even the login request (with the password) was sent.
    expect(front.requests.length).toBe(seen);
    // The SSO helper uses the same fetch and reports the same.
    expect((await rejection(adapter.sso!.providers())).kind).toBe('certificate');
  });

  it('with the CA in trustedCaPem: login, sync, a message both ways, media and the SSO helper work over TLS', async () => {
    const [u, peer] = await Promise.all([newUser('tr'), newUser('pe')]);
    const adapter = adapterFor(u.userId, { trustedCaPem: [ca.caPem] });
    const rec = record(adapter);
    const seen = front.requests.length;
    const res = await adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} });
    expect(res.selfId).toBe(u.userId);

    const { room_id: room } = await api<{ room_id: string }>(peer, 'POST', '/_matrix/client/v3/createRoom', { name: 'TLS', invite: [u.userId] });
    await rec.waitFor((e) => e.type === 'room.invite' && e.roomId === room, 15_000, 'invite');
    await adapter.rooms!.join(room);

    const ack = await adapter.send(room, { clientTxnId: `tls-${seq++}`, text: 'hello over TLS' });
    const history = await api<{ chunk: { event_id: string; content: { body?: string } }[] }>(peer, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=20`);
    expect(history.chunk.find((e) => e.event_id === ack.messageId)?.content.body).toBe('hello over TLS');

    await api(peer, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/tls-${seq++}`, { msgtype: 'm.text', body: 'reply from the peer' });
    const got = await rec.waitFor((e) => e.type === 'message' && e.message.text === 'reply from the peer', 15_000, 'the reply');
    expect(got.type === 'message' && got.message).toMatchObject({ conversationId: room, senderId: peer.userId, own: false });

    const data = new TextEncoder().encode('file over TLS');
    const att = await adapter.files!.upload(room, { name: 'tls.txt', mime: 'text/plain', data });
    const back = await adapter.files!.download(att);
    expect(new TextDecoder().decode(back.data)).toBe('file over TLS');

    // Reached the server through TLS (not the plain-HTTP one): login, sync, send, media.
    const paths = front.requests.slice(seen);
    for (const p of ['/_matrix/client/v3/login', '/_matrix/client/v3/sync', '/_matrix/client/v3/rooms/', '/_matrix/media/v3/upload']) {
      expect(paths.some((x) => x.startsWith(p)), `${p} went through the TLS front`).toBe(true);
    }
    // The SSO helper reaches the server too: this Synapse has no SSO, which it can now say.
    expect((await rejection(adapter.sso!.providers())).kind).toBe('unsupported');
    await adapter.disconnect();
  });

  it('an unrelated CA does not make the certificate trusted', async () => {
    const u = await newUser('un');
    const adapter = adapterFor(u.userId, { trustedCaPem: [unrelated.caPem] });
    const seen = front.requests.length;
    const err = await rejection(adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }));
    expect(err.kind).toBe('certificate');
    expect(err.message).toMatch(/not signed by a trusted certificate authority/);
    expect(front.requests.length).toBe(seen);
  });

  it('a trustedCaPem entry that is not a certificate fails with kind certificate naming the entry', async () => {
    const u = await newUser('bad');
    const adapter = adapterFor(u.userId, { trustedCaPem: [ca.caPem, 'not a certificate'] });
    const err = await rejection(adapter.connect({ credentials: { kind: 'password', password: u.password }, syncState: {} }));
    expect(err.kind).toBe('certificate');
    expect(err.message).toMatch(/trusted certificate authority #2 is not a PEM certificate/);
  });
});
