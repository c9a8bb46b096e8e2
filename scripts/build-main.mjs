#!/usr/bin/env node
// Bundles the Electron main process and the preload with esbuild:
//   main/electron/main.ts    → dist/electron/main.cjs    (node, CommonJS; electron and native modules external)
//   main/electron/core-host/entry.ts → dist/electron/core-host.cjs (the core's utilityProcess; same externals)
//   main/electron/preload.ts → dist/electron/preload.cjs (CommonJS: sandboxed preloads cannot be ESM)
// Usage: node scripts/build-main.mjs [--dev]   (--dev: no minification, inline source maps)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules that must be loaded at run time, not bundled. */
export const MAIN_EXTERNALS = [
  'electron',
  'better-sqlite3', // native: shipped unpacked from the asar (electron-builder.yml)
  'bufferutil', // optional native speed-ups of ws, not installed
  'utf-8-validate',
];

export async function buildMain({ dev = false } = {}) {
  const common = {
    bundle: true,
    format: 'cjs',
    sourcemap: dev ? 'inline' : 'linked',
    minify: !dev,
    legalComments: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  };
  const nodeBundle = (entry, outfile) =>
    build({
      ...common,
      entryPoints: [join(root, entry)],
      outfile: join(root, outfile),
      platform: 'node',
      target: 'node22',
      external: MAIN_EXTERNALS,
      // ESM-only idioms used by bundled code keep working in the CommonJS bundle.
      define: {
        ...common.define,
        'import.meta.url': '__samverkaImportMetaUrl',
        'import.meta.dirname': '__dirname',
        'import.meta.filename': '__filename',
      },
      banner: { js: "const __samverkaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
  await Promise.all([
    nodeBundle('main/electron/main.ts', 'dist/electron/main.cjs'),
    // Forked by core-bridge.ts as join(dirname(main.cjs), 'core-host.cjs'): keep both in dist/electron/.
    nodeBundle('main/electron/core-host/entry.ts', 'dist/electron/core-host.cjs'),
    build({
      ...common,
      entryPoints: [join(root, 'main/electron/preload.ts')],
      outfile: join(root, 'dist/electron/preload.cjs'),
      platform: 'browser',
      target: 'chrome140',
      external: ['electron'],
    }),
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildMain({ dev: process.argv.includes('--dev') }).catch((e) => {
    process.stderr.write(`build-main failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
