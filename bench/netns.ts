/**
 * Two network namespaces joined by a veth pair: a private Ethernet segment
 * for benchmarks that need real broadcasts (DHCP) without touching the host's
 * interfaces. The veth is created inside the server namespace with its peer
 * placed straight into the client one, so no interface ever appears on the
 * host. Names are `berth-bench-<random>-server|client`; only those names are
 * ever deleted.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NamespaceEnd {
  namespace: string;
  interfaceName: string;
  /** IPv4 address on the interface, without prefix length. */
  address: string;
}

export interface VethLink {
  server: NamespaceEnd;
  client: NamespaceEnd;
  prefixLength: number;
  /** Deletes both namespaces (and with them the veth pair). Idempotent. */
  remove(): void;
}

export function createVethLink(options: { serverAddress: string; clientAddress: string; prefixLength: number }): VethLink {
  const suffix = randomBytes(3).toString('hex');
  // Interface names are limited to 15 bytes (IFNAMSIZ - 1).
  const server: NamespaceEnd = { namespace: `berth-bench-${suffix}-server`, interfaceName: `bb${suffix}s`, address: options.serverAddress };
  const client: NamespaceEnd = { namespace: `berth-bench-${suffix}-client`, interfaceName: `bb${suffix}c`, address: options.clientAddress };
  const created: string[] = [];
  const remove = () => {
    while (created.length > 0) {
      const namespace = created.pop()!;
      const r = spawnSync('ip', ['netns', 'del', namespace], { encoding: 'utf8' });
      if (r.status !== 0 && !/No such file/.test(r.stderr)) throw new Error(`ip netns del ${namespace}: ${r.stderr.trim()}`);
    }
  };
  try {
    for (const end of [server, client]) {
      ip(['netns', 'add', end.namespace]);
      created.push(end.namespace);
    }
    ip(['-n', server.namespace, 'link', 'add', server.interfaceName, 'type', 'veth', 'peer', 'name', client.interfaceName, 'netns', client.namespace]);
    for (const end of [server, client]) {
      ip(['-n', end.namespace, 'addr', 'add', `${end.address}/${options.prefixLength}`, 'dev', end.interfaceName]);
      ip(['-n', end.namespace, 'link', 'set', end.interfaceName, 'up']);
      // berth's admin API listens on 127.0.0.1 inside the namespace.
      ip(['-n', end.namespace, 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { server, client, prefixLength: options.prefixLength, remove };
}

/** The command line that runs `command` inside `namespace` (`ip netns exec` execs it, so the PID is the command's own). */
export function inNamespace(namespace: string, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', namespace, command, ...args]];
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message} (Debian package iproute2)`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()} (needs root)`);
}
