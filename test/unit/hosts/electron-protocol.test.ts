import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

vi.mock('electron', async () => await import('./electron-mock'));

const { createAppProtocolHandler } = await import('../../../main/electron/app-protocol');

let dir: string;
let handler: (req: Request) => Promise<Response>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'samverka-proto-'));
  const root = join(dir, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Samverka</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'export {}');
  await writeFile(join(dir, 'secret.txt'), 'TOP SECRET');
  await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
  handler = createAppProtocolHandler(root);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('app:// protocol handler', () => {
  it('serves index.html with the CSP, nosniff and no-store', async () => {
    for (const url of ['app://samverka/', 'app://samverka/index.html']) {
      const r = await handler(new Request(url));
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('<title>Samverka</title>');
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('serves assets with their content type', async () => {
    const r = await handler(new Request('app://samverka/assets/app.js'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handler(new Request('app://samverka/assets/nope.js'))).status).toBe(404);
  });

  it.each([
    'app://samverka/../secret.txt',
    'app://samverka/%2e%2e/secret.txt',
    'app://samverka/..%2fsecret.txt',
    'app://samverka/assets/..%2f..%2fsecret.txt',
    'app://samverka/..%5csecret.txt',
    'app://samverka/index.html%00.js',
    'app://samverka/%E0%A4%A',
    'app://samverka/assets/link.txt',
  ])('refuses path traversal %s', async (url) => {
    const r = await handler(new Request(url));
    expect([400, 403, 404]).toContain(r.status);
    expect(await r.text()).not.toContain('TOP SECRET');
  });

  it('refuses other hosts and methods', async () => {
    expect((await handler(new Request('app://evil/index.html'))).status).toBe(403);
    expect((await handler(new Request('app://samverka/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});
