#!/usr/bin/env node
// The whole test suite, as run by `npm test` and by CI:
//   1. type check (tsc) and lint (ESLint incl. the layering rules) — each counts as one test;
//   2. unit, integration (real Prosody) and conformance tests (Vitest);
//   3. end-to-end tests in Debian's Chromium through web mode (Playwright).
// Prints one closing line `N passed, N failed` (also written to .tmp/test-summary.txt for CI).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);

let passed = 0;
let failed = 0;
const failures = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) passed += 1;
  else {
    failed += 1;
    failures.push(label);
  }
}

check('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
check('lint', bin('eslint'), ['--max-warnings', '0', '.']);

// Vitest: count individual tests from its JSON report.
const vitestJson = join(tmp, 'vitest.json');
run('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const rep = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += rep.numPassedTests ?? 0;
  failed += (rep.numFailedTests ?? 0) + (rep.numPendingTests ?? 0) + (rep.numTodoTests ?? 0);
  // A file that failed to load has no tests but must count as a failure.
  for (const f of rep.testResults ?? []) {
    if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) {
      failed += 1;
      failures.push(`vitest file ${f.name}`);
    }
    for (const a of f.assertionResults ?? []) if (a.status === 'failed') failures.push(a.fullName);
  }
} else {
  failed += 1;
  failures.push('vitest produced no report');
}

// Playwright e2e: build the renderer first (web mode serves dist/renderer).
if (run('build renderer', bin('vite'), ['build'])) {
  const pwJson = join(tmp, 'playwright.json');
  run('playwright', bin('playwright'), ['test']);
  if (existsSync(pwJson)) {
    const rep = JSON.parse(readFileSync(pwJson, 'utf8'));
    const s = rep.stats ?? {};
    passed += s.expected ?? 0;
    failed += (s.unexpected ?? 0) + (s.flaky ?? 0) + (s.skipped ?? 0);
    if ((s.expected ?? 0) + (s.unexpected ?? 0) === 0) {
      failed += 1;
      failures.push('playwright ran no test');
    }
    if ((s.unexpected ?? 0) > 0) failures.push(`${s.unexpected} playwright test(s)`);
    if ((rep.errors ?? []).length > 0) {
      failed += 1;
      failures.push('playwright global error');
    }
  } else {
    failed += 1;
    failures.push('playwright produced no report');
  }
} else {
  failed += 1;
  failures.push('renderer build');
}

if (failures.length) console.log(`\nFailures:\n- ${failures.join('\n- ')}`);
const summary = `${passed} passed, ${failed} failed`;
writeFileSync(join(tmp, 'test-summary.txt'), summary + '\n');
console.log(`\n${summary}`);
process.exit(failed === 0 ? 0 : 1);
