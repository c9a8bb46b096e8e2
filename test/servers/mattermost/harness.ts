// Helpers for tests against the Mattermost test server: users in a shared team, adapters for them.
import { createMattermostAdapter } from '../../../protocols/mattermost';
import type { AdapterLogger, Credentials, ProtocolAdapter } from '../../../protocols/contract';
import type { MattermostServer } from './server';

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
