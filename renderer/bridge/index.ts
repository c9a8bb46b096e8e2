import { createElectronApi } from './preload-bridge';
import { createWebSocketApi, takeTokenFromLocation } from './websocket';
import type { RendererApi } from './types';

export type { ConnectionState, RendererApi } from './types';
export { ApiError, toAppError, errorKind } from './errors';

/** Picks the transport: the Electron preload if present, else the web-mode WebSocket. */
export function createApi(): RendererApi {
  if (window.samverka) return createElectronApi(window.samverka);
  const token = takeTokenFromLocation();
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketApi({ url: `${scheme}://${window.location.host}/api`, token });
}
