import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureProfileDir, installShutdown, parseWebConfig, type ShutdownTarget } from '../../../main/web/config';

const paths = { home: '/home/anna', cwd: '/work/x', appRoot: '/opt/samverka' };

describe('web mode: configuration', () => {
  it('defaults to a random port and ~/.config/samverka-web', () => {
    expect(parseWebConfig([], {}, paths)).toEqual({
      port: 0,
      profileDir: '/home/anna/.config/samverka-web',
      staticDir: '/opt/samverka/dist/renderer',
    });
  });

  it('takes SAMVERKA_PROFILE and SAMVERKA_PORT from the environment', () => {
    expect(parseWebConfig([], { SAMVERKA_PROFILE: '/tmp/p', SAMVERKA_PORT: '8080' }, paths)).toMatchObject({ port: 8080, profileDir: '/tmp/p' });
  });

  it('lets --port/--profile override the environment, relative to cwd', () => {
    expect(parseWebConfig(['--port', '9000', '--profile=prof'], { SAMVERKA_PROFILE: '/tmp/p' }, paths)).toMatchObject({
      port: 9000,
      profileDir: '/work/x/prof',
    });
    expect(parseWebConfig(['--web', '--port=0'], {}, paths).port).toBe(0);
  });

  it.each([['--port', 'abc'], ['--port', '70000'], ['--port'], ['--bogus']])('rejects %j', (...argv) => {
    expect(() => parseWebConfig(argv, {}, paths)).toThrow();
  });
});

describe('web mode: profile directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samverka-prof-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates it with mode 0700', async () => {
    const p = join(dir, 'a', 'b');
    expect(await ensureProfileDir(p)).toBeNull();
    expect((await stat(p)).mode & 0o777).toBe(0o700);
  });

  it('warns about an existing directory other users can read', async () => {
    const p = join(dir, 'open');
    await mkdir(p);
    await chmod(p, 0o755);
    expect(await ensureProfileDir(p)).toMatch(/accessible to other users/);
    await chmod(p, 0o700);
    expect(await ensureProfileDir(p)).toBeNull();
  });
});

describe('web mode: graceful shutdown', () => {
  function target() {
    const handlers = new Map<string, () => void>();
    const t: ShutdownTarget & { handlers: Map<string, () => void>; exit: Mock<(code: number) => void> } = {
      handlers,
      on: (signal, listener) => handlers.set(signal, listener),
      exit: vi.fn<(code: number) => void>(),
    };
    return t;
  }

  it('runs the steps in order on SIGTERM, then exits 0', async () => {
    const t = target();
    const order: string[] = [];
    installShutdown(t, [async () => void order.push('server'), async () => void order.push('core')], { log: () => undefined });
    t.handlers.get('SIGTERM')!();
    await vi.waitFor(() => expect(t.exit).toHaveBeenCalledWith(0));
    expect(order).toEqual(['server', 'core']);
  });

  it('keeps going when a step fails', async () => {
    const t = target();
    const log = vi.fn();
    const core = vi.fn(async () => undefined);
    installShutdown(t, [() => Promise.reject(new Error('x')), core], { log });
    t.handlers.get('SIGINT')!();
    await vi.waitFor(() => expect(t.exit).toHaveBeenCalledWith(0));
    expect(core).toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('x'));
  });

  it('exits 1 on a second signal or when the steps hang', async () => {
    const t = target();
    installShutdown(t, [() => new Promise<void>(() => undefined)], { timeoutMs: 20, log: () => undefined });
    t.handlers.get('SIGINT')!();
    await vi.waitFor(() => expect(t.exit).toHaveBeenCalledWith(1));
    const t2 = target();
    installShutdown(t2, [() => new Promise<void>(() => undefined)], { log: () => undefined });
    t2.handlers.get('SIGINT')!();
    t2.handlers.get('SIGINT')!();
    expect(t2.exit).toHaveBeenCalledWith(1);
  });
});
