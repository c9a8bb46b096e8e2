// What the core keeps in memory per account: its adapter, supervisor and what the server told
// us this session. The durable part (address, server, self id) is the AccountRow in SQLite.
import type { Capabilities, OwnPresenceState, PresenceState } from '../../../common/model';
import type { AccountSummary } from '../../../common/model';
import type { AdapterEvent, ProtocolAdapter } from '../../../protocols/contract';
import type { AccountRow } from '../store/rows';
import type { AccountSupervisor } from './supervisor';

export interface AccountRuntime {
  row: AccountRow;
  readonly adapter: ProtocolAdapter | null;
  supervisor: AccountSupervisor | null;
  unsubscribe: () => void;
  capabilities: Capabilities;
  /** Events that arrive before the account row exists (during accounts:add) wait here. */
  buffer: AdapterEvent[] | null;
  closed: boolean;
}

export function isConnected(rt: AccountRuntime): boolean {
  return rt.adapter !== null && rt.supervisor?.status().state === 'connected';
}

export function accountSummary(rt: AccountRuntime, ownPresence: PresenceState, presenceOverride: OwnPresenceState | null = null): AccountSummary {
  const s = rt.supervisor?.status() ?? {
    state: 'needs-attention' as const,
    attempt: 0,
    nextRetryAt: null,
    lastError: { kind: 'unsupported' as const, message: `No adapter for ${rt.row.protocol} in this build`, fatal: false },
  };
  return {
    id: rt.row.id,
    protocol: rt.row.protocol,
    label: rt.row.address,
    server: rt.row.server,
    state: s.state,
    error: s.lastError,
    attempt: s.attempt,
    nextRetryAt: s.nextRetryAt,
    capabilities: rt.capabilities,
    ownPresence: s.state === 'connected' ? ownPresence : 'offline',
    presenceOverride,
  };
}

/** The server shown for an account: the explicit endpoint's host, else the address's domain. */
export function serverOf(address: string, serviceUrl: string | undefined): string {
  if (serviceUrl) {
    try {
      const u = new URL(serviceUrl);
      if (u.host) return u.host;
    } catch {
      // fall through to the address
    }
  }
  if (address.startsWith('@') && address.includes(':')) return address.slice(address.indexOf(':') + 1); // Matrix @user:server
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1) : address;
}

/** Only loopback endpoints may authenticate without TLS (a local test or bridge server). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function plaintextAllowedFor(address: string, serviceUrl: string | undefined): boolean {
  if (serviceUrl !== undefined) {
    try {
      return isLoopbackHost(new URL(serviceUrl).hostname);
    } catch {
      return false;
    }
  }
  return isLoopbackHost(serverOf(address, undefined));
}
