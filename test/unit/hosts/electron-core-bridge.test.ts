// core-bridge.ts: the core in a utilityProcess. Electron is mocked; each forked fake child runs
// the real core-host logic (serveCore) in-process over its fake parentPort, with a fake core.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcResult, Patch } from '../../../common/api';
import type { CoreApi, SecretStore } from '../../../main/core/host-api';
import { serveCore } from '../../../main/electron/core-host/host';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../../main/electron/safe-storage-secret-store';
import { app, BrowserWindow, FakeEvent, ipcMain, mock, safeStorage, type FakeUtilityProcess } from './electron-mock';
import { createFakeCore, type FakeCore } from './fake-core';

vi.mock('electron', async () => await import('./electron-mock'));

const { startCoreInUtilityProcess, CORE_HOST_FILE } = await import('../../../main/electron/core-bridge');
const { runDesktopApp } = await import('../../../main/electron/desktop');

type Handler = (cmd: string, input: unknown, secrets: SecretStore) => Promise<IpcResult<unknown>>;

let dir: string;
let logs: string[];
let childLogs: string[];
let cores: FakeCore[];
/** What each child's fake core does; default echo. */
let handler: Handler | undefined;
let serve: boolean;

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

beforeEach(async () => {
  mock.reset();
  dir = await mkdtemp(join(tmpdir(), 'samverka-bridge-'));
  logs = [];
  childLogs = [];
  cores = [];
  handler = undefined;
  serve = true;
  mock.utility.onFork = (child) => {
    if (!serve) return;
    serveCore(child.parentPort, {
      createCore: ({ secrets }) => {
        const core = createFakeCore((cmd, input) =>
          handler ? handler(cmd, input, secrets) : Promise.resolve({ ok: true, value: { echo: { cmd, input } } }),
        );
        cores.push(core);
        return core;
      },
      log: (l) => void childLogs.push(l),
    });
  };
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

/** The mock's safeStorage, typed as Electron's (the mock reports its backend as a plain string). */
const safe: SafeStorageLike = { ...safeStorage, getSelectedStorageBackend: () => 'gnome_libsecret' };

function secretsStore(): SafeStorageSecretStore {
  return new SafeStorageSecretStore({ safeStorage: safe, file: join(dir, 'secrets.json'), platform: 'darwin', log: (l) => void logs.push(l) });
}

function start(extra: Partial<Parameters<typeof startCoreInUtilityProcess>[0]> = {}): CoreApi {
  return startCoreInUtilityProcess({
    profileDir: join(dir, 'profile'),
    secrets: secretsStore(),
    entryPath: '/opt/samverka/dist/electron/core-host.cjs',
    log: (l) => void logs.push(l),
    ...extra,
  });
}

function lastChild(): FakeUtilityProcess {
  const c = mock.utility.children.at(-1);
  if (!c) throw new Error('no child forked');
  return c;
}

describe('core bridge: start and round trips', () => {
  it('forks the entry as a named utility process with piped stdio and sends init first', () => {
    start();
    expect(mock.utility.children).toHaveLength(1);
    const child = lastChild();
    expect(child.modulePath).toBe('/opt/samverka/dist/electron/core-host.cjs');
    expect(child.args).toEqual([]);
    expect(child.options).toEqual({ serviceName: 'Samverka core', stdio: 'pipe' });
    expect(child.received[0]).toEqual({ kind: 'init', profileDir: join(dir, 'profile'), secretsKind: 'keystore' });
  });

  it('defaults to core-host.cjs next to the bundled main', () => {
    startCoreInUtilityProcess({ profileDir: dir, secrets: secretsStore(), log: () => undefined });
    expect(CORE_HOST_FILE).toBe('core-host.cjs');
    expect(lastChild().modulePath.endsWith(`/${CORE_HOST_FILE}`)).toBe(true);
  });

  it('invoke round-trips through the child and the core', async () => {
    const core = start();
    const r = await core.handle('inbox:list', { accountId: 'a' });
    expect(r).toEqual({ ok: true, value: { echo: { cmd: 'inbox:list', input: { accountId: 'a' } } } });
    expect(cores[0]!.calls).toEqual([{ cmd: 'inbox:list', input: { accountId: 'a' } }]);
    const [a, b] = await Promise.all([core.handle('contacts:list', {}), core.handle('app:snapshot', {})]);
    expect(a).toMatchObject({ ok: true, value: { echo: { cmd: 'contacts:list' } } });
    expect(b).toMatchObject({ ok: true, value: { echo: { cmd: 'app:snapshot' } } });
  });

  it('passes error results through unchanged', async () => {
    handler = async () => ({ ok: false, error: { kind: 'auth', message: 'wrong password', fatal: true } });
    const core = start();
    expect(await core.handle('accounts:reconnect', { accountId: 'a' })).toEqual({ ok: false, error: { kind: 'auth', message: 'wrong password', fatal: true } });
  });

  it('forwards patches to every listener until unsubscribed, and wake-ups to the core', async () => {
    const core = start();
    await flush();
    const got: (readonly Patch[])[] = [];
    const off = core.onPatches((p) => got.push(p));
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'c1' }];
    cores[0]!.emit(patches);
    await flush();
    expect(got).toEqual([patches]);
    off();
    cores[0]!.emit(patches);
    await flush();
    expect(got).toHaveLength(1);
    core.wake();
    await flush();
    expect(cores[0]!.wakes).toBe(1);
  });

  it('forwards the child stdout/stderr to the log, line by line', async () => {
    start();
    lastChild().stderr.write('first line\nsecond ');
    lastChild().stderr.write('line\n');
    await flush();
    expect(logs).toEqual(['[core] first line', '[core] second line']);
  });
});

