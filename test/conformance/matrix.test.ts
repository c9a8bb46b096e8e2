// The protocol-agnostic conformance suite against the Matrix adapter and a real Synapse.
import { afterAll, beforeAll } from 'vitest';
import { startSynapse } from '../servers/synapse/synapse';
import type { SynapseServer } from '../servers/synapse/synapse';
import { createMatrixAdapter } from '../../protocols/matrix';
import type { AdapterLogger } from '../../protocols/contract';
import { runConformance } from './suite';
import type { TestAccount } from './suite';

let server: SynapseServer | null = null;
let n = 0;

const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  server = await startSynapse();
});
afterAll(async () => {
  await server?.dispose();
});

function account(srv: SynapseServer, user: string, password: string): TestAccount {
  const address = `@${user}:${srv.serverName}`;
  return {
    makeAdapter: () => createMatrixAdapter({ address, serviceUrl: srv.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() }),
    credentials: { kind: 'password', password },
    address,
  };
}

runConformance('matrix', {
  async createPair() {
    const srv = server!;
    const a = `subject${n}`;
    const b = `peer${n++}`;
    await Promise.all([srv.registerUser(a, `${a}-pw`), srv.registerUser(b, `${b}-pw`)]);
    return { subject: account(srv, a, `${a}-pw`), peer: account(srv, b, `${b}-pw`) };
  },
  async restartServer() {
    await server!.restart();
  },
});
