// Loading the adapters must not change the process for everyone else. The npm `undici` package,
// for one, installs itself as the dispatcher of Node's global fetch when it is imported; that
// once broke XMPP file uploads (explicit content-length refused) as soon as the Matrix adapter was
// loaded beside it. This test loads every adapter and checks that global fetch is untouched.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';

describe('adapter registry', () => {
  it('leaves the global fetch dispatcher alone, so a PUT with content-length still works', async () => {
    const before = Object.getOwnPropertySymbols(globalThis).map(String);
    const { ADAPTERS } = await import('../../../protocols/registry');
    expect(Object.keys(ADAPTERS).length).toBeGreaterThanOrEqual(2);
    const added = Object.getOwnPropertySymbols(globalThis).map(String).filter((s) => !before.includes(s));
    expect(added.filter((s) => s.includes('undici'))).toEqual([]);

    const srv = createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'PUT', headers: { 'content-length': '5' }, body: new Uint8Array(5) });
      expect(await res.text()).toBe('5');
    } finally {
      srv.close();
    }
  });
});
