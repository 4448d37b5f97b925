/**
 * The names a node's host certificate vouches for. ssh(1) accepts a host
 * certificate only when the name the user typed (or HostKeyAlias) is one of
 * its principals, so the list must hold every way admins reach the node:
 * its berth name, its host names and their short forms (what `ssh node1`
 * types inside the cluster's search domain), its addresses, and whatever
 * extra names `ssh.principals` adds (a service alias, say).
 *
 * ssh lower-cases the host name before it compares (ssh.c), so names are
 * lower-cased here: an upper-case principal could never match.
 *
 * Each principal is validated because ssh-keygen takes them as one
 * comma-separated `-n` argument: a comma inside one would silently become
 * two principals, and wildcards would let one node's certificate vouch for
 * other hosts. Certificates are credentials; what goes into them must mean
 * exactly what the inventory says.
 */
import { isIP } from 'node:net';
import { BerthError } from '../errors.ts';

/** DNS names are at most 253 characters; a longer principal is a mistake, not a name. */
const maxPrincipalLength = 253;

export interface PrincipalSources {
  /** Fully qualified or short host names (`net.*.hostname`). */
  hostnames: string[];
  /** IP addresses, optionally with a prefix length as the inventory stores them (`10.1.0.5/16`). */
  addresses: string[];
  /** `ssh.principals`: extra names, used as given (lower-cased). */
  extra: string[];
}

/** Node name first, then host names, their short forms, addresses and extra names; each once. */
export function hostPrincipals(node: string, sources: PrincipalSources): string[] {
  const out: string[] = [];
  const add = (principal: string, what: string) => {
    const checked = checkPrincipal(principal.toLowerCase(), `${what} of node ${node}`);
    if (!out.includes(checked)) out.push(checked);
  };
  add(node, 'the name');
  const hostnames = sources.hostnames.map((h) => h.trim().replace(/\.$/, '')).filter((h) => h !== '');
  for (const name of hostnames) add(name, `host name ${JSON.stringify(name)}`);
  for (const name of hostnames) {
    const short = name.split('.')[0]!;
    if (short !== name && isIP(name) === 0) add(short, `host name ${JSON.stringify(name)}`);
  }
  for (const address of sources.addresses) {
    const bare = address.trim().replace(/\/\d{1,3}$/, '');
    if (bare === '') continue;
    if (isIP(bare) === 0) throw new BerthError('BERTH_BAD_INPUT', `${JSON.stringify(address)} is not an IP address (node ${node})`, { node });
    add(bare, `address ${JSON.stringify(address)}`);
  }
  for (const name of sources.extra.map((e) => e.trim()).filter((e) => e !== '')) add(name, `ssh.principals entry ${JSON.stringify(name)}`);
  return out;
}

/**
 * A principal as ssh-keygen's `-n` and ssh's matching read it, or
 * BERTH_BAD_INPUT naming `where`. Exported for signHostKeys, which checks
 * again whatever list it is handed.
 */
export function checkPrincipal(principal: string, where: string): string {
  const fail = (why: string): never => {
    throw new BerthError('BERTH_BAD_INPUT', `${where}: the principal ${JSON.stringify(principal)} ${why}`);
  };
  if (principal === '') fail('is empty');
  if (principal.length > maxPrincipalLength) fail(`is longer than ${maxPrincipalLength} characters`);
  if (principal.includes(',')) fail('contains a comma, which would split it into two principals');
  if (/[\s\x00-\x1f\x7f]/.test(principal)) fail('contains spaces or control characters');
  if (/[*?!]/.test(principal)) fail('contains a wildcard (*, ? or !); a host certificate must name hosts exactly');
  return principal;
}
