// Starts the real web-mode entry point (main/web/start.ts) as a child process with a fresh profile,
// exactly as `npm start` does without Electron, and returns the URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface WebApp {
  readonly url: string;
  readonly profileDir: string;
  output(): string;
  stop(): Promise<void>;
}

const root = resolve(import.meta.dirname, '..', '..');

/** `env`: extra environment for the app, e.g. SAMVERKA_POLICY (a policy file by IT). */
export async function startWebApp(opts: { profileDir?: string; env?: Readonly<Record<string, string>> } = {}): Promise<WebApp> {
  const profileDir = opts.profileDir ?? (await mkdtemp(join(tmpdir(), 'samverka-profile-')));
  const child: ChildProcess = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['main/web/start.ts', '--port', '0', '--profile', profileDir], {
    cwd: root,
    env: { ...process.env, ...opts.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start:\n${out}`)), 30_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /running: (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    profileDir,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.profileDir) await rm(profileDir, { recursive: true, force: true });
    },
  };
}
