#!/usr/bin/env node
// `npm start`: builds the renderer if it is missing or stale, then runs the desktop app when the
// Electron binary is installed, otherwise (or with --web) web mode on http://127.0.0.1.
//   npm start [-- --web] [--port <n>] [--profile <dir>]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`[start] ${line}\n`);

/** Newest mtime (ms) of the files under `path` (a file or a directory), 0 if it does not exist. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

const RENDERER_INPUTS = ['renderer', 'common', 'assets', 'index.html', 'vite.config.ts', 'package.json'];

function rendererIsStale() {
  const built = join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return RENDERER_INPUTS.some((p) => newestMtime(join(root, p)) > builtAt);
}

function buildRenderer() {
  const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const [cmd, args] = existsSync(viteBin)
    ? [process.execPath, [viteBin, 'build']]
    : [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['vite', 'build']];
  say('building the renderer (vite build)…');
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' && cmd.endsWith('.cmd') });
  return r.status === 0;
}

/** Path of the installed Electron executable, or null (electron's own path.txt + dist/). */
function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathTxt = join(pkg, 'path.txt');
  if (!existsSync(pathTxt) || !existsSync(join(pkg, 'dist'))) return null;
  const bin = join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) && statSync(bin).isFile() ? bin : null;
}

function run(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
  const forward = (signal) => {
    if (child.exitCode === null) child.kill(signal);
  };
  // Ctrl-C reaches the child directly (same process group); SIGTERM/SIGHUP are forwarded.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => forward('SIGTERM'));
  process.on('SIGHUP', () => forward('SIGHUP'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (e) => {
    say(`could not start ${cmd}: ${e.message}`);
    process.exit(1);
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const webRequested = argv.includes('--web');
  const passThrough = argv.filter((a) => a !== '--web');

  if (rendererIsStale()) {
    const ok = buildRenderer();
    if (!ok) {
      if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
        say('the renderer build failed and there is no earlier build; stopping.');
        process.exit(1);
      }
      say('the renderer build failed; using the previous build in dist/renderer.');
    }
  }

  const electron = webRequested ? null : electronBinary();
  if (electron) {
    const { buildMain } = await import('./build-main.mjs');
    say('building the Electron main process and preload…');
    await buildMain({ dev: true });
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    run(electron, ['.', ...passThrough], env);
    return;
  }

  if (!webRequested) say('no Electron binary installed (node_modules/electron/dist); starting web mode.');
  const tsxCli = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  run(process.execPath, [tsxCli, join(root, 'main', 'web', 'start.ts'), ...passThrough]);
}

main().catch((e) => {
  say(`failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
