// Throwaway Synapse (pinned in scripts/synapse/requirements.txt, installed into .venv-synapse/ by
// scripts/synapse/ensure-venv.sh) for Matrix integration tests: one server per test file, loopback
// only, its own free port and temp directory, SQLite. Data is kept across restart() so reconnect /
// catch-up tests see the same accounts, rooms and access tokens.
//
// Start-up: a fresh SQLite database needs the schema migrations plus ~50 background updates. We do
// that once per Synapse version with `update_synapse_database --run-background-updates` into a
// template (.tmp/synapse-template/<version>/: homeserver.db + signing key) and copy it into every
// new server's directory. See README.md for the timings.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect, freePort, stopServerProcess } from '../ports';

export { freePort };

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_NAME = 'localhost';
/** Bump when the template's contents change in a way the Synapse version does not capture. */
const TEMPLATE_FORMAT = 1;

export interface SynapseOptions {
  /** Client listener port; default: a free loopback port. */
  readonly port?: number;
  /**
   * Copy the pre-migrated template database (default true). false = fresh database: Synapse runs all
   * migrations itself on first start and the background updates afterwards (slower, for measuring).
   */
  readonly template?: boolean;
  /** max_upload_size (default "50M"). */
  readonly maxUploadSize?: string;
  /** Extra top-level homeserver.yaml keys (JSON is valid YAML); override the defaults. */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  /** Milliseconds to wait for GET /health (default 60 s: CI boxes are slow and shared). */
  readonly startTimeoutMs?: number;
}

export interface RegisteredUser {
  /** @localpart:localhost */
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

export interface SynapseTimings {
  /** Time spent building the template in this call (0 if it was cached, null if not used). */
  templateMs: number | null;
  /** Wall time from spawn to GET /health = OK, for every start (first entry: initial start). */
  startsMs: number[];
}

export interface SynapseServer {
  /** http://127.0.0.1:<port> (no trailing slash) */
  readonly baseUrl: string;
  /** "localhost": user ids are @name:localhost */
  readonly serverName: string;
  readonly port: number;
  readonly dataDir: string;
  readonly version: string;
  readonly timings: SynapseTimings;
  /** Shared-secret admin registration (/_synapse/admin/v1/register); works only while running. */
  registerUser(localpart: string, password: string, admin?: boolean): Promise<RegisteredUser>;
  restart(): Promise<void>;
  /** SIGTERM (data kept until dispose()). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
  /** Captured stdout/stderr plus the tail of homeserver.log, for failure messages. */
  log(): string;
}

/** Where the virtualenv lives: $SYNAPSE_VENV or <repo>/.venv-synapse. */
export function synapseVenv(): string {
  return process.env.SYNAPSE_VENV ?? join(REPO_ROOT, '.venv-synapse');
}

/** The installed matrix-synapse version (from the dist-info directory name, no Python start-up). */
export async function synapseVersion(venv = synapseVenv()): Promise<string> {
  const bin = join(venv, 'bin', 'python');
  if (!existsSync(bin)) {
    throw new Error(
      `Synapse virtualenv not found (${bin} is missing). Run scripts/synapse/ensure-venv.sh from the ` +
        'repo root first (CI runs it before the tests); it installs the pinned matrix-synapse.',
    );
  }
  const lib = join(venv, 'lib');
  for (const py of await readdir(lib)) {
    const site = join(lib, py, 'site-packages');
    if (!existsSync(site)) continue;
    const dist = (await readdir(site)).find((f) => /^matrix_synapse-.+\.dist-info$/.test(f));
    if (dist) return dist.slice('matrix_synapse-'.length, -'.dist-info'.length);
  }
  throw new Error(`matrix-synapse is not installed in ${venv}. Run scripts/synapse/ensure-venv.sh.`);
}



const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run a venv tool to completion; reject with its output on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const collect = (b: Buffer): void => {
      out = (out + b.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}):\n${out.split('\n').slice(-40).join('\n')}`));
    });
  });
}

const randomSecret = (): string => randomBytes(24).toString('base64url');

const LIMIT = { per_second: 10_000, burst_count: 10_000 };

/**
 * homeserver.yaml as an object (written as JSON, which is YAML). Sections refer to the Synapse
 * configuration manual ("Config Options"), see README.md.
 */
function makeConfig(o: { dir: string; port: number; secrets: Record<string, string>; maxUploadSize: string }): Record<string, unknown> {
  return {
    server_name: SERVER_NAME,
    // Setting public_baseurl also makes Synapse serve /.well-known/matrix/client on the client listener.
    public_baseurl: `http://127.0.0.1:${o.port}/`,
    serve_server_wellknown: false,
    listeners: [
      {
        port: o.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        resources: [{ names: ['client'], compress: false }], // no "federation" resource
      },
    ],
    database: { name: 'sqlite3', args: { database: join(o.dir, 'homeserver.db') } },
    log_config: join(o.dir, 'log.yaml'),
    media_store_path: join(o.dir, 'media_store'),
    max_upload_size: o.maxUploadSize,
    url_preview_enabled: false,
    signing_key_path: join(o.dir, `${SERVER_NAME}.signing.key`),
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [], // belt and braces: federate with nobody
    report_stats: false,
    enable_metrics: false,
    registration_shared_secret: o.secrets.registration,
    macaroon_secret_key: o.secrets.macaroon,
    form_secret: o.secrets.form,
    enable_registration: false,
    bcrypt_rounds: 4, // default 12 costs ~0.3 s per registration/login on a slow box
    password_config: { enabled: true },
    presence: { enabled: true },
    // Rate limits: everything the pinned version reads (synapse/config/ratelimiting.py), set huge.
    rc_message: LIMIT,
    rc_registration: LIMIT,
    rc_registration_token_validity: LIMIT,
    rc_login: { address: LIMIT, account: LIMIT, failed_attempts: LIMIT },
    rc_admin_redaction: LIMIT,
    rc_joins: { local: LIMIT, remote: LIMIT },
    rc_joins_per_room: LIMIT,
    rc_key_requests: LIMIT,
    rc_3pid_validation: LIMIT,
    rc_invites: { per_room: LIMIT, per_user: LIMIT, per_issuer: LIMIT },
    rc_third_party_invite: LIMIT,
    rc_media_create: LIMIT,
    rc_presence: { per_user: LIMIT },
    rc_delayed_event_mgmt: LIMIT,
    rc_room_creation: LIMIT,
    rc_reports: LIMIT,
    rc_user_directory: LIMIT,
    rc_profile: LIMIT,
  };
}

