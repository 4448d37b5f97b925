/**
 * Two network namespaces joined by a veth pair, for DHCP tests that need a
 * real wire: `server` (berth) and `clients` (machines, a relay, a routed
 * host). Named `berth-dhcptest-<hex>-s|c`; removed by name in `destroy()`,
 * which takes the veth pair with them. Needs root (`canMakeNamespaces`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NamespacePair {
  server: string;
  clients: string;
  /** The server's end of the veth pair (in `server`). */
  serverInterface: string;
  /** `ip -n <ns> ...`; throws with stderr on failure. */
  ip(ns: string, ...args: string[]): string;
  destroy(): void;
}

export function canMakeNamespaces(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
}

/**
 * `serverAddresses` go on the server's end, `clientAddresses` on the clients'
 * end (CIDR); `routes` are added in the server namespace via the clients' end
 * (`<subnet> via <clients address>`), so replies to routed and relayed
 * addresses go back over the wire.
 */
export function makeNamespacePair(o: { serverAddresses: string[]; clientAddresses: string[]; routes?: { to: string; via: string }[] }): NamespacePair {
  const tag = randomBytes(3).toString('hex');
  const server = `berth-dhcptest-${tag}-s`;
  const clients = `berth-dhcptest-${tag}-c`;
  const run = (...args: string[]): string => {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const made: string[] = [];
  const destroy = () => {
    for (const ns of made.splice(0)) spawnSync('ip', ['netns', 'delete', ns], { timeout: 10_000 });
  };
  try {
    for (const ns of [server, clients]) {
      run('netns', 'add', ns);
      made.push(ns);
      run('-n', ns, 'link', 'set', 'lo', 'up');
    }
    run('-n', server, 'link', 'add', 'berth0', 'type', 'veth', 'peer', 'name', 'wire0', 'netns', clients);
    for (const a of o.serverAddresses) run('-n', server, 'addr', 'add', a, 'dev', 'berth0');
    for (const a of o.clientAddresses) run('-n', clients, 'addr', 'add', a, 'dev', 'wire0');
    run('-n', server, 'link', 'set', 'berth0', 'up');
    run('-n', clients, 'link', 'set', 'wire0', 'up');
    for (const r of o.routes ?? []) run('-n', server, 'route', 'add', r.to, 'via', r.via, 'dev', 'berth0');
    // Clients broadcast to 255.255.255.255 from unbound sockets, which needs a route.
    run('-n', clients, 'route', 'add', 'default', 'dev', 'wire0');
  } catch (e) {
    destroy();
    throw e;
  }
  return { server, clients, serverInterface: 'berth0', ip: (ns, ...args) => run('-n', ns, ...args), destroy };
}
