// Browser-only helpers for attachments: base64 in and out, and safe download names.

export function arrayBufferToBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function readFileAsBase64(file: Blob): Promise<string> {
  return file.arrayBuffer().then(arrayBufferToBase64);
}

// Bidi controls, C0/C1 controls, path separators and characters Windows forbids.
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"/\\|?*]/gu;

/** A file name that is safe to offer for download: no paths, no control or bidi characters. */
export function sanitizeFileName(name: string): string {
  let n = name.normalize('NFC').replace(UNSAFE_NAME, '_').trim();
  n = n.replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/iu.test(n)) n = `_${n}`;
  if (n.length > 200) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 16 ? n.slice(dot) : '';
    n = n.slice(0, 200 - ext.length) + ext;
  }
  return n || 'download';
}

export function saveBytes(bytes: Uint8Array<ArrayBuffer>, name: string, mime: string): void {
  const blob = new Blob([bytes], { type: mime || 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = sanitizeFileName(name);
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
