// The protocol-agnostic conformance suite against the Mattermost adapter and the in-process test server.
import { afterAll, beforeAll } from 'vitest';
import { startMattermost, type MattermostServer } from '../servers/mattermost';
import { addUser } from '../servers/mattermost/harness';
import { runConformance } from './suite';

let server: MattermostServer | null = null;

beforeAll(async () => {
  server = await startMattermost();
});
afterAll(async () => {
  await server?.stop();
});

runConformance('mattermost', {
  async createPair() {
    const srv = server!;
    return { subject: addUser(srv, 'subject'), peer: addUser(srv, 'peer') };
  },
  async restartServer() {
    await server!.restart();
  },
});
