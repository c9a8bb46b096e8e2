// The utilityProcess side of the core (main/electron/core-host/host.ts) with a fake parentPort
// and a fake CoreApi: no Electron involved.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Patch } from '../../../common/api';
import { AppError } from '../../../common/errors';
import type { SecretStore } from '../../../main/core/host-api';
import { serveCore } from '../../../main/electron/core-host/host';
import { createFakeCore, type FakeCore } from './fake-core';

class FakePort extends EventEmitter {
  readonly sent: Record<string, unknown>[] = [];
  postMessage(message: unknown): void {
    // Throws like the real port for values that cannot cross a process boundary.
    this.sent.push(structuredClone(message) as Record<string, unknown>);
  }
  deliver(data: unknown): void {
    this.emit('message', { data, ports: [] });
  }
  ofKind(kind: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.kind === kind);
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function setup(handler?: Parameters<typeof createFakeCore>[0]) {
  const port = new FakePort();
  const logs: string[] = [];
  let core: FakeCore | null = null;
  let secrets: SecretStore | null = null;
  const created: { profileDir: string }[] = [];
  const host = serveCore(port, {
    createCore: (opts) => {
      created.push({ profileDir: opts.profileDir });
      secrets = opts.secrets;
      core = createFakeCore(handler);
      return core;
    },
    log: (l) => void logs.push(l),
  });
  const init = (): void => port.deliver({ kind: 'init', profileDir: '/p/profile', secretsKind: 'keystore' });
  return { port, logs, host, created, init, core: () => core!, secrets: () => secrets! };
}

describe('core host (utilityProcess side)', () => {
  it('creates the core once, on init, with the profile dir and a secrets proxy of the right kind', () => {
    const s = setup();
    expect(s.host.core()).toBeNull();
    s.init();
    s.init();
    expect(s.created).toEqual([{ profileDir: '/p/profile' }]);
    expect(s.secrets().kind).toBe('keystore');
  });

  it('answers invoke with the core result under the same id', async () => {
    const s = setup();
    s.init();
    s.port.deliver({ kind: 'invoke', id: 7, cmd: 'inbox:list', input: { accountId: 'a' } });
    await tick();
    expect(s.core().calls).toEqual([{ cmd: 'inbox:list', input: { accountId: 'a' } }]);
    expect(s.port.ofKind('result')).toEqual([
      { kind: 'result', id: 7, result: { ok: true, value: { echo: { cmd: 'inbox:list', input: { accountId: 'a' } } } } },
    ]);
  });

  it('turns a throwing core into an error result, and answers before init with an error', async () => {
    const s = setup(() => Promise.reject(new AppError('server', 'db gone')));
    s.port.deliver({ kind: 'invoke', id: 1, cmd: 'app:snapshot', input: {} });
    s.init();
    s.port.deliver({ kind: 'invoke', id: 2, cmd: 'app:snapshot', input: {} });
    await tick();
    const results = s.port.ofKind('result');
    expect(results[0]).toMatchObject({ id: 1, result: { ok: false, error: { kind: 'unknown', message: expect.stringMatching(/not initialised/) as unknown } } });
    expect(results[1]).toEqual({ kind: 'result', id: 2, result: { ok: false, error: { kind: 'server', message: 'db gone', fatal: false } } });
  });

  it('sends an error result when the value cannot be structured-cloned', async () => {
    const s = setup(async () => ({ ok: true, value: { fn: () => 1 } }));
    s.init();
    s.port.deliver({ kind: 'invoke', id: 3, cmd: 'app:snapshot', input: {} });
    await tick();
    expect(s.port.ofKind('result')).toEqual([
      { kind: 'result', id: 3, result: { ok: false, error: { kind: 'unknown', message: expect.stringMatching(/could not be sent/) as unknown, fatal: false } } },
    ]);
  });

  it('forwards patches and wake-ups', () => {
    const s = setup();
    s.init();
    const patches: Patch[] = [{ type: 'contact.removed', contactId: 'c1' }];
    s.core().emit(patches);
    expect(s.port.ofKind('patches')).toEqual([{ kind: 'patches', patches }]);
    s.port.deliver({ kind: 'wake' });
    expect(s.core().wakes).toBe(1);
  });

  it('closes the core on close and then reports closed', async () => {
    const s = setup();
    s.init();
    s.port.deliver({ kind: 'close' });
    await tick();
    expect(s.core().closed).toBe(true);
    expect(s.port.ofKind('closed')).toEqual([{ kind: 'closed' }]);
    s.port.deliver({ kind: 'invoke', id: 9, cmd: 'app:snapshot', input: {} });
    await tick();
    expect(s.port.ofKind('result')[0]).toMatchObject({ id: 9, result: { ok: false, error: { message: expect.stringMatching(/shutting down/) as unknown } } });
  });

  it('the secrets proxy asks main and resolves from secret-result', async () => {
    const s = setup();
    s.init();
    const store = s.secrets();
    const got = store.get('account:a');
    const set = store.set('account:a', 'pw-SECRET');
    const del = store.delete('account:b');
    const reqs = s.port.ofKind('secret');
    expect(reqs).toEqual([
      { kind: 'secret', id: 1, op: 'get', key: 'account:a' },
      { kind: 'secret', id: 2, op: 'set', key: 'account:a', value: 'pw-SECRET' },
      { kind: 'secret', id: 3, op: 'delete', key: 'account:b' },
    ]);
    s.port.deliver({ kind: 'secret-result', id: 3, ok: true });
    s.port.deliver({ kind: 'secret-result', id: 1, ok: true, value: 'stored' });
    s.port.deliver({ kind: 'secret-result', id: 2, ok: false, error: { kind: 'crypto', message: 'no key store', fatal: false } });
    await expect(got).resolves.toBe('stored');
    await expect(del).resolves.toBeUndefined();
    const err = await set.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).kind).toBe('crypto');
    // A missing entry is null; an unknown id is ignored.
    const missing = store.get('nope');
    s.port.deliver({ kind: 'secret-result', id: 999, ok: true, value: 'x' });
    s.port.deliver({ kind: 'secret-result', id: 4, ok: true, value: null });
    await expect(missing).resolves.toBeNull();
    expect(s.logs.join('\n')).not.toContain('SECRET');
  });

  it.each([
    ['null', null],
    ['a string', 'invoke'],
    ['an unknown kind', { kind: 'exec', cmd: 'rm -rf /' }],
    ['an invoke without id', { kind: 'invoke', cmd: 'app:snapshot', input: {} }],
    ['an invoke with a fractional id', { kind: 'invoke', id: 1.5, cmd: 'app:snapshot', input: {} }],
    ['an init without profile', { kind: 'init', secretsKind: 'keystore' }],
    ['an init with a bad secrets kind', { kind: 'init', profileDir: '/p', secretsKind: 'plain' }],
    ['a secret-result with a bad error', { kind: 'secret-result', id: 1, ok: false, error: { kind: 'nope' } }],
  ])('ignores %s from main (logged without content)', async (_label, data) => {
    const s = setup();
    s.port.deliver(data);
    await tick();
    expect(s.created).toEqual([]);
    expect(s.port.sent).toEqual([]);
    expect(s.logs).toEqual(['Samverka core host: ignored a malformed message from the main process.']);
  });
});
