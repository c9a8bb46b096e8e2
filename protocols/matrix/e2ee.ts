// End-to-end encryption on top of the SDK's Rust crypto (initialised in sdk.ts): encrypting what
// the adapter sends itself, decrypting what it fetches itself (/messages), and the recovery
// feature (cross-signing, secret storage, key backup). Only the few SDK calls needed are wrapped
// here, so the adapter sees plain RawEvents and contract shapes.
import { MatrixEvent, MatrixEventEvent } from 'matrix-js-sdk';
import type { IEvent, Room } from 'matrix-js-sdk';
import { CryptoEvent, decodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { CryptoApi, CryptoCallbacks } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { AppError } from '../../common/errors';
import type { EncryptionFeature, EncryptionStatus } from '../contract';
import type { MatrixClient } from './sdk';
import { asRawEvent } from './events';
import type { RawEvent } from './events';

export const MEGOLM = 'm.megolm.v1.aes-sha2';
/** createRoom initial_state that turns encryption on from the start, as Element does. */
export const ENCRYPTION_STATE = { type: 'm.room.encryption', state_key: '', content: { algorithm: MEGOLM } } as const;

/**
 * The recovery key, once the user gave it or we created it. The SDK asks for it through a callback
 * fixed at createClient time, so the callback reads from this holder.
 */
export class RecoveryKeyHolder {
  private key: Uint8Array<ArrayBuffer> | null = null;
  set(key: Uint8Array<ArrayBuffer>): void {
    this.key = key;
  }
  readonly callbacks: CryptoCallbacks = {
    getSecretStorageKey: async ({ keys }) => {
      const id = Object.keys(keys)[0];
      return this.key && id !== undefined ? [id, this.key] : null;
    },
  };
}

/** RustCrypto.encryptEvent is part of the SDK's internal CryptoBackend, not of CryptoApi. */
interface EventEncryptor {
  encryptEvent(event: MatrixEvent, room: Room): Promise<void>;
}
function encryptorOf(crypto: CryptoApi | undefined): EventEncryptor | null {
  const e = crypto as unknown as Partial<EventEncryptor> | undefined;
  return e && typeof e.encryptEvent === 'function' ? (e as EventEncryptor) : null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when the key-backup upload loop has nothing left to upload (or after `ms`). */
function backupDrained(client: MatrixClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off(CryptoEvent.KeyBackupSessionsRemaining, onRemaining);
      resolve();
    };
    const onRemaining = (remaining: number): void => {
      if (remaining === 0) done();
    };
    const timer = setTimeout(done, ms);
    client.on(CryptoEvent.KeyBackupSessionsRemaining, onRemaining);
  });
}

/**
 * Encrypt content for a room whose m.room.encryption state the client knows. Right after
 * createRoom/join the room (or its encryptor) may not be set up from /sync yet: wait briefly.
 */
export async function encryptFor(client: MatrixClient, roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<{ type: string; content: Record<string, unknown> }> {
  const encryptor = encryptorOf(client.getCrypto());
  if (!encryptor) throw new AppError('crypto', 'end-to-end encryption is not available; refusing to send in clear text');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const room = client.getRoom(roomId);
    if (room && room.hasEncryptionStateEvent()) {
      const ev = new MatrixEvent({ type, content, room_id: roomId, sender: client.getUserId() ?? '', event_id: `~${roomId}:${txnId}` });
      try {
        await encryptor.encryptEvent(ev, room);
        return { type: ev.getWireType(), content: ev.getWireContent() };
      } catch (e) {
        // "unconfigured room": the encryptor is made from the state event a moment later.
        if (!/unconfigured room/i.test(String(e)) || Date.now() > deadline) throw new AppError('crypto', `encryption failed: ${String(e).slice(0, 200)}`, { cause: e });
      }
    } else if (Date.now() > deadline) throw new AppError('crypto', 'room encryption state not known yet; not sending');
    await sleep(100);
  }
}

export interface Decrypted {
  readonly raw: RawEvent;
  /** Set when the event stays encrypted; `later` fires once if keys arrive afterwards. */
  readonly undecryptable?: { readonly reason: string; later(fn: (clear: RawEvent) => void): void };
}

/** Decrypt one event the SDK holds (live timeline) or we fetched ourselves (wrap it first). */
export async function decryptEvent(client: MatrixClient, ev: MatrixEvent, original: RawEvent): Promise<Decrypted> {
  if (!ev.isEncrypted()) return { raw: original };
  if (!client.getCrypto()) return { raw: original, undecryptable: { reason: 'encryption not available', later: () => undefined } };
  await client.decryptEventIfNeeded(ev);
  const clear = !ev.isDecryptionFailure() ? clearOf(ev, original) : null;
  if (clear) return { raw: clear };
  return {
    raw: original,
    undecryptable: {
      reason: String(ev.decryptionFailureReason ?? 'unknown'),
      // The Rust crypto retries events that waited for a room key when the key arrives (to-device,
      // key backup) and emits Decrypted on the event object itself.
      later: (fn) => {
        const onDecrypted = (): void => {
          if (ev.isDecryptionFailure()) return;
          ev.off(MatrixEventEvent.Decrypted, onDecrypted);
          const raw = clearOf(ev, original);
          if (raw) fn(raw);
        };
        ev.on(MatrixEventEvent.Decrypted, onDecrypted);
      },
    },
  };
}

