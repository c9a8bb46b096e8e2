// Login and error classification against a real Prosody (plaintext loopback server) and a second
// Prosody that offers STARTTLS with a self-signed certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProsody, freePort } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { makeAdapter } from '../servers/prosody/clients';
import { AppError } from '../../common/errors';
import type { ErrorKind } from '../../common/errors';
import { createXmppAdapter } from '../../protocols/xmpp';

async function connectError(p: Promise<unknown>): Promise<ErrorKind> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).kind;
  }
  throw new Error('connect unexpectedly succeeded');
}

describe('xmpp adapter: login', () => {
  let server: ProsodyServer;
  let tlsServer: ProsodyServer;

  beforeAll(async () => {
    [server, tlsServer] = await Promise.all([startProsody(), startProsody({ tls: true })]);
    await Promise.all([server.register('anna', 'annapw'), tlsServer.register('anna', 'annapw')]);
  });
  afterAll(async () => {
    await Promise.all([server.dispose(), tlsServer.dispose()]);
  });

  it('logs in with SCRAM, emits capabilities from disco and connected', async () => {
    const { adapter, rec } = makeAdapter(server, 'anna');
    const t0 = performance.now();
    const res = await adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
    const ms = performance.now() - t0;
    console.log(`[timing] xmpp connect (SCRAM-SHA-1, 4096 rounds, disco, roster, catch-up baseline): ${ms.toFixed(0)} ms`);
    expect(res.selfId).toBe('anna@localhost');
    const caps = await rec.waitFor((e) => e.type === 'capabilities');
    expect(caps.type === 'capabilities' && caps.capabilities).toMatchObject({
      history: true,
      carbons: true,
      upload: true,
      maxUploadBytes: 10 * 1024 * 1024,
      createRoom: true,
      streamManagement: true,
    });
    expect(adapter.capabilities().history).toBe(true);
    await rec.waitFor((e) => e.type === 'connection' && e.state === 'connected');
    await adapter.disconnect();
    const n = rec.events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.events.length).toBe(n); // nothing after disconnect() resolved
  });

  it('wrong password → auth (fatal)', async () => {
    const { adapter, rec } = makeAdapter(server, 'anna');
    const kind = await connectError(adapter.connect({ credentials: { kind: 'password', password: 'nope' }, syncState: {} }));
    expect(kind).toBe('auth');
    const ev = await rec.waitFor((e) => e.type === 'connection' && e.state === 'disconnected');
    expect(ev.type === 'connection' && ev.error?.fatal).toBe(true);
  });

  it('unreachable port → network (not fatal)', async () => {
    const port = await freePort();
    const adapter = createXmppAdapter(
      { address: 'anna@localhost', serviceUrl: `xmpp://127.0.0.1:${port}`, allowPlaintext: true },
      { log: console, now: () => Date.now() },
    );
    const kind = await connectError(adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} }));
    expect(kind).toBe('network');
  });

  it('server without TLS and allowPlaintext=false → insecure, password never sent', async () => {
    const { adapter } = makeAdapter(server, 'anna', { allowPlaintext: false });
    const kind = await connectError(adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} }));
    expect(kind).toBe('insecure');
  });

  it('STARTTLS with an untrusted self-signed certificate → certificate', async () => {
    const { adapter } = makeAdapter(tlsServer, 'anna', { allowPlaintext: false });
    const kind = await connectError(adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} }));
    expect(kind).toBe('certificate');
  });

  it('STARTTLS succeeds when the certificate is in trustedCaPem (no plaintext allowed)', async () => {
    const { adapter } = makeAdapter(tlsServer, 'anna', { allowPlaintext: false, trustedCaPem: [tlsServer.certPem!] });
    const res = await adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {} });
    expect(res.selfId).toBe('anna@localhost');
    await adapter.disconnect();
  });

  it('abort signal cancels a connect', async () => {
    const { adapter } = makeAdapter(server, 'anna');
    const ac = new AbortController();
    const p = adapter.connect({ credentials: { kind: 'password', password: 'annapw' }, syncState: {}, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const kind = await connectError(p);
    expect(kind).toBe('network');
  });
});
