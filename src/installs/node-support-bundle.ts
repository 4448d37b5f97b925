/**
 * What a system installed by its distribution's installer needs of berth's
 * node-side code (src/node-side) to live as a berth node: the report,
 * firstboot and SSH renewal commands and their units. Diskless and
 * install-to-disk images carry them from the build (images/build/node-support.ts);
 * a scripted install fetches them as this tar in its post script.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTar } from '../util/tar.ts';
import type { TarFile } from '../util/tar.ts';

const NODE_SIDE = join(import.meta.dirname, '../node-side');

const FILES: { source: string; target: string; mode: number }[] = [
  // The helpers the post script and the commands below source: the node API, the script runner.
  { source: 'core/berth-api.sh', target: 'usr/lib/berth/berth-api.sh', mode: 0o644 },
  { source: 'core/berth-scripts.sh', target: 'usr/lib/berth/berth-scripts.sh', mode: 0o644 },
  { source: 'bin/berth-report', target: 'usr/lib/berth/berth-report', mode: 0o755 },
  { source: 'bin/berth-firstboot', target: 'usr/lib/berth/berth-firstboot', mode: 0o755 },
  { source: 'bin/berth-ssh-renew', target: 'usr/lib/berth/berth-ssh-renew', mode: 0o755 },
  { source: 'systemd/berth-booted.service', target: 'etc/systemd/system/berth-booted.service', mode: 0o644 },
  { source: 'systemd/berth-firstboot.service', target: 'etc/systemd/system/berth-firstboot.service', mode: 0o644 },
  { source: 'systemd/berth-ssh-renew.service', target: 'etc/systemd/system/berth-ssh-renew.service', mode: 0o644 },
  { source: 'systemd/berth-ssh-renew.timer', target: 'etc/systemd/system/berth-ssh-renew.timer', mode: 0o644 },
];

let cached: Buffer | undefined;

export async function nodeSupportBundle(): Promise<Buffer> {
  if (cached) return cached;
  const files: TarFile[] = [];
  for (const { source, target, mode } of FILES) files.push({ path: target, data: await readFile(join(NODE_SIDE, source)), mode });
  return (cached = writeTar(files));
}

/** The post script with the deployment's values in front (sh single-quoted: none of them can break out). */
export async function postScript(values: { node: string; profile: string; media: string; server: string; callback: string; caPem: string }): Promise<string> {
  const body = await readFile(join(NODE_SIDE, 'install/berth-post.sh'), 'utf8');
  const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/sh',
    `BERTH_NODE=${q(values.node)}`,
    `BERTH_PROFILE=${q(values.profile)}`,
    `BERTH_MEDIA=${q(values.media)}`,
    `BERTH_SERVER=${q(values.server)}`,
    `BERTH_CALLBACK=${q(values.callback)}`,
    'mkdir -p /etc/berth',
    `cat > /etc/berth/ca.pem <<'BERTH_CA_PEM'`,
    values.caPem.trimEnd(),
    'BERTH_CA_PEM',
    body,
  ].join('\n');
}
