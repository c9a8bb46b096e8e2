// A conversation's or person's picture, fetched once through the core (avatar:get) and shown
// from a blob: URL; until it arrives, or when there is none, the initials on a colour derived
// from the name. Decorative: the name is always written next to it, so it is aria-hidden.
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import type { RendererApi } from '../../bridge/types';
import { useApi } from '../../bridge/context';
import { base64ToBytes } from '../../lib/files';

/** Picture key → blob URL (null: failed, do not ask again this session). Bounded. */
const cache = new Map<string, Promise<string | null>>();
const MAX_CACHED = 400;

function load(api: RendererApi, accountId: string, avatar: string, size: number): Promise<string | null> {
  const key = `${accountId}\n${avatar}\n${size}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const p = api.invoke('avatar:get', { accountId, avatar, size }).then(
    (pic) => URL.createObjectURL(new Blob([base64ToBytes(pic.dataBase64).slice()], { type: pic.mime })),
    () => null,
  );
  cache.set(key, p);
  if (cache.size > MAX_CACHED) {
    const [oldKey, old] = cache.entries().next().value!;
    cache.delete(oldKey);
    void old.then((url) => { if (url) URL.revokeObjectURL(url); });
  }
  return p;
}

/** Up to two letters from the name's words (letters of any script, not punctuation or emoji). */
export function initialsOf(name: string): string {
  const words = name.replace(/^[@#!]/u, '').split(/[\s._:@-]+/u).filter((w) => /\p{L}|\p{N}/u.test(w));
  const first = (w: string): string => [...w].find((ch) => /\p{L}|\p{N}/u.test(ch)) ?? '';
  return (words.length >= 2 ? first(words[0]!) + first(words[1]!) : first(words[0] ?? '')).toLocaleUpperCase();
}

/** A stable hue per name, so the same person has the same colour everywhere. */
function hueOf(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) % 360;
  return h;
}

export function Avatar(p: { readonly accountId: string; readonly avatar: string | null; readonly name: string; readonly size: number }): ReactNode {
  const api = useApi();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (p.avatar === null) return;
    let live = true;
    // Ask for twice the CSS size so pictures stay sharp on high-density screens.
    void load(api, p.accountId, p.avatar, Math.min(512, p.size * 2)).then((u) => { if (live) setUrl(u); });
    return () => { live = false; };
  }, [api, p.accountId, p.avatar, p.size]);
  const style = { width: p.size, height: p.size, fontSize: Math.round(p.size * 0.42) };
  if (url) return <img className="avatar" src={url} alt="" aria-hidden="true" style={style} draggable={false} />;
  return (
    <span className="avatar initials" aria-hidden="true" style={{ ...style, background: `hsl(${hueOf(p.name)} 45% 36%)` }}>
      {initialsOf(p.name)}
    </span>
  );
}
