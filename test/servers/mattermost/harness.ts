// Helpers for tests against the Mattermost test server: one server per test file, users in a shared
// team, adapters for them.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createMattermostAdapter } from '../../../protocols/mattermost';
import type { AdapterLogger, ConnectResult, Credentials, ProtocolAdapter, SyncState } from '../../../protocols/contract';
import { record, type Recorder } from '../../helpers/recorder';
import { startMattermost, type MattermostOptions, type MattermostServer } from './server';

export const quiet: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  /** username@127.0.0.1:port */
  readonly address: string;
  makeAdapter(): ProtocolAdapter;
  readonly credentials: Credentials;
}

let n = 0;

/** A user in `teamId` (created on first use per server: team "main"). */
export function addUser(srv: MattermostServer, prefix: string, opts: { firstName?: string; lastName?: string; mfaCode?: string; authService?: string; teamId?: string } = {}): TestUser {
  const username = `${prefix}${n++}`;
  const password = `${username}-Pw!`;
  const u = srv.createUser({ username, password, ...opts });
  const teamId = opts.teamId ?? mainTeam(srv);
  srv.state.teamMembers.get(teamId)!.add(u.id);
  const address = `${username}@${srv.host}`;
  return {
    id: u.id,
    username,
    password,
    address,
    makeAdapter: () => createMattermostAdapter({ address, serviceUrl: srv.baseUrl, allowPlaintext: true }, { log: quiet, now: () => Date.now() }),
    credentials: { kind: 'password', password },
  };
}

const teams = new WeakMap<MattermostServer, string>();
export function mainTeam(srv: MattermostServer): string {
  let id = teams.get(srv);
  if (!id) {
    id = srv.createTeam('main', 'Main Team', []).id;
    teams.set(srv, id);
  }
  return id;
}

/** A test user's adapter, connected, with its events recorded from before connect(). */
export interface LiveUser {
  readonly user: TestUser;
  readonly adapter: ProtocolAdapter;
  readonly rec: Recorder;
}

export interface MattermostTestBed {
  /** The file's server: started before its first test, stopped after its last. */
  readonly srv: MattermostServer;
  /** Disconnect `adapter` after the current test; returns it. */
  track<A extends ProtocolAdapter>(adapter: A): A;
  /** Connect `user` (a new adapter unless one is given) from `syncState`; disconnected after the test. */
  connect(user: TestUser, adapter?: ProtocolAdapter, syncState?: SyncState): Promise<LiveUser & { readonly result: ConnectResult }>;
}

/**
 * Call once at the top of a test file: registers the vitest hooks that start one server for the
 * file, disconnect every adapter a test tracked after that test (so no test sees another's
 * sockets) and stop the server at the end.
 */
export function useMattermostServer(opts?: MattermostOptions): MattermostTestBed {
  let srv: MattermostServer | undefined;
  const open: ProtocolAdapter[] = [];
  beforeAll(async () => {
    srv = await startMattermost(opts);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.disconnect()));
  });
  afterAll(async () => {
    await srv!.stop();
  });
  const track = <A extends ProtocolAdapter>(adapter: A): A => {
    open.push(adapter);
    return adapter;
  };
  return {
    get srv(): MattermostServer {
      if (!srv) throw new Error('the Mattermost test server is not started yet (use it inside a test or hook)');
      return srv;
    },
    track,
    async connect(user, adapter = user.makeAdapter(), syncState = {}) {
      track(adapter);
      const rec = record(adapter, syncState);
      const result = await adapter.connect({ credentials: user.credentials, syncState });
      return { user, adapter, rec, result };
    },
  };
}
