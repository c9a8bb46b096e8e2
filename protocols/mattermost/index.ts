// Mattermost adapter entry point (REST v4 + WebSocket; see adapter.ts).
import type { AdapterFactory } from '../contract';
import { MattermostAdapter } from './adapter';

export { MattermostAdapter };

export const createMattermostAdapter: AdapterFactory = (config, ctx) => new MattermostAdapter(config, ctx);
