// Rocket.Chat over TLS with the organisation's own certificate authority: a TLS terminator on
// loopback in front of the test server, its certificate signed by a throwaway CA. Without that CA
// the sign-in fails as a certificate problem (nothing sent); with it REST and the DDP socket work.
import { connect, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRocketChatAdapter } from '../../protocols/rocketchat';
import type { AdapterEvent, ProtocolAdapter } from '../../protocols/contract';
import { startRocketChat } from '../servers/rocketchat/server';
import type { RocketChatServer } from '../servers/rocketchat/server';
import { makeTestCa } from '../servers/test-ca';
import type { TestCa } from '../servers/test-ca';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let srv: RocketChatServer;
let ca: TestCa;
let front: NetServer;
let frontUrl: string;
const open: ProtocolAdapter[] = [];

beforeAll(async () => {
  [srv, ca] = await Promise.all([startRocketChat(), makeTestCa('Kommunens interna CA')]);
  // Terminates TLS and pipes the bytes to the plain test server: HTTP and WebSocket alike.
  front = createTlsServer({ key: ca.serverKeyPem, cert: ca.serverCertPem }, (tlsSocket) => {
    const up = connect(srv.port, '127.0.0.1');
    tlsSocket.pipe(up).pipe(tlsSocket);
    const end = (): void => {
      tlsSocket.destroy();
      up.destroy();
    };
    up.on('error', end);
    tlsSocket.on('error', end);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontUrl = `https://127.0.0.1:${(front.address() as { port: number }).port}`;
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.disconnect()));
  front.close();
  await srv.dispose();
});

function adapter(username: string, trustedCaPem?: string[]): ProtocolAdapter {
  const a = createRocketChatAdapter({ address: `${username}@127.0.0.1`, serviceUrl: frontUrl, ...(trustedCaPem ? { trustedCaPem } : {}) }, { log: quiet, now: () => Date.now() });
  open.push(a);
  return a;
}

describe('Rocket.Chat with extra trusted CAs', () => {
  it('refuses the server without the CA (certificate), and talks to it with the CA: REST and the live socket', async () => {
    srv.createUser('tlsanna', { password: 'anna-pw' });
    srv.createUser('tlsbo', { password: 'bo-pw' });
    const dm = srv.openDirect('tlsanna', 'tlsbo');

    const refused = await adapter('tlsanna').connect({ credentials: { kind: 'password', password: 'anna-pw' }, syncState: {} }).then(() => null, (e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'certificate' });
    expect(String((refused as Error).message)).toMatch(/trusted certificate authority/u);

    const other = await makeTestCa('Unrelated CA');
    await expect(adapter('tlsanna', [other.caPem]).connect({ credentials: { kind: 'password', password: 'anna-pw' }, syncState: {} })).rejects.toMatchObject({ kind: 'certificate' });

    const a = adapter('tlsanna', [ca.caPem]);
    const events: AdapterEvent[] = [];
    a.onEvent((e) => events.push(e));
    await a.connect({ credentials: { kind: 'password', password: 'anna-pw' }, syncState: {} });
    srv.post('tlsbo', dm, 'Hej över TLS');
    await expect.poll(() => events.some((e) => e.type === 'message' && e.message.text === 'Hej över TLS'), { timeout: 5000 }).toBe(true);
    await a.send(dm, { clientTxnId: 'tls-1', text: 'Svar över TLS' });
    expect(srv.messages(dm).map((m) => m.msg)).toContain('Svar över TLS');
  });
});
