// Web mode: the same ChatApi over a WebSocket to the local web host (ws://<host>/api).
// The first frame carries the session token; then ClientFrame/ServerFrame JSON (common/api.ts).
// If the socket drops, in-flight calls fail with a network error, new calls wait, and the socket
// reconnects with capped exponential backoff. Listeners hear the connection state so the UI can
// say so and re-fetch its snapshot.
import type { ClientFrame, CommandInput, CommandName, CommandOutputs, Patch, ServerFrame } from '../../common/api';
import { ApiError } from './errors';
import type { ConnectionState, RendererApi } from './types';

const TOKEN_KEY = 'samverka.token';

/**
 * Reads `#token=…` from the address, removes it from the address bar and history, and keeps it
 * for this tab only (sessionStorage) so a reload still works.
 */
export function takeTokenFromLocation(loc: Location = window.location, hist: History = window.history): string | null {
  const params = new URLSearchParams(loc.hash.startsWith('#') ? loc.hash.slice(1) : loc.hash);
  const fromHash = params.get('token');
  if (fromHash) {
    params.delete('token');
    const rest = params.toString();
    hist.replaceState(hist.state, '', loc.pathname + loc.search + (rest ? `#${rest}` : ''));
    try {
      sessionStorage.setItem(TOKEN_KEY, fromHash);
    } catch {
      /* storage may be disabled; the token then lives only in memory */
    }
    return fromHash;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export interface WebSocketApiOptions {
  readonly url: string;
  readonly token: string | null;
  readonly WebSocketImpl?: typeof WebSocket;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** Close codes the host uses to refuse the token: we stop retrying then. */
const UNAUTHORIZED_CODES = new Set([1008, 4001, 4401, 4403]);

export function createWebSocketApi(opts: WebSocketApiOptions): RendererApi & { close(): void } {
  const WS = opts.WebSocketImpl ?? WebSocket;
  const minDelay = opts.minDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  const patchListeners = new Set<(p: readonly Patch[]) => void>();
  const connListeners = new Set<(s: ConnectionState) => void>();
  const pending = new Map<number, Pending>();
  let queue: ClientFrame[] = [];
  let nextId = 1;
  let attempt = 0;
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const setState = (s: ConnectionState): void => {
    if (s === state) return;
    state = s;
    for (const l of connListeners) l(s);
  };

  const failInFlight = (): void => {
    for (const p of pending.values()) {
      p.reject(new ApiError({ kind: 'network', message: 'connection to the app core lost', fatal: false }));
    }
    pending.clear();
  };

  const connect = (): void => {
    if (closed) return;
    const ws = new WS(opts.url);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({ token: opts.token ?? '' }));
      attempt = 0;
      const q = queue;
      queue = [];
      for (const f of q) ws.send(JSON.stringify(f));
      setState('open');
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(ev.data) as ServerFrame;
      } catch {
        return;
      }
      if ('event' in frame) {
        if (frame.event === 'patches' && Array.isArray(frame.patches)) {
          for (const l of patchListeners) l(frame.patches);
        }
        return;
      }
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.result.ok) p.resolve(frame.result.value);
      else p.reject(new ApiError(frame.result.error));
    };
    ws.onclose = (ev: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      failInFlight();
      if (closed) return;
      if (UNAUTHORIZED_CODES.has(ev.code)) {
        setState('unauthorized');
        return;
      }
      if (opened || state !== 'connecting') setState('lost');
      const base = Math.min(maxDelay, minDelay * 2 ** attempt);
      attempt++;
      const delay = base / 2 + Math.random() * (base / 2);
      timer = setTimeout(connect, delay);
    };
    ws.onerror = () => {
      /* onclose follows and handles the retry */
    };
  };

  connect();

  return {
    invoke<C extends CommandName>(cmd: C, input: CommandInput<C>): Promise<CommandOutputs[C]> {
      if (state === 'unauthorized' || closed) {
        return Promise.reject(new ApiError({ kind: 'ipc_forbidden', message: 'not connected to the app core', fatal: true }));
      }
      const id = nextId++;
      const frame: ClientFrame = { id, cmd, input };
      return new Promise<CommandOutputs[C]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        if (socket && socket.readyState === WS.OPEN) socket.send(JSON.stringify(frame));
        else queue.push(frame);
      });
    },
    onPatches(listener) {
      patchListeners.add(listener);
      return () => patchListeners.delete(listener);
    },
    onConnectionChange(listener) {
      connListeners.add(listener);
      listener(state);
      return () => connListeners.delete(listener);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      socket = null;
      failInFlight();
    },
  };
}
