// Web-mode settings from argv and the environment, plus the profile directory and shutdown
// helpers used by start.ts. Kept apart from start.ts so they are unit-testable without the core.
import { chmod, mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

export interface WebConfig {
  /** 0 = pick a free port. */
  readonly port: number;
  readonly profileDir: string;
  readonly staticDir: string;
}

function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw)) throw new Error(`invalid port: ${raw}`);
  const n = Number(raw);
  if (n > 65535) throw new Error(`invalid port: ${raw}`);
  return n;
}

/**
 * Options: `--port <n>` / `--port=<n>` (env SAMVERKA_PORT), `--profile <dir>` / `--profile=<dir>`
 * (env SAMVERKA_PROFILE, default ~/.config/samverka-web). Unknown options are an error, so a typo
 * does not silently start with another profile.
 */
export function parseWebConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  paths: { readonly home: string; readonly cwd: string; readonly appRoot: string },
): WebConfig {
  let port = env.SAMVERKA_PORT ? parsePort(env.SAMVERKA_PORT) : 0;
  let profile = env.SAMVERKA_PROFILE && env.SAMVERKA_PROFILE.length > 0 ? env.SAMVERKA_PROFILE : null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === '--port') port = parsePort(takeValue());
    else if (name === '--profile') profile = takeValue();
    else if (name === '--web') continue; // passed through by scripts/start.mjs
    else throw new Error(`unknown option: ${arg}`);
  }
  const profileDir = profile === null
    ? join(paths.home, '.config', 'samverka-web')
    : isAbsolute(profile) ? profile : resolve(paths.cwd, profile);
  return { port, profileDir, staticDir: join(paths.appRoot, 'dist', 'renderer') };
}

/**
 * Create the profile directory (0700). An existing directory that we did not create is left
 * alone, but a warning is returned if other users can read it.
 */
export async function ensureProfileDir(dir: string): Promise<string | null> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) {
    await chmod(dir, 0o700);
    return null;
  }
  if (process.platform === 'win32') return null;
  const st = await stat(dir);
  if ((st.mode & 0o077) !== 0) {
    return `Warning: the profile directory ${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}); consider chmod 700.`;
  }
  return null;
}

export interface ShutdownTarget {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * On the first SIGINT/SIGTERM run `steps` in order (each failure is reported, not fatal), then
 * exit 0; a second signal, or steps taking longer than `timeoutMs`, exit at once with 1.
 */
export function installShutdown(
  target: ShutdownTarget,
  steps: readonly (() => Promise<void>)[],
  opts: { readonly timeoutMs?: number; readonly log?: (line: string) => void } = {},
): () => Promise<void> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  let running: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    if (running) {
      target.exit(1);
      return running;
    }
    const timer = setTimeout(() => {
      log('Shutdown took too long; exiting.');
      target.exit(1);
    }, opts.timeoutMs ?? 5000);
    timer.unref();
    running = (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (e) {
          log(`Error during shutdown: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      clearTimeout(timer);
      target.exit(0);
    })();
    return running;
  };
  target.on('SIGINT', () => void shutdown());
  target.on('SIGTERM', () => void shutdown());
  return shutdown;
}
