// The core's utilityProcess entry (bundled to dist/electron/core-host.cjs by scripts/build-main.mjs
// and forked by core-bridge.ts). Runs the host-agnostic core, crash-isolated from the window,
// and talks to the main process over process.parentPort (protocol.ts). Secrets stay in main.
import { createCore } from '../../core/core';
import { ADAPTERS } from '../../../protocols/registry';
import { serveCore, type ParentPortLike } from './host';
import { loadPolicy, policyPath } from '../../shared/policy';

const port = (process as { parentPort?: ParentPortLike | null }).parentPort;
if (!port) {
  process.stderr.write('Samverka core host: no parentPort; this script must be started with Electron utilityProcess.fork.\n');
  process.exit(1);
} else {
  serveCore(port, {
    createCore: ({ profileDir, secrets }) =>
      createCore({ profileDir, secrets, adapters: ADAPTERS, policy: loadPolicy(policyPath(process.env, process.platform), (m) => process.stderr.write(`${m}\n`)) }),
  });
}
