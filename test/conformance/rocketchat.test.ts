// The protocol-agnostic conformance suite against the Rocket.Chat adapter and the in-process
// fake Rocket.Chat server (test/servers/rocketchat).
import { afterAll, beforeAll } from 'vitest';
import { startRocketChat } from '../servers/rocketchat/server';
import type { RocketChatServer } from '../servers/rocketchat/server';
import { createRocketChatAdapter } from '../../protocols/rocketchat';
import type { AdapterLogger } from '../../protocols/contract';
import { runConformance } from './suite';
import type { TestAccount } from './suite';

let server: RocketChatServer | null = null;
let n = 0;

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  server = await startRocketChat();
});
afterAll(async () => {
  await server?.dispose();
});

function account(srv: RocketChatServer, user: string, password: string): TestAccount {
  const address = `${user}@${srv.host}:${srv.port}`;
  return {
    makeAdapter: () => createRocketChatAdapter({ address, serviceUrl: srv.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() }),
    credentials: { kind: 'password', password },
    address,
  };
}

runConformance('rocketchat', {
  async createPair() {
    const srv = server!;
    const a = srv.createUser(`subject${n}`);
    const b = srv.createUser(`peer${n++}`);
    return { subject: account(srv, a.username, a.password), peer: account(srv, b.username, b.password) };
  },
  async restartServer() {
    await server!.stop();
    await server!.start();
  },
});
