// AccountConfig.trustedCaPem: an https server with a private CA is refused (certificate error) until
// its CA is trusted; then REST and the WebSocket both work over TLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMattermost, type MattermostServer } from '../servers/mattermost';
import { quiet } from '../servers/mattermost/harness';
import { selfSignedLoopbackCert } from '../servers/mattermost/tls';
import { createMattermostAdapter } from '../../protocols/mattermost';
import type { ProtocolAdapter } from '../../protocols/contract';
import { record } from '../helpers/recorder';

let srv: MattermostServer;
let ca: string;

beforeAll(async () => {
  const tls = await selfSignedLoopbackCert();
  ca = tls.cert;
  srv = await startMattermost({ tls });
});
afterAll(async () => {
  await srv.stop();
});

describe('mattermost over TLS with an organisation CA', () => {
  it('refuses the unknown CA, then works with it in trustedCaPem (REST and WebSocket)', async () => {
    const a = srv.createUser({ username: 'tlsa', password: 'pw-a' });
    const b = srv.createUser({ username: 'tlsb', password: 'pw-b' });
    srv.createTeam('tls', 'TLS', [a.id, b.id]);
    const dm = srv.directChannel(a.id, b.id).id;
    expect(srv.baseUrl.startsWith('https://')).toBe(true);

    const untrusting = createMattermostAdapter({ address: `tlsa@${srv.host}`, serviceUrl: srv.baseUrl }, { log: quiet, now: () => Date.now() });
    await expect(untrusting.connect({ credentials: { kind: 'password', password: 'pw-a' }, syncState: {} })).rejects.toMatchObject({ kind: 'certificate' });

    const adapter: ProtocolAdapter = createMattermostAdapter({ address: `tlsa@${srv.host}`, serviceUrl: srv.baseUrl, trustedCaPem: [ca] }, { log: quiet, now: () => Date.now() });
    const rec = record(adapter);
    try {
      await adapter.connect({ credentials: { kind: 'password', password: 'pw-a' }, syncState: {} });
      srv.post(b.id, dm, 'over tls');
      await rec.waitFor((e) => e.type === 'message' && e.message.text === 'over tls', 5000, 'message over wss');
    } finally {
      await adapter.disconnect();
    }
  });
});
