// Shared set-up for the core's unit tests: a Core on a temp profile talking to a FakeServer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandInput, CommandName, CommandOutputs, Patch } from '../../../common/api';
import type { AppErrorDto } from '../../../common/errors';
import type { ProtocolId } from '../../../common/ids';
import type { AdapterFactory } from '../../../protocols/contract';
import { createCore } from '../../../main/core/core';
import type { Core, CoreOptions } from '../../../main/core/core';
import { FileSecretStore } from '../../../main/core/secrets/file-secret-store';
import { fakeAdapterFactory, FakeServer } from '../../helpers/fake-adapter';

export const ALICE = 'alice@example.test';
export const PASSWORD = 'correct horse battery staple 42';

export interface Harness {
  readonly core: Core;
  readonly dir: string;
  readonly secrets: FileSecretStore;
  readonly patches: Patch[][];
  allPatches(): Patch[];
  call<C extends CommandName>(cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]>;
  fail(cmd: string, input: unknown): Promise<AppErrorDto>;
  /** Close this core and open a new one on the same profile (a restart). */
  restart(adapters?: Partial<Record<ProtocolId, AdapterFactory>>): Promise<Harness>;
}

const dirs: string[] = [];
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samverka-core-'));
  dirs.push(d);
  return d;
}
export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function openCore(dir: string, adapters: Partial<Record<ProtocolId, AdapterFactory>>, extra: Partial<CoreOptions> = {}): Harness {
  const secrets = FileSecretStore.inProfile(dir);
  const core = createCore({ profileDir: dir, secrets, adapters, random: () => 0, ...extra });
  const patches: Patch[][] = [];
  core.onPatches((p) => patches.push([...p]));
  const h: Harness = {
    core,
    dir,
    secrets,
    patches,
    allPatches: () => patches.flat(),
    async call(cmd, input) {
      const r = await core.handle(cmd, input);
      if (!r.ok) throw new Error(`${cmd} failed: ${r.error.kind}: ${r.error.message}`);
      return r.value as never;
    },
    async fail(cmd, input) {
      const r = await core.handle(cmd, input);
      if (r.ok) throw new Error(`${cmd} unexpectedly succeeded`);
      return r.error;
    },
    async restart(next = adapters) {
      await core.close();
      return openCore(dir, next);
    },
  };
  return h;
}

/** A server with Alice and one direct conversation with Bob, and a core with Alice's account. */
export async function connectedCore(server = new FakeServer().addUser(ALICE, PASSWORD)): Promise<{ h: Harness; server: FakeServer; accountId: string }> {
  if (!server.users.has(ALICE)) server.addUser(ALICE, PASSWORD);
  server.addConversation({ id: 'bob@example.test', kind: 'direct', title: 'Bob', isPrivate: false });
  const h = openCore(tempDir(), { xmpp: fakeAdapterFactory(server) });
  const account = await h.call('accounts:add', { protocol: 'xmpp', address: ALICE, password: PASSWORD });
  await waitFor(async () => (await h.call('inbox:list', {})).length > 0);
  return { h, server, accountId: account.id };
}

export async function waitFor(check: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function convId(accountId: string, native: string): string {
  return `${accountId}:${encodeURIComponent(native)}`;
}
