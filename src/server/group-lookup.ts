/** Resolves a group name to its gid from /etc/group (Node has no getgrnam). */
import { readFile } from 'node:fs/promises';
import { BerthError } from '../errors.ts';

export async function getgrnam(name: string): Promise<number> {
  const text = await readFile('/etc/group', 'utf8');
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined) return Number(gid);
  }
  if (/^\d+$/.test(name)) return Number(name);
  throw new BerthError('BERTH_CONFIG', `api.socket_group: no group named '${name}' in /etc/group`);
}
