// Matrix adapter entry point (client-server API on matrix-js-sdk 43, E2EE with the Rust crypto: e2ee.ts, crypto-store/).
import type { AdapterFactory } from '../contract';
import { MatrixAdapter } from './adapter';

export type { MatrixServerInfo } from './adapter';
export { MatrixAdapter };

export const createMatrixAdapter: AdapterFactory = (config, ctx) => new MatrixAdapter(config, ctx);
