// Electron main-process entry (bundled to dist/electron/main.cjs by scripts/build-main.mjs).
// The core itself runs in a utilityProcess (core-bridge.ts → dist/electron/core-host.cjs).
import { startCoreInUtilityProcess } from './core-bridge';
import { runDesktopApp } from './desktop';

runDesktopApp({ startCore: startCoreInUtilityProcess });
