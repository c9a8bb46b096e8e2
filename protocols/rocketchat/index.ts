// Rocket.Chat adapter entry point (REST /api/v1 + our own DDP client; see README.md).
import type { AdapterFactory } from '../contract';
import { RocketChatAdapter } from './adapter';

export { RocketChatAdapter };
export { parseSsoToken } from './sso';

export const createRocketChatAdapter: AdapterFactory = (config, ctx) => new RocketChatAdapter(config, ctx);
