// Measures Synapse start-up through the test harness: `npx tsx scripts/synapse/measure-startup.ts [rounds]`.
// Per round: fresh database (Synapse migrates on start), template build (cache deleted first),
// start from the cached template, restart. Times are wall clock to GET /health = OK.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSynapse } from '../../test/servers/synapse/synapse';

const rounds = Number(process.argv[2] ?? 3);
const cache = join(fileURLToPath(new URL('../../', import.meta.url)), '.tmp', 'synapse-template');

for (let i = 0; i < rounds; i++) {
  const tf = Date.now();
  const fresh = await startSynapse({ template: false });
  const freshTotalMs = Date.now() - tf; // incl. generate_signing_key
  await fresh.dispose();

  await rm(cache, { recursive: true, force: true });
  // Each round runs in one process, so the in-process template cache must not hide the build:
  // measure the build only in the first round, later rounds reuse the on-disk copy.
  const first = await startSynapse();
  await first.dispose();

  const t0 = Date.now();
  const s = await startSynapse();
  const withTemplateTotal = Date.now() - t0;
  await s.restart();
  await s.dispose();
  console.log(
    JSON.stringify({
      round: i + 1,
      version: s.version,
      freshDbStartMs: fresh.timings.startsMs[0],
      freshDbStartTotalMs: freshTotalMs,
      templateBuildMs: first.timings.templateMs,
      templateStartMs: s.timings.startsMs[0],
      templateStartTotalMs: withTemplateTotal, // incl. copying the template and writing the config
      restartMs: s.timings.startsMs[1],
    }),
  );
}
