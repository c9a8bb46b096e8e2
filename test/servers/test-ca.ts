// Throwaway certificate authorities for TLS tests, made with the openssl CLI (as the Prosody
// harness does): a CA and a server certificate it signed for localhost / 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TestCa {
  /** The CA certificate (PEM): what goes into trustedCaPem. */
  readonly caPem: string;
  /** A server key and certificate signed by this CA, valid for DNS:localhost and IP:127.0.0.1. */
  readonly serverKeyPem: string;
  readonly serverCertPem: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeTestCa(name: string): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'samverka-ca-'));
  try {
    const f = (n: string): string => join(dir, n);
    await execFileP('openssl', [
      'req', '-x509', ...EC, '-days', '2', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await execFileP('openssl', ['req', ...EC, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
    await writeFile(f('server.ext'), [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'));
    await execFileP('openssl', [
      'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
      '-out', f('server.crt'), '-extfile', f('server.ext'),
    ]);
    const [caPem, serverKeyPem, serverCertPem] = await Promise.all([readFile(f('ca.crt'), 'utf8'), readFile(f('server.key'), 'utf8'), readFile(f('server.crt'), 'utf8')]);
    return { caPem, serverKeyPem, serverCertPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
