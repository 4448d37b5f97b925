/**
 * root's authorized_keys on a deployed node: the site's administrators (from
 * berth's configuration) and the node's own `ssh.admin_keys` attribute, each
 * key once. The node receives the finished text through the node API and
 * writes it at every boot, so the file is berth's: the header says so, and
 * edits made on the node do not survive a reboot.
 *
 * Keys in the attribute may carry authorized_keys options
 * (`from="10.1.0.0/16" ssh-ed25519 ...`); they are kept as written. A key
 * given twice keeps its first appearance, so configuration comes before the
 * attribute and its options win.
 */
import { BerthError } from '../errors.ts';
import { parseAuthorizedKey } from '../util/ssh-public-key.ts';

export interface AdminKeySources {
  /** The `ssh.admin_keys` value: authorized_keys lines, newline separated; `#` lines are comments. */
  attribute?: string;
  /** Keys from berth's configuration, one line each. */
  config?: string[];
}

const header = "# root's SSH keys, written by berth at every boot from its configuration and the node's ssh.admin_keys; edits here are lost";

/** authorized_keys content, or '' when no key is given (the node then leaves the file alone). */
export function authorizedKeys(sources: AdminKeySources): string {
  // Before any line is quoted back in an error: a pasted private key must not reach a log.
  if (/PRIVATE KEY/.test([sources.attribute ?? '', ...(sources.config ?? [])].join('\n'))) {
    const where = /PRIVATE KEY/.test(sources.attribute ?? '') ? 'attribute ssh.admin_keys' : 'ssh.admin_keys in the configuration';
    throw new BerthError('BERTH_BAD_INPUT', `${where} contains a private key; give the public key instead (the .pub file, or ssh-keygen -y -f <key>)`);
  }
  const lines: string[] = [];
  const seen = new Set<string>();
  const take = (raw: string, where: string) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const { options, key: parsed } = parseAuthorizedKey(line, where);
    const identity = `${parsed.type} ${parsed.base64}`;
    if (seen.has(identity)) return;
    seen.add(identity);
    lines.push([options, parsed.type, parsed.base64, parsed.comment].filter((part) => part !== '').join(' '));
  };
  (sources.config ?? []).forEach((line, i) => {
    if (/[\r\n]/.test(line.trim())) throw new BerthError('BERTH_BAD_INPUT', `ssh.admin_keys in the configuration, entry ${i + 1}: one key per entry`);
    take(line, `ssh.admin_keys in the configuration, entry ${i + 1}`);
  });
  (sources.attribute ?? '').split(/\r?\n/).forEach((line, i) => take(line, `attribute ssh.admin_keys, line ${i + 1}`));
  return lines.length === 0 ? '' : [header, ...lines, ''].join('\n');
}
