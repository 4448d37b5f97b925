/**
 * The known_hosts line that makes admins' ssh trust every node berth deploys:
 * `@cert-authority <host patterns> <CA public key>` (sshd(8), "SSH_KNOWN_HOSTS
 * FILE FORMAT"). With it, ssh accepts a host key when it comes with a
 * certificate signed by berth's SSH CA that names the host as a principal,
 * so re-deploying a node (fresh host keys every boot) never brings back the
 * "REMOTE HOST IDENTIFICATION HAS CHANGED" warning.
 *
 * The patterns limit which hosts the CA may vouch for. `*` trusts it for
 * every host; a site sharing workstations with other CAs narrows it, e.g.
 * `*.cluster.example.org,10.1.*`.
 */
import { BerthError } from '../errors.ts';
import { parsePublicKey } from '../util/ssh-public-key.ts';
import type { SshCa } from './ssh-ca.ts';

export function knownHostsLine(ca: SshCa, hostPatterns: string[] = ['*']): string {
  const patterns = hostPatterns.map(checkHostPattern);
  if (patterns.length === 0) throw new BerthError('BERTH_BAD_INPUT', 'give at least one host pattern (for example *)');
  const key = parsePublicKey(ca.publicKey, 'the SSH CA public key');
  return ['@cert-authority', patterns.join(','), key.type, key.base64, key.comment].filter((part) => part !== '').join(' ');
}

/**
 * One known_hosts host pattern: `*` and `?` wildcards, a leading `!` to
 * negate, `[host]:port`. Whitespace would end the field and a comma would
 * start another pattern, so either would change which hosts the CA is
 * trusted for.
 */
function checkHostPattern(pattern: string): string {
  const fail = (why: string): never => {
    throw new BerthError('BERTH_BAD_INPUT', `host pattern ${JSON.stringify(pattern)} ${why}; known_hosts patterns look like *, *.cluster.example.org or 10.1.*`);
  };
  if (pattern === '' || pattern === '!') fail('is empty');
  if (pattern.includes(',')) fail('contains a comma (give each pattern separately)');
  if (/[\s\x00-\x1f\x7f]/.test(pattern)) fail('contains spaces or control characters');
  if (pattern.startsWith('@') || pattern.startsWith('#') || pattern.startsWith('|')) fail(`cannot start with ${pattern[0]}`);
  if (pattern.length > 255) fail('is longer than 255 characters');
  return pattern;
}
