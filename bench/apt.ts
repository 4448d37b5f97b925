/** Benchmarks bring their peers (nginx, Kea, dnsmasq, tftpd-hpa) themselves, with apt-get as root. */
import { spawnSync } from 'node:child_process';

export function ensurePackages(packages: string[]): void {
  const missing = packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !r.stdout.includes('install ok installed');
  });
  if (missing.length === 0) return;
  console.error(`installing peers for the benchmark: ${missing.join(' ')}`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (update.status !== 0 || install.status !== 0) throw new Error(`could not install ${missing.join(' ')} (run as root)`);
}
