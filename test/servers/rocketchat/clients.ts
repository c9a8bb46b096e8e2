// Test-side helpers: a Rocket.Chat adapter for a user of the fake server, with its events recorded.
import { createRocketChatAdapter } from '../../../protocols/rocketchat';
import type { AdapterEvent, AdapterLogger, ConnectOptions, ConnectResult, ProtocolAdapter, SyncState } from '../../../protocols/contract';
import { record } from '../../helpers/recorder';
import type { Recorder } from '../../helpers/recorder';
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

export type MessageEvent = Extract<AdapterEvent, { type: 'message' }>;
export const isMessageText = (text: string) => (e: AdapterEvent): e is MessageEvent => e.type === 'message' && e.message.text === text;
export const countText = (rec: Recorder, text: string): number => rec.events.filter(isMessageText(text)).length;
export const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));
