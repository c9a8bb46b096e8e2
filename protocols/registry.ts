// The adapters this build ships, by protocol. Hosts pass this to the core; the core reports the
// list to the UI, which offers only these protocols.
import type { ProtocolId } from '../common/ids';
import type { AdapterFactory } from './contract';
import { createXmppAdapter } from './xmpp/index';
import { createMatrixAdapter } from './matrix/index';
import { createMattermostAdapter } from './mattermost/index';
import { createRocketChatAdapter } from './rocketchat/index';

export const ADAPTERS: Readonly<Partial<Record<ProtocolId, AdapterFactory>>> = {
  xmpp: createXmppAdapter,
  matrix: createMatrixAdapter,
  mattermost: createMattermostAdapter,
  rocketchat: createRocketChatAdapter,
};