function makeLogConfig(dir: string): string {
  return JSON.stringify({
    version: 1,
    formatters: { precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' } },
    handlers: { file: { class: 'logging.FileHandler', formatter: 'precise', filename: join(dir, 'homeserver.log') } },
    root: { level: 'WARNING', handlers: ['file'] },
    disable_existing_loggers: false,
  });
}

async function writeServerFiles(dir: string, config: Record<string, unknown>): Promise<string> {
  const configPath = join(dir, 'homeserver.yaml');
  await writeFile(configPath, `# generated by test/servers/synapse/synapse.ts (JSON is YAML)\n${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(dir, 'log.yaml'), makeLogConfig(dir));
  await mkdir(join(dir, 'media_store'), { recursive: true });
  return configPath;
}

const TEMPLATE_FILES = ['homeserver.db', `${SERVER_NAME}.signing.key`];
const templates = new Map<string, { promise: Promise<{ dir: string; builtMs: number }>; settled: boolean }>();
const templateComplete = (dir: string): boolean => TEMPLATE_FILES.every((f) => existsSync(join(dir, f)));

/**
 * The migrated template for this Synapse version: cached on disk (shared by all test processes) and
 * per process. Built in a private directory and renamed into place, so parallel first runs are safe
 * (the loser of the rename race throws its copy away). A template deleted on disk is rebuilt.
 */
async function ensureTemplate(venv: string, version: string): Promise<{ dir: string; builtMs: number }> {
  const key = `${venv}|${version}`;
  const cached = templates.get(key);
  if (cached) {
    const wasSettled = cached.settled;
    const t = await cached.promise.catch(() => null);
    if (t && templateComplete(t.dir)) return wasSettled ? { dir: t.dir, builtMs: 0 } : t;
    if (templates.get(key) === cached) templates.delete(key);
    return ensureTemplate(venv, version);
  }
  const entry = { promise: buildTemplate(venv, version), settled: false };
  templates.set(key, entry);
  try {
    return await entry.promise;
  } finally {
    entry.settled = true;
  }
}

async function buildTemplate(venv: string, version: string): Promise<{ dir: string; builtMs: number }> {
  const base = join(REPO_ROOT, '.tmp', 'synapse-template');
  const final = join(base, `${version}-t${TEMPLATE_FORMAT}`);
  if (templateComplete(final)) return { dir: final, builtMs: 0 };
  const t0 = Date.now();
  await mkdir(base, { recursive: true });
  const work = await mkdtemp(join(base, '.build-'));
  try {
    const secrets = { registration: randomSecret(), macaroon: randomSecret(), form: randomSecret() };
    const configPath = await writeServerFiles(work, makeConfig({ dir: work, port: 1, secrets, maxUploadSize: '1M' }));
    // Both are Synapse's own tools: the key generator and the offline schema updater, which applies
    // every migration and then runs all background updates to completion (no server start needed).
    await run(join(venv, 'bin', 'generate_signing_key'), ['-o', join(work, `${SERVER_NAME}.signing.key`)], work);
    await run(join(venv, 'bin', 'update_synapse_database'), ['--database-config', configPath, '--run-background-updates'], work);
    const clean = join(work, 'template');
    await mkdir(clean);
    for (const f of TEMPLATE_FILES) await copyFile(join(work, f), join(clean, f));
    try {
      await rename(clean, final);
    } catch (e) {
      // Another process won the race; use its template.
      if (!templateComplete(final)) throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { dir: final, builtMs: Date.now() - t0 };
}

export async function startSynapse(opts: SynapseOptions = {}): Promise<SynapseServer> {
  const venv = synapseVenv();
  const version = await synapseVersion(venv);
  const python = join(venv, 'bin', 'python');
  const useTemplate = opts.template ?? true;
  const timings: SynapseTimings = { templateMs: null, startsMs: [] };

  const dir = await mkdtemp(join(tmpdir(), 'samverka-synapse-'));
  const port = opts.port ?? (await freePort());
  const secrets = { registration: randomSecret(), macaroon: randomSecret(), form: randomSecret() };
  const config = { ...makeConfig({ dir, port, secrets, maxUploadSize: opts.maxUploadSize ?? '50M' }), ...opts.extraConfig };
  const configPath = await writeServerFiles(dir, config);
  const sharedSecret = String(config.registration_shared_secret);

  try {
    if (useTemplate) {
      const t = await ensureTemplate(venv, version);
      timings.templateMs = t.builtMs;
      for (const f of TEMPLATE_FILES) await copyFile(join(t.dir, f), join(dir, f));
    } else {
      await run(join(venv, 'bin', 'generate_signing_key'), ['-o', join(dir, `${SERVER_NAME}.signing.key`)], dir);
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const baseUrl = `http://127.0.0.1:${port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  let proc: ChildProcess | null = null;
  let output = '';
  let disposed = false;
  const killOnExit = (): void => {
    proc?.kill('SIGKILL');
  };

  async function healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200 && (await res.text()) === 'OK';
    } catch {
      return false;
    }
  }

  async function start(): Promise<void> {
    if (proc) return;
    if (disposed) throw new Error('synapse: start() after dispose()');
    if (await canConnect(port)) throw new Error(`synapse: port ${port} is already in use`);
    const t0 = Date.now();
    const child = spawn(python, ['-m', 'synapse.app.homeserver', '--config-path', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    proc = child;
    process.once('exit', killOnExit);
    const collect = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = false;
    child.once('error', (e) => {
      output += `\nspawn error: ${e.message}`;
      exited = true;
    });
    child.once('exit', (code, signal) => {
      exited = true;
      output += `\n[synapse exited: ${signal ?? code}]`;
      process.removeListener('exit', killOnExit);
      if (proc === child) proc = null;
    });
    const deadline = t0 + startTimeoutMs;
    while (!(await healthy())) {
      if (exited) throw new Error(`synapse exited during start:\n${logTail()}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`synapse did not answer GET ${baseUrl}/health within ${startTimeoutMs} ms:\n${logTail()}`);
      }
      await sleep(50);
    }
    timings.startsMs.push(Date.now() - t0);
  }

  async function stop(): Promise<void> {
    const child = proc;
    if (!child) return;
    await stopServerProcess(child, port, 10_000);
    proc = null;
  }

  function logTail(): string {
    let file = '';
    try {
      file = readFileSync(join(dir, 'homeserver.log'), 'utf8');
    } catch {
      // no log yet (or deleted by dispose)
    }
    return `${output.trim()}\n--- homeserver.log (tail) ---\n${file.split('\n').slice(-40).join('\n')}`;
  }

  async function registerUser(localpart: string, password: string, admin = false): Promise<RegisteredUser> {
    const url = `${baseUrl}/_synapse/admin/v1/register`;
    const nonceRes = await fetch(url);
    if (!nonceRes.ok) throw new Error(`synapse: GET ${url} → ${nonceRes.status} ${await nonceRes.text()}`);
    const { nonce } = (await nonceRes.json()) as { nonce: string };
    // Synapse admin API "Shared-Secret Registration": HMAC-SHA1 over NUL-separated fields, hex.
    const mac = createHmac('sha1', sharedSecret)
      .update([nonce, localpart, password, admin ? 'admin' : 'notadmin'].join('\0'))
      .digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
    });
    const body = (await res.json()) as { user_id?: string; access_token?: string; device_id?: string; error?: string };
    if (!res.ok || !body.user_id || !body.access_token || !body.device_id) {
      throw new Error(`synapse: registering ${localpart} failed: ${res.status} ${JSON.stringify(body)}`);
    }
    return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
  }

  let lastLog = '';
  try {
    await start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    baseUrl,
    serverName: SERVER_NAME,
    port,
    dataDir: dir,
    version,
    timings,
    registerUser,
    async restart() {
      await stop();
      await start();
    },
    stop,
    start,
    async dispose() {
      if (disposed) return;
      await stop();
      lastLog = logTail();
      disposed = true;
      await rm(dir, { recursive: true, force: true });
    },
    log() {
      return lastLog || logTail();
    },
  };
}
