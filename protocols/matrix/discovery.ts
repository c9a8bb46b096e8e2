// Where the homeserver is: an explicit serviceUrl, else /.well-known/matrix/client on the user's
// server name. Also reads the Jitsi domain Element-style servers advertise in the same document
// (`im.vector.riot.jitsi.preferredDomain`), which the meetings feature will use.
import { AppError } from '../../common/errors';
import type { AccountConfig } from '../contract';
import { parseUserId } from './ids';
import { toAppError } from './errors';

export interface Homeserver {
  /** Base URL without trailing slash. */
  readonly baseUrl: string;
  /** Jitsi domain from .well-known (im.vector.riot.jitsi.preferredDomain), if any. */
  readonly jitsiDomain: string | null;
}

const WELL_KNOWN_TIMEOUT_MS = 8_000;

function normalizeBase(url: string, allowPlaintext: boolean): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('invalid_input', `not a URL: ${url}`);
  }
  if (u.protocol === 'http:' && !allowPlaintext) throw new AppError('insecure', `homeserver ${u.origin} is not https`);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('invalid_input', `unsupported scheme ${u.protocol}`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

interface WellKnown {
  readonly baseUrl: string | null;
  readonly jitsiDomain: string | null;
}

function parseWellKnown(body: unknown): WellKnown {
  const obj = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const hs = obj['m.homeserver'];
  const base = typeof hs === 'object' && hs !== null ? (hs as Record<string, unknown>).base_url : undefined;
  const jitsi = obj['im.vector.riot.jitsi'];
  const domain = typeof jitsi === 'object' && jitsi !== null ? (jitsi as Record<string, unknown>).preferredDomain : undefined;
  return {
    baseUrl: typeof base === 'string' && base.length > 0 ? base : null,
    // A bare host name only: it becomes https://<domain>/<room> later.
    jitsiDomain: typeof domain === 'string' && /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(domain) ? domain : null,
  };
}

async function fetchWellKnown(origin: string, fetchFn: typeof fetch): Promise<WellKnown | null> {
  const res = await fetchFn(`${origin}/.well-known/matrix/client`, { signal: AbortSignal.timeout(WELL_KNOWN_TIMEOUT_MS), redirect: 'follow' });
  if (!res.ok) return null;
  try {
    return parseWellKnown(JSON.parse(await res.text()));
  } catch {
    return null;
  }
}

export async function resolveHomeserver(config: AccountConfig, fetchFn: typeof fetch): Promise<Homeserver> {
  const plain = config.allowPlaintext === true;
  if (config.serviceUrl) {
    const baseUrl = normalizeBase(config.serviceUrl, plain);
    // Best effort: servers serve their own well-known on the client listener too.
    const wk = await fetchWellKnown(new URL(baseUrl).origin, fetchFn).catch(() => null);
    return { baseUrl, jitsiDomain: wk?.jitsiDomain ?? null };
  }
  const user = parseUserId(config.address);
  if (!user) throw new AppError('invalid_input', `not a Matrix user id: ${config.address}`);
  let wk: WellKnown | null;
  try {
    wk = await fetchWellKnown(`https://${user.server}`, fetchFn);
  } catch (e) {
    throw toAppError(e, { what: 'well-known discovery' });
  }
  const baseUrl = normalizeBase(wk?.baseUrl ?? `https://${user.server}`, plain);
  return { baseUrl, jitsiDomain: wk?.jitsiDomain ?? null };
}
