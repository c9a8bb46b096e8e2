import type { ChatApi } from '../../common/api';

/** State of the link between this window and the app core. */
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'unauthorized';

/** The ChatApi plus, for transports that can drop (web mode), connection events. */
export interface RendererApi extends ChatApi {
  onConnectionChange?(listener: (state: ConnectionState) => void): () => void;
}
