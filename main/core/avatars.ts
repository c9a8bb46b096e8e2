// Pictures of conversations and members, fetched through the account's adapter (Matrix:
// authenticated media thumbnails) and kept in a small in-memory cache so that scrolling the inbox
// does not refetch them. Only raster image types are passed on: the renderer shows them from
// blob: URLs in <img>, and SVG (which can carry script when opened directly) is refused.
import { AppError } from '../../common/errors';
import type { ProtocolAdapter } from '../../protocols/contract';

export const AVATAR_MIMES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** A thumbnail larger than this is not an avatar. */
export const MAX_AVATAR_BYTES = 1024 * 1024;
const CACHE_ENTRIES = 500;

export interface AvatarData {
  readonly mime: string;
  readonly dataBase64: string;
}

export class AvatarCache {
  /** accountId \n locator \n size → picture; Map order = least recently used first. */
  private readonly entries = new Map<string, AvatarData>();
  /** Requests in flight, so that twenty rows asking for one picture cost one fetch. */
  private readonly pending = new Map<string, Promise<AvatarData>>();

  async get(accountId: string, adapter: ProtocolAdapter, locator: string, size: number): Promise<AvatarData> {
    const key = `${accountId}\n${locator}\n${size}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    if (!adapter.avatars) throw new AppError('unsupported', `${adapter.protocol} accounts have no pictures`);
    const avatars = adapter.avatars;
    const p = (async () => {
      const pic = await avatars.fetch(locator, size);
      const mime = pic.mime.toLowerCase().split(';')[0]!.trim();
      if (!AVATAR_MIMES.has(mime)) throw new AppError('invalid_input', `picture has type ${mime.slice(0, 60)}, not a raster image`);
      if (pic.data.byteLength === 0 || pic.data.byteLength > MAX_AVATAR_BYTES) throw new AppError('invalid_input', `picture is ${pic.data.byteLength} bytes`);
      const data: AvatarData = { mime, dataBase64: Buffer.from(pic.data).toString('base64') };
      this.entries.set(key, data);
      if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      return data;
    })();
    this.pending.set(key, p);
    try {
      return await p;
    } finally {
      this.pending.delete(key);
    }
  }

  /** Forget an account's pictures (account removed). */
  forget(accountId: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(`${accountId}\n`)) this.entries.delete(k);
  }
}
