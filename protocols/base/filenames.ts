// File names from the network end up in save dialogs and on disk: strip anything that could
// traverse directories or disguise the extension (bidi overrides), and keep them short.
const CONTROL_AND_BIDI = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g; // eslint-disable-line no-control-regex
const RESERVED = /[<>:"|?*]/g;
const MAX_NAME = 200;

export function sanitizeFileName(raw: string, fallback = 'file'): string {
  let name = raw.normalize('NFC').replace(CONTROL_AND_BIDI, '');
  // Keep only the last path segment, whichever separator the sender used.
  const parts = name.split(/[/\\]/);
  name = parts[parts.length - 1] ?? '';
  name = name.replace(RESERVED, '_').trim();
  // Leading dots would make hidden files or '.'/'..'; trailing dots and spaces are dropped by
  // Windows and could turn "x.exe." into "x.exe". Strip until stable ('. .' must not become '.').
  let prev: string;
  do {
    prev = name;
    name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  } while (name !== prev);
  // Windows device names are not files; prefix them so saving cannot hit a device.
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) name = `_${name}`;
  if (name.length > MAX_NAME) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, MAX_NAME - ext.length) + ext;
  }
  return name.length > 0 ? name : fallback;
}

/** A mime type from the file name, for the common cases; the server's word is not trusted. */
export function guessMime(name: string): string {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  const map: Record<string, string> = {
    png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
    pdf: 'application/pdf', txt: 'text/plain', mp4: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg',
    ogg: 'audio/ogg', m4a: 'audio/mp4', zip: 'application/zip', json: 'application/json',
  };
  return map[ext] ?? 'application/octet-stream';
}
