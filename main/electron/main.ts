// Electron main-process entry (bundled to dist/electron/main.cjs by scripts/build-main.mjs).
import { startCoreInProcess } from './core-bridge';
import { runDesktopApp } from './desktop';

runDesktopApp({ startCore: startCoreInProcess });
