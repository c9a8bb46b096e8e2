// Matrix adapter entry point (client-server API on matrix-js-sdk 43, no E2EE yet: see sdk.ts).
import type { AdapterFactory } from '../contract';
import { MatrixAdapter } from './adapter';

export type { MatrixServerInfo } from './adapter';
export { MatrixAdapter };

export const createMatrixAdapter: AdapterFactory = (config, ctx) => new MatrixAdapter(config, ctx);