describe('core bridge: secrets stay in main', () => {
  it('answers get/set/delete from main’s SecretStore and never logs them', async () => {
    handler = async (cmd, input, secrets) => {
      const { key, value } = input as { key: string; value?: string };
      if (cmd === 'set') await secrets.set(key, value!);
      if (cmd === 'delete') await secrets.delete(key);
      return { ok: true, value: await secrets.get(key) };
    };
    const core = start();
    expect(await core.handle('set', { key: 'account:a:password', value: 'hunter2-XYZZY' })).toEqual({ ok: true, value: 'hunter2-XYZZY' });
    // Main's store holds it (ciphertext in main's file), the child only ever asked.
    expect(await secretsStore().get('account:a:password')).toBe('hunter2-XYZZY');
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).not.toContain('hunter2');
    expect(await core.handle('get', { key: 'account:a:password' })).toEqual({ ok: true, value: 'hunter2-XYZZY' });
    expect(await core.handle('delete', { key: 'account:a:password' })).toEqual({ ok: true, value: null });
    expect(await secretsStore().get('account:a:password')).toBeNull();
    expect([...logs, ...childLogs].join('\n')).not.toMatch(/hunter2|XYZZY|account:a/);
  });

  it('hands a store failure to the child as an AppError of the same kind', async () => {
    const unavailable = new SafeStorageSecretStore({
      safeStorage: { ...safe, isEncryptionAvailable: () => false },
      file: join(dir, 'secrets.json'),
      log: (l) => void logs.push(l),
    });
    handler = async (_cmd, _input, secrets) => {
      await secrets.set('k', 'pw-XYZZY');
      return { ok: true, value: null };
    };
    const core = start({ secrets: unavailable });
    const r = await core.handle('accounts:add', {});
    expect(r).toMatchObject({ ok: false, error: { kind: 'crypto', message: expect.stringMatching(/will not store passwords/) as unknown } });
    expect([...logs, ...childLogs].join('\n')).not.toContain('XYZZY');
  });

  it('answers secret requests only from the current child', async () => {
    const store = secretsStore();
    await store.set('k', 'v-XYZZY');
    serve = false;
    start({ secrets: store });
    const child = lastChild();
    const replies: unknown[] = [];
    child.parentPort.on('message', (e: { data: unknown }) => replies.push(e.data));
    child.sendRaw({ kind: 'secret', id: 1, op: 'get', key: 'k' });
    await vi.waitFor(() => expect(replies).toContainEqual({ kind: 'secret-result', id: 1, ok: true, value: 'v-XYZZY' }));
    expect(logs.join('\n')).not.toContain('XYZZY');
  });
});

