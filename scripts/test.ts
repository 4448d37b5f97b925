/**
 * The whole test suite: type-check, then every test file under test/ with
 * Node's built-in runner (except test/slow/, run by name). `npm test` runs
 * this; so does `.ci/run`.
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const only = process.argv.slice(2);
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type-check failed');
  process.exit(tsc.status ?? 1);
}
console.log('type-check: ok');

// The lab's kernel and initramfs are fetched once here, before test files
// that boot VMs run side by side and would each fetch them.
if (process.getuid?.() === 0) {
  const assets = spawnSync(process.execPath, ['scripts/lab-assets.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (assets.status !== 0) console.error('lab assets could not be prepared; the VM tests will say why');
}

// test/slow/ holds what takes too long for every run (a real OS install under TCG): `npm run test:install`.
const files = only.length > 0 ? only : globSync('test/**/*.test.ts').filter((f) => !f.startsWith('test/slow/')).sort();
const result = spawnSync(
  process.execPath,
  ['--disable-warning=ExperimentalWarning', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, BERTH_LOG_LEVEL: process.env['BERTH_LOG_LEVEL'] ?? 'warn' } },
);
process.exit(result.status ?? 1);
