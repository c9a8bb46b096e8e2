// Test-side helpers: one fake server per test file, and a Rocket.Chat adapter for a user of it,
// with its events recorded.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRocketChatAdapter } from '../../../protocols/rocketchat';
import type { AdapterEvent, AdapterLogger, ConnectOptions, ConnectResult, ProtocolAdapter, SyncState } from '../../../protocols/contract';
import { record } from '../../helpers/recorder';
import type { Recorder } from '../../helpers/recorder';
import { startRocketChat } from './server';
import type { RocketChatServer } from './server';

export const quietLog: AdapterLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface RcClient {
  readonly adapter: ProtocolAdapter;
  readonly rec: Recorder;
  readonly address: string;
  connect(credentials?: ConnectOptions['credentials'], syncState?: SyncState): Promise<ConnectResult>;
}

export function addressOf(srv: RocketChatServer, username: string): string {
  return `${username}@${srv.host}:${srv.port}`;
}

export function rcClient(srv: RocketChatServer, username: string, password = `${username}-pw`): RcClient {
  const address = addressOf(srv, username);
  const adapter = createRocketChatAdapter({ address, serviceUrl: srv.baseUrl, allowPlaintext: true }, { log: quietLog, now: () => Date.now() });
  const rec = record(adapter);
  return {
    adapter,
    rec,
    address,
    connect: (credentials = { kind: 'password', password }, syncState = rec.sync()) => adapter.connect({ credentials, syncState }),
  };
}

export interface RocketChatTestBed {
  /** The file's server: started before its first test, disposed of after its last. */
  readonly srv: RocketChatServer;
  /** rcClient() for `username`, its adapter disconnected after the current test. */
  client(username: string, password?: string): RcClient;
  /** Disconnect `adapter` after the current test; returns it. */
  track<A extends ProtocolAdapter>(adapter: A): A;
}

/**
 * Call once at the top of a test file: registers the vitest hooks that start one server for the
 * file, disconnect every adapter client() made after the test that made it (so no test sees
 * another's sockets) and dispose of the server at the end.
 */
export function useRocketChatServer(): RocketChatTestBed {
  let srv: RocketChatServer | undefined;
  const open: ProtocolAdapter[] = [];
  beforeAll(async () => {
    srv = await startRocketChat();
  });
  afterAll(async () => {
    await srv!.dispose();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.disconnect()));
  });
  const bed: RocketChatTestBed = {
    get srv(): RocketChatServer {
      if (!srv) throw new Error('the Rocket.Chat test server is not started yet (use it inside a test or hook)');
      return srv;
    },
    client(username, password) {
      const c = rcClient(bed.srv, username, password);
      open.push(c.adapter);
      return c;
    },
    track(adapter) {
      open.push(adapter);
      return adapter;
    },
  };
  return bed;
}

export type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;
export const isMessageText = (text: string) => (e: AdapterEvent): e is MessageEvent => e.type === 'message' && e.message.text === text;
export const countText = (rec: Recorder, text: string): number => rec.events.filter(isMessageText(text)).length;
export const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));
