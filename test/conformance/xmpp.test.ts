// The protocol-agnostic conformance suite against the XMPP adapter and a real Prosody.
import { afterAll, beforeAll } from 'vitest';
import { startProsody } from '../servers/prosody/prosody';
import type { ProsodyServer } from '../servers/prosody/prosody';
import { testLog } from '../servers/prosody/clients';
import { createXmppAdapter } from '../../protocols/xmpp';
import { runConformance } from './suite';
import type { TestAccount } from './suite';

let server: ProsodyServer | null = null;
let n = 0;

beforeAll(async () => {
  server = await startProsody();
});
afterAll(async () => {
  await server?.dispose();
});

function account(srv: ProsodyServer, user: string, password: string): TestAccount {
  return {
    makeAdapter: () =>
      createXmppAdapter(
        { address: `${user}@${srv.domain}`, serviceUrl: srv.serviceUrl, allowPlaintext: true },
        { log: testLog, now: () => Date.now() },
      ),
    credentials: { kind: 'password', password },
    address: `${user}@${srv.domain}`,
  };
}

runConformance('xmpp', {
  async createPair() {
    const srv = server!;
    const a = `subject${n}`;
    const b = `peer${n++}`;
    await Promise.all([srv.register(a, `${a}-pw`), srv.register(b, `${b}-pw`)]);
    return { subject: account(srv, a, `${a}-pw`), peer: account(srv, b, `${b}-pw`) };
  },
  async restartServer() {
    await server!.restart();
  },
});