describe('core bridge: a misbehaving or dying child', () => {
  it('ignores garbage from the child, logging it without content', async () => {
    serve = false;
    const core = start();
    const child = lastChild();
    const pending = core.handle('app:snapshot', {});
    await flush();
    const invoke = child.received.find((m) => (m as { kind: string }).kind === 'invoke') as { id: number };
    const patches: unknown[] = [];
    core.onPatches((p) => patches.push(p));
    for (const junk of [
      null,
      'result',
      42,
      { kind: 'result', id: invoke.id, result: { ok: 'yes', value: 'SNEAKY' } },
      { kind: 'result', id: invoke.id, result: { ok: false, error: { kind: 'evil', message: 'SNEAKY', fatal: false } } },
      { kind: 'patches', patches: 'SNEAKY' },
      { kind: 'patches', patches: [{ notype: 1 }] },
      { kind: 'secret', id: 1, op: 'dump', key: 'SNEAKY' },
      { kind: 'exec', cmd: 'SNEAKY' },
      { kind: 'result', id: 9999, result: { ok: true, value: 'unknown id' } },
    ]) {
      child.sendRaw(junk);
    }
    await flush();
    expect(patches).toEqual([]);
    child.sendRaw({ kind: 'result', id: invoke.id, result: { ok: true, value: 'real' } });
    expect(await pending).toEqual({ ok: true, value: 'real' });
    expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(9); // all but the unknown id, which is dropped quietly
    expect(logs.join('\n')).not.toContain('SNEAKY');
  });

  it('times out an unanswered call with a timeout error and ignores the late answer', async () => {
    vi.useFakeTimers();
    handler = () => new Promise(() => undefined); // never answers
    const core = start({ invokeTimeoutMs: 1000 });
    const r = core.handle('history:load', { conversationId: 'c' });
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void r.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await r).toEqual({ ok: false, error: { kind: 'timeout', message: 'The core did not answer history:load within 1 s.', fatal: false } });
    // A late result for that id is dropped quietly; later calls still work.
    lastChild().sendRaw({ kind: 'result', id: 1, result: { ok: true, value: 'late' } });
    handler = undefined;
    await flush();
    expect(await core.handle('app:snapshot', {})).toMatchObject({ ok: true });
  });

  it('fails pending calls cleanly when the child dies and restarts it with backoff (1 s, 2 s, 4 s … 30 s)', async () => {
    vi.useFakeTimers();
    handler = () => new Promise(() => undefined);
    const core = start();
    const pending = core.handle('message:send', { conversationId: 'c', text: 'hi' });
    await flush();
    lastChild().crash(139);
    expect(await pending).toEqual({
      ok: false,
      error: { kind: 'unknown', message: 'The core process stopped unexpectedly and is being restarted; please try again.', fatal: false },
    });
    expect(logs).toContain('Samverka: the core process exited unexpectedly (code 139).');
    // While it is down, calls fail at once with a clear message.
    expect(await core.handle('app:snapshot', {})).toMatchObject({ ok: false, error: { message: expect.stringMatching(/restarting/) as unknown } });

    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = mock.utility.children.length;
      let waited = 0;
      while (mock.utility.children.length === before) {
        await vi.advanceTimersByTimeAsync(500);
        waited += 500;
      }
      delays.push(waited);
      if (i < 6) {
        lastChild().crash(1);
        await flush();
      }
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);

    // The restarted child got init again and serves calls.
    handler = undefined;
    expect(lastChild().received[0]).toMatchObject({ kind: 'init' });
    expect(await core.handle('app:snapshot', {})).toMatchObject({ ok: true, value: { echo: { cmd: 'app:snapshot' } } });
  });

  it('goes back to a 1 s delay after the child ran stably', async () => {
    vi.useFakeTimers();
    start({ stableAfterMs: 10_000 });
    for (const _ of [1, 2]) {
      const n = mock.utility.children.length;
      lastChild().crash(1);
      await flush();
      while (mock.utility.children.length === n) await vi.advanceTimersByTimeAsync(500);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    const n = mock.utility.children.length;
    lastChild().crash(1);
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(mock.utility.children.length).toBe(n + 1);
  });

  it('retries when fork itself throws', async () => {
    vi.useFakeTimers();
    mock.utility.forkError = new Error('spawn failed');
    const core = start();
    expect(mock.utility.children).toHaveLength(0);
    expect(logs).toContain('Samverka: could not start the core process: spawn failed');
    expect(await core.handle('app:snapshot', {})).toMatchObject({ ok: false, error: { kind: 'unknown' } });
    mock.utility.forkError = null;
    await vi.advanceTimersByTimeAsync(1000);
    expect(mock.utility.children).toHaveLength(1);
  });
});

