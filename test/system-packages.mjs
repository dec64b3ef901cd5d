#!/usr/bin/env node
/**
 * The Debian packages the test suite needs, checked before any test runs (`npm test` calls this
 * first, and so does .ci/run), so that a missing one stops the run at once instead of failing a
 * test deep inside.
 *
 * When something is missing and this process may install it (root, or sudo without a password),
 * it installs it with apt-get and says so; ZKINFER_NO_PROVISION=1 turns that off. Otherwise it
 * prints the exact command to run and exits 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the tests use, the file that shows it is installed, and the Debian package that installs it. */
const SYSTEM_PACKAGES = [
  { what: 'the Fashion-MNIST data set (data readers, calibration)', file: '/usr/share/datasets/fashion-mnist', pkg: 'dataset-fashion-mnist' },
  { what: 'headless Chromium (the fidelity report test)', file: '/usr/bin/chromium', pkg: 'chromium' },
  { what: 'redis-server (the proof queue tests start their own, on a loopback port)', file: '/usr/bin/redis-server', pkg: 'redis-server' },
];

function canRun(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** The command prefix that runs apt-get as root here, or undefined when this process cannot. */
function rootPrefix() {
  if (process.getuid?.() === 0) return [];
  if (canRun('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return undefined;
}

const missing = SYSTEM_PACKAGES.filter((p) => !existsSync(p.file));
if (missing.length === 0) process.exit(0);

const names = missing.map((p) => p.pkg);
const command = `apt-get update && apt-get install -y --no-install-recommends ${names.join(' ')}`;
for (const p of missing) console.error(`zkinfer tests: ${p.what} is missing (${p.file}; Debian package ${p.pkg})`);

const prefix = rootPrefix();
const hasApt = canRun('apt-get', ['--version']);
if (process.env.ZKINFER_NO_PROVISION === '1' || prefix === undefined || !hasApt) {
  const why = !hasApt ? 'apt-get is not available here' : prefix === undefined ? 'this user cannot run apt-get' : 'ZKINFER_NO_PROVISION=1';
  console.error(`zkinfer tests: not installing them (${why}). Run, as root:\n\n  ${command}\n`);
  process.exit(1);
}

console.error(`zkinfer tests: installing ${names.join(' ')} with apt-get`);
try {
  const run = (args) => {
    const argv = [...prefix, ...args];
    execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', ...names]);
} catch {
  console.error(`zkinfer tests: apt-get failed. Run, as root:\n\n  ${command}\n`);
  process.exit(1);
}
const still = missing.filter((p) => !existsSync(p.file));
if (still.length > 0) {
  console.error(`zkinfer tests: still missing after apt-get: ${still.map((p) => p.file).join(', ')}`);
  process.exit(1);
}
