// Synapse's OpenID Connect support needs the `oidc` extra (authlib + joserfc), pinned in
// scripts/synapse/requirements.txt. Fail early with a clear message if the venv predates that.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { synapseVenv } from '../synapse/synapse';

export function ensureSynapseOidcDeps(): void {
  const python = join(synapseVenv(), 'bin', 'python');
  if (!existsSync(python)) return; // startSynapse() reports the missing venv itself
  const r = spawnSync(python, ['-c', 'import authlib.jose, authlib.oidc.core'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('Synapse cannot import authlib (its OIDC support): run scripts/synapse/ensure-venv.sh');
}
