// Web-mode entry point (run with tsx by scripts/start.mjs): the core in this process, the UI in
// the browser on 127.0.0.1. All wiring to the core lives here; the logic is in server.ts/config.ts.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/core';
import { FileSecretStore, SECRET_FILE_NAME } from '../core/secrets/file-secret-store';
import { ADAPTERS } from '../../protocols/registry';
import { ensureProfileDir, installShutdown, parseWebConfig } from './config';
import { loadPolicy, policyPath } from '../shared/policy';
import { startWebServer } from './server';

async function main(): Promise<void> {
  const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const config = parseWebConfig(process.argv.slice(2), process.env, { home: homedir(), cwd: process.cwd(), appRoot });
  const warning = await ensureProfileDir(config.profileDir);
  if (warning) process.stderr.write(warning + '\n');

  const secrets = FileSecretStore.inProfile(config.profileDir);
  const policy = loadPolicy(policyPath(process.env, process.platform), (m) => process.stderr.write(`${m}\n`));
  const core = createCore({ profileDir: config.profileDir, secrets, adapters: ADAPTERS, policy });
  const server = await startWebServer({ core, staticDir: config.staticDir, port: config.port });

  installShutdown(process, [() => server.close(), () => core.close()]);

  process.stdout.write(`Samverka (web mode) is running: ${server.url}\n`);
  process.stderr.write(
    `Note: web mode keeps account secrets in a key file (${join(config.profileDir, SECRET_FILE_NAME)}, mode 0600). ` +
      'This is weaker than the OS key store the desktop app uses.\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`Samverka (web mode) failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