/**
 * The decrypted type and content inside the envelope the server gave (event id, sender, ts,
 * unsigned with our transaction_id): the SDK's effective event does not keep all of the envelope.
 */
function clearOf(ev: MatrixEvent, original: RawEvent): RawEvent | null {
  // getEffectiveEvent's content also has the clear-text m.relates_to of the wire content.
  const eff = ev.getEffectiveEvent();
  return asRawEvent({ ...original, type: eff.type, content: eff.content });
}

export function decryptRaw(client: MatrixClient, roomId: string, raw: RawEvent): Promise<Decrypted> {
  if (raw.type !== 'm.room.encrypted') return Promise.resolve({ raw });
  const ev = new MatrixEvent({ ...(raw as unknown as Partial<IEvent>), room_id: roomId });
  return decryptEvent(client, ev, raw);
}

// ------------------------------------------------------------------ recovery

export interface E2eeDeps {
  client(): MatrixClient;
  readonly keys: RecoveryKeyHolder;
  persistent(): boolean;
}

function cryptoOf(client: MatrixClient): CryptoApi {
  const c = client.getCrypto();
  if (!c) throw new AppError('crypto', 'end-to-end encryption is not available');
  return c;
}

function isUiaChallenge(e: unknown): e is { httpStatus: number; data: { session?: string; flows?: unknown } } {
  const o = e as { httpStatus?: unknown; data?: unknown } | null;
  return typeof o === 'object' && o !== null && o.httpStatus === 401 && typeof o.data === 'object' && o.data !== null;
}

export function encryptionFeature(d: E2eeDeps): EncryptionFeature {
  return {
    status: async (): Promise<EncryptionStatus> => {
      const client = d.client();
      const crypto = cryptoOf(client);
      const userId = client.getUserId() ?? '';
      const deviceId = client.getDeviceId() ?? '';
      const [crossSigningReady, secretStorageReady, keyBackupVersion, device] = await Promise.all([
        crypto.isCrossSigningReady(),
        crypto.isSecretStorageReady(),
        crypto.getActiveSessionBackupVersion(),
        crypto.getDeviceVerificationStatus(userId, deviceId),
      ]);
      return { enabled: true, persistent: d.persistent(), deviceId, crossSigningReady, deviceVerified: device?.crossSigningVerified ?? false, secretStorageReady, keyBackupVersion };
    },

    setupRecovery: async (opts) => {
      const client = d.client();
      const crypto = cryptoOf(client);
      const generated = await crypto.createRecoveryKeyFromPassphrase();
      if (!generated.encodedPrivateKey) throw new AppError('crypto', 'could not encode the recovery key');
      d.keys.set(generated.privateKey);
      await crypto.bootstrapCrossSigning({
        setupNewCrossSigning: true,
        // Uploading cross-signing keys may need user-interactive auth: try without, then password.
        authUploadDeviceSigningKeys: async (makeRequest) => {
          try {
            await makeRequest(null);
          } catch (e) {
            if (!isUiaChallenge(e) || !opts?.password) throw new AppError('auth', 'the server wants the password to set up cross-signing', { cause: e });
            await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: client.getUserId() ?? '' }, password: opts.password, ...(e.data.session ? { session: e.data.session } : {}) });
          }
        },
      });
      // Listen before the backup starts: its upload loop reports 0 remaining when every existing
      // message key is on the server. Only then may the user rely on the recovery key (and close
      // the app) — otherwise older messages would be missing on a new device.
      const drained = backupDrained(client, 30_000);
      await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => generated, setupNewSecretStorage: true, setupNewKeyBackup: true });
      await crypto.checkKeyBackupAndEnable();
      await drained;
      return { recoveryKey: generated.encodedPrivateKey };
    },

    restoreWithRecoveryKey: async (recoveryKey) => {
      const client = d.client();
      const crypto = cryptoOf(client);
      let key: Uint8Array<ArrayBuffer>;
      try {
        key = decodeRecoveryKey(recoveryKey.trim());
      } catch (e) {
        throw new AppError('invalid_input', 'not a valid recovery key', { cause: e });
      }
      const keyId = await client.secretStorage.getDefaultKeyId();
      const desc = keyId ? await client.secretStorage.getKey(keyId) : null;
      if (!desc) throw new AppError('not_found', 'no secret storage on the server; set up recovery first');
      if (!(await client.secretStorage.checkKey(key, desc[1]))) throw new AppError('crypto', 'wrong recovery key');
      d.keys.set(key);
      // Imports the cross-signing private keys from secret storage and signs this device with them.
      await crypto.bootstrapCrossSigning({});
      await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
      await crypto.checkKeyBackupAndEnable();
      await crypto.restoreKeyBackup();
    },
  };
}