describe('core bridge: close', () => {
  it('asks the core to close, ends the process, does not restart, and refuses later calls', async () => {
    vi.useFakeTimers();
    const core = start();
    await core.close();
    const child = lastChild();
    expect(cores[0]!.closed).toBe(true);
    expect(child.killed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(mock.utility.children).toHaveLength(1);
    expect(await core.handle('app:snapshot', {})).toMatchObject({ ok: false, error: { message: 'The core has been closed.' } });
  });

  it('kills a child that does not shut down in time and fails its pending calls', async () => {
    vi.useFakeTimers();
    serve = false;
    const core = start({ closeTimeoutMs: 2000 });
    const pending = core.handle('app:snapshot', {});
    const closing = core.close();
    await vi.advanceTimersByTimeAsync(2000);
    await closing;
    expect(lastChild().killed).toBe(true);
    expect(await pending).toMatchObject({ ok: false, error: { message: 'The core has been closed.' } });
    expect(logs).toContain('Samverka: the core process did not shut down in time; ending it.');
  });
});

describe('core bridge: in the desktop shell', () => {
  it('the renderer-facing IPC behaves as before: invoke results and patches to the window', async () => {
    const userData = join(dir, 'userData');
    mock.userData = userData;
    const handle = runDesktopApp({ startCore: (opts) => startCoreInUtilityProcess({ ...opts, log: (l) => void logs.push(l) }), log: () => undefined });
    app.fireReady();
    await handle!.ready;
    const win = BrowserWindow.instances[0]!;
    const invoke = ipcMain.handlers.get('samverka:invoke')!;
    const r = await invoke({ senderFrame: { url: 'app://samverka/index.html', parent: null } }, { cmd: 'inbox:list', input: {} });
    expect(r).toEqual({ ok: true, value: { echo: { cmd: 'inbox:list', input: {} } } });
    expect(lastChild().received[0]).toEqual({ kind: 'init', profileDir: join(userData, 'profile'), secretsKind: 'keystore' });
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'x' }];
    cores[0]!.emit(patches);
    await vi.waitFor(() => expect(win.webContents.sent).toEqual([{ channel: 'samverka:patches', args: [patches] }]));
    app.emit('before-quit', new FakeEvent());
    await vi.waitFor(() => expect(cores[0]!.closed).toBe(true));
    await vi.waitFor(() => expect(lastChild().killed).toBe(true));
  });
});
