/**
 * `ssh.admin_keys`: root's authorized_keys lines on the deployed node. Each
 * key line is read by the one OpenSSH key parser, src/util/ssh-public-key.ts,
 * which builds authorized_keys at boot too: what is accepted here is what
 * the node gets.
 */
import { parseAuthorizedKey } from '../../../util/ssh-public-key.ts';
import { quote, reject } from './rejection.ts';

/**
 * One or more authorized_keys lines ([options] type base64 [comment]), one per
 * line; `#` lines are kept as comments, each key may appear once. Each key is
 * decoded and must be exactly the structure its type defines: that catches
 * keys cut short or joined when pasted from a terminal.
 */
export function normalizeSshPublicKeys(value: string): string {
  // Before anything is quoted back: a private key must not end up in an error log.
  if (/PRIVATE KEY/.test(value)) reject('the value contains a private key; give the public key instead (the .pub file, or ssh-keygen -y -f <key>)');
  const lines = value.split(/\r?\n/);
  const out: string[] = [];
  const seen = new Map<string, number>();
  let keys = 0;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = lines.length > 1 ? `line ${index + 1}: ` : '';
    if (line.startsWith('#')) {
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) reject(`${where}the comment line contains control characters`);
      out.push(line);
      return;
    }
    const { options, key } = parseAuthorizedKey(line, (reason) => reject(`${where}${reason}`));
    const earlier = seen.get(key.base64);
    if (earlier !== undefined) reject(`${where}the same key is already on line ${earlier}`);
    seen.set(key.base64, index + 1);
    keys++;
    out.push([options, key.type, key.base64, key.comment].filter((part) => part !== '').join(' '));
  });
  if (keys === 0) reject(`${quote(value)} contains no SSH public key`);
  return out.join('\n');
}
