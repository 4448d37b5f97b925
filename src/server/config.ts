/**
 * The optional config file of `berth serve`, /etc/berth/berth.yaml. It holds
 * only what the server needs before it can open its store: where the state
 * dir is, where to listen, how to log, what the TLS certificate names. Every
 * other setting lives in the store, where the API can change it.
 *
 * Each setting comes from, strongest first: CLI flags, environment
 * (BERTH_STATE_DIR, BERTH_LOG_LEVEL, BERTH_LOG_FORMAT), the file, defaults.
 * docs/config.md documents every key; keep the two in step.
 *
 * A bad file is refused with every problem at once, each with its file, line
 * and key, so an admin fixes the file in one pass rather than one restart per
 * typo.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { BerthError } from '../errors.ts';
import { logLevels } from '../util/logger.ts';
import type { LogFormat, LogLevel } from '../util/logger.ts';
import { checkBootNetwork } from './boot-network-config.ts';
import type { BootNetworkConfig } from './boot-network-config.ts';
import { defaultStateDir, stateDirLayout } from '../state/state-dir.ts';
import { defaultNbdPort } from '../boot/nbd/nbd-server.ts';
import { editDistance } from '../util/closest-name.ts';

export const defaultConfigPath = '/etc/berth/berth.yaml';
/**
 * 8443, the customary alternate HTTPS port: it stays clear of a web server on
 * 443, which head nodes often already run, and firewalls tend to know it.
 */
export const defaultApiPort = 8443;
/** iPXE fetches scripts, kernels and initrds here; 8080 leaves 80 to a web server the site may already run. */
export const defaultBootHttpPort = 8080;

export interface ListenAddress {
  /** IP address or host name; undefined means every address, IPv4 and IPv6. */
  host: string | undefined;
  port: number;
}

export interface BerthConfig {
  /** The file the settings were read from; undefined when there was none. */
  file: string | undefined;
  stateDir: string;
  api: {
    listen: ListenAddress[];
    socket: string;
    /** Group allowed on the admin socket (mode 0660); undefined: root only (0600). */
    socketGroup: string | undefined;
  };
  log: {
    level: LogLevel;
    /** undefined: text on a terminal, JSON otherwise. */
    format: LogFormat | undefined;
  };
  tls: {
    /** Extra DNS names for the server certificate, beyond the host's own. */
    hostnames: string[];
    /** Extra IP addresses for the server certificate, beyond the host's own. */
    addresses: string[];
  };
  boot: {
    /** Plain-HTTP port for iPXE scripts, loaders, kernels and initrds (iPXE's stock builds cannot trust berth's CA). */
    httpPort: number;
    tftpPort: number;
    dhcpPort: number;
    proxyPort: number;
    /** Networks to serve DHCP on; none = no DHCP (TFTP and HTTP boot still run). */
    networks: BootNetworkConfig[];
    /**
     * Addresses boot HTTP, TFTP and NBD listen on; empty: every address.
     * Default: each network's server_address, or every address when no
     * network is configured (proxy mode beside the site's DHCP, labs).
     * DHCP is not bound by it: it must receive broadcasts.
     */
    listen: string[];
    /** NBD port for tethered roots; null: no NBD server (`nbd_port: off`). */
    nbdPort: number | null;
    /**
     * The other berth servers that serve the same image versions over NBD.
     * A tethered node attaches one path to this server and one to each peer,
     * so it survives the loss of any of them.
     */
    nbdPeers: PeerAddress[];
  };
}

/** Another server's NBD endpoint, as nodes reach it. */
export interface PeerAddress {
  host: string;
  port: number;
}

/** One source of settings (file, environment, flags); what it leaves out, weaker sources fill in. */
export interface ConfigLayer {
  stateDir?: string;
  api?: { listen?: ListenAddress[]; socket?: string; socketGroup?: string };
  log?: { level?: LogLevel; format?: LogFormat };
  tls?: { hostnames?: string[]; addresses?: string[] };
  boot?: { httpPort?: number; tftpPort?: number; dhcpPort?: number; proxyPort?: number; networks?: BootNetworkConfig[]; listen?: string[]; nbdPort?: number | null; nbdPeers?: PeerAddress[] };
}

/**
 * Reads the config file and merges environment and flags over it.
 * `path` is the --config flag; without it BERTH_CONFIG, then the default path.
 * A missing default file means "all defaults"; a missing file someone named is an error.
 */
export async function loadConfig(
  path?: string,
  env: Record<string, string | undefined> = process.env,
  flags: ConfigLayer = {},
): Promise<BerthConfig> {
  const named = path ?? (env.BERTH_CONFIG || undefined);
  const file = named ?? defaultConfigPath;
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || named !== undefined) {
      const source = path !== undefined ? ' (given with --config)' : named !== undefined ? ' (given in BERTH_CONFIG)' : '';
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(e as Error).message}`;
      throw new BerthError('BERTH_CONFIG', `config file ${file}${source} ${why}`, { file });
    }
  }
  const fromFile = text === undefined ? {} : parseConfig(text, file);
  return { ...mergeConfig(fromFile, configFromEnv(env), flags), file: text === undefined ? undefined : file };
}

/** Stacks layers, weakest first, over the defaults. */
export function mergeConfig(...layers: ConfigLayer[]): BerthConfig {
  const pick = <T>(get: (l: ConfigLayer) => T | undefined): T | undefined => {
    let value: T | undefined;
    for (const l of layers) value = get(l) ?? value;
    return value;
  };
  // Relative paths only reach here from flags and environment, where they mean "from the current directory".
  const stateDir = resolve(pick((l) => l.stateDir) ?? defaultStateDir);
  const networks = pick((l) => l.boot?.networks) ?? [];
  return {
    file: undefined,
    stateDir,
    api: {
      listen: pick((l) => l.api?.listen) ?? [{ host: undefined, port: defaultApiPort }],
      // Follows the state dir unless set: moving the state dir moves the socket with it.
      socket: resolve(pick((l) => l.api?.socket) ?? stateDirLayout(stateDir).adminSocket),
      socketGroup: pick((l) => l.api?.socketGroup),
    },
    log: {
      level: pick((l) => l.log?.level) ?? 'info',
      format: pick((l) => l.log?.format),
    },
    tls: {
      hostnames: pick((l) => l.tls?.hostnames) ?? [],
      addresses: pick((l) => l.tls?.addresses) ?? [],
    },
    boot: {
      httpPort: pick((l) => l.boot?.httpPort) ?? defaultBootHttpPort,
      tftpPort: pick((l) => l.boot?.tftpPort) ?? 69,
      dhcpPort: pick((l) => l.boot?.dhcpPort) ?? 67,
      proxyPort: pick((l) => l.boot?.proxyPort) ?? 4011,
      networks,
      listen: pick((l) => l.boot?.listen) ?? [...new Set(networks.map((n) => n.serverAddress))],
      nbdPort: pick((l) => l.boot?.nbdPort) ?? defaultNbdPort,
      nbdPeers: pick((l) => l.boot?.nbdPeers) ?? [],
    },
  };
}

/** BERTH_STATE_DIR, BERTH_LOG_LEVEL, BERTH_LOG_FORMAT; empty values count as unset. */
export function configFromEnv(env: Record<string, string | undefined>): ConfigLayer {
  const layer: ConfigLayer = {};
  const problems: Problem[] = [];
  if (env.BERTH_STATE_DIR) layer.stateDir = resolve(env.BERTH_STATE_DIR);
  if (env.BERTH_LOG_LEVEL) {
    const level = oneOf(logLevels)(env.BERTH_LOG_LEVEL);
    if (level.ok) layer.log = { level: level.value };
    else problems.push({ key: 'BERTH_LOG_LEVEL', message: `BERTH_LOG_LEVEL=${env.BERTH_LOG_LEVEL}: ${level.message}` });
  }
  if (env.BERTH_LOG_FORMAT) {
    const format = oneOf(['json', 'text'] as const)(env.BERTH_LOG_FORMAT);
    if (format.ok) layer.log = { ...layer.log, format: format.value };
    else problems.push({ key: 'BERTH_LOG_FORMAT', message: `BERTH_LOG_FORMAT=${env.BERTH_LOG_FORMAT}: ${format.message}` });
  }
  if (problems.length > 0) throw configError(undefined, problems);
  return layer;
}

// ---- the file ----

type Result<T> = { ok: true; value: T } | { ok: false; message: string };
type Check<T> = (value: unknown) => Result<T>;
interface Problem {
  key: string;
  message: string;
  line?: number;
}

const port: Check<number> = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535 ? { ok: true, value: v } : typeError('a port number 1-65535', v);

const portOrOff: Check<number | null> = (v) => (v === 'off' ? { ok: true, value: null } : typeof v === 'number' ? port(v) : typeError('a port number 1-65535, or off', v));

/** A peer is reached by nodes: it needs a real host, unlike a listen address. */
const peerAddress: Check<PeerAddress> = (v) => {
  const parsed = listenAddress(v);
  if (!parsed.ok) return parsed;
  if (parsed.value.host === undefined) return { ok: false, message: `a peer needs its address or host name, not ${JSON.stringify(v)}` };
  return { ok: true, value: { host: parsed.value.host, port: parsed.value.port } };
};

const absolutePath: Check<string> = (v) =>
  typeof v !== 'string'
    ? typeError('an absolute path', v)
    : isAbsolute(v)
      ? { ok: true, value: v }
      : { ok: false, message: `expected an absolute path, got ${JSON.stringify(v)}` };

const groupName: Check<string> = (v) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { ok: true, value: String(v) };
  if (typeof v !== 'string') return typeError('a group name', v);
  // The syntax useradd/groupadd accept; whether the group exists is checked when the socket is made.
  return /^[a-z_][a-z0-9_.-]*\$?$/i.test(v) || /^\d+$/.test(v)
    ? { ok: true, value: v }
    : { ok: false, message: `expected a group name or number, got ${JSON.stringify(v)}` };
};

const hostnameCheck: Check<string> = (v) => {
  if (typeof v !== 'string') return typeError('a host name', v);
  const ok = v.length <= 253 && v.split('.').every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
  return ok ? { ok: true, value: v.toLowerCase() } : { ok: false, message: `expected a DNS host name, got ${JSON.stringify(v)}` };
};

const ipAddress: Check<string> = (v) => {
  if (typeof v !== 'string') return typeError('an IP address', v);
  return isIP(v) !== 0 ? { ok: true, value: v } : { ok: false, message: `expected an IPv4 or IPv6 address, got ${JSON.stringify(v)}` };
};

/** An address of this host for boot.listen, or '*' for every address. */
const bootListenAddress: Check<string> = (v) => (v === '*' ? { ok: true, value: v } : typeof v === 'string' && isIP(v) !== 0 ? { ok: true, value: v } : { ok: false, message: `expected an IPv4 or IPv6 address of this host, or "*" for every address, got ${describe(v)}` });

const listenAddress: Check<ListenAddress> = (v) => {
  const expected = `expected "host:port" (e.g. "*:${defaultApiPort}", "192.0.2.1:${defaultApiPort}", "[::1]:${defaultApiPort}")`;
  if (typeof v !== 'string') return { ok: false, message: `${expected}, got ${describe(v)}` };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(v);
  if (!m) return { ok: false, message: `${expected}, got ${JSON.stringify(v)}` };
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { ok: false, message: `port must be 1-65535, got ${m[3]} in ${JSON.stringify(v)}` };
  if (m[1] !== undefined) {
    return isIP(m[1]) === 6 ? { ok: true, value: { host: m[1], port } } : { ok: false, message: `${JSON.stringify(m[1])} in brackets is not an IPv6 address` };
  }
  const host = m[2]!;
  if (host === '' || host === '*') return { ok: true, value: { host: undefined, port } };
  if (isIP(host) === 4) return { ok: true, value: { host, port } };
  const name = hostnameCheck(host);
  return name.ok ? { ok: true, value: { host: name.value, port } } : { ok: false, message: `${expected}, got ${JSON.stringify(v)}` };
};

function oneOf<T extends string>(allowed: readonly T[]): Check<T> {
  return (v) =>
    typeof v === 'string' && (allowed as readonly string[]).includes(v)
      ? { ok: true, value: v as T }
      : { ok: false, message: `expected one of ${allowed.join(', ')}, got ${describe(v)}` };
}

function typeError(expected: string, v: unknown): { ok: false; message: string } {
  return { ok: false, message: `expected ${expected}, got ${describe(v)}` };
}

function describe(v: unknown): string {
  if (v === null) return 'nothing (remove the key to use the default)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Marks a list-valued key; the check applies to each item. */
interface ListOf<T> {
  list: Check<T>;
}
type KeySpec = Check<unknown> | ListOf<unknown>;

/** The file's keys, by section. Add a key here, to ConfigLayer, and to docs/config.md. */
const schema: Record<string, KeySpec | Record<string, KeySpec>> = {
  state_dir: absolutePath,
  api: {
    listen: { list: listenAddress },
    socket: absolutePath,
    socket_group: groupName,
  },
  log: {
    level: oneOf(logLevels),
    format: oneOf(['json', 'text'] as const),
  },
  tls: {
    hostnames: { list: hostnameCheck },
    addresses: { list: ipAddress },
  },
  boot: {
    http_port: port,
    tftp_port: port,
    dhcp_port: port,
    proxy_port: port,
    networks: { list: checkBootNetwork },
    listen: { list: bootListenAddress },
    nbd_port: portOrOff,
    nbd_peers: { list: peerAddress },
  },
};

/** Parses and checks a config file's text; `file` is for messages only. */
export function parseConfig(text: string, file: string): ConfigLayer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: YamlNode | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;

  if (doc.errors.length > 0) {
    throw configError(
      file,
      doc.errors.map((e) => ({
        key: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }

  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  const root = deref(doc, doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return {}; // empty file: all defaults
  if (!isMap(root)) throw configError(file, [{ key: '', line: lineOf(root) ?? 1, message: 'expected a mapping of settings at the top level' }]);

  const walk = (map: YamlNode, specs: Record<string, KeySpec | Record<string, KeySpec>>, prefix: string) => {
    if (!isMap(map)) return;
    for (const pair of map.items) {
      const keyNode = pair.key as YamlNode | null;
      const name = isScalar(keyNode) ? String(keyNode.value) : '';
      const key = prefix + name;
      const spec = specs[name];
      const valueNode = deref(doc, pair.value as YamlNode | null);
      const line = lineOf(valueNode) ?? lineOf(keyNode);
      if (spec === undefined) {
        problems.push({ key, line: lineOf(keyNode), message: `unknown key ${key}${suggest(name, prefix)}` });
      } else if (typeof spec === 'function' || 'list' in spec) {
        const result = checkValue(doc, valueNode, spec as KeySpec, key, lineOf);
        if (result.ok) values[key] = result.value;
        else problems.push(...result.problems.map((p) => ({ ...p, line: p.line ?? line })));
      } else if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) {
        // a section with every key commented out
      } else if (!isMap(valueNode)) {
        problems.push({ key, line, message: `${key}: expected a mapping (keys ${Object.keys(spec).join(', ')}), got ${describe(valueNode.toJSON())}` });
      } else {
        walk(valueNode, spec as Record<string, KeySpec>, `${key}.`);
      }
    }
  };
  walk(root, schema, '');
  if (problems.length > 0) throw configError(file, problems);

  const layer: ConfigLayer = {};
  const v = <T>(key: string) => values[key] as T | undefined;
  if (v('state_dir') !== undefined) layer.stateDir = v<string>('state_dir');
  const api = strip({ listen: v<ListenAddress[]>('api.listen'), socket: v<string>('api.socket'), socketGroup: v<string>('api.socket_group') });
  if (api) layer.api = api;
  const log = strip({ level: v<LogLevel>('log.level'), format: v<LogFormat>('log.format') });
  if (log) layer.log = log;
  const tls = strip({ hostnames: v<string[]>('tls.hostnames'), addresses: v<string[]>('tls.addresses') });
  if (tls) layer.tls = tls;
  const boot = strip({
    httpPort: v<number>('boot.http_port'),
    tftpPort: v<number>('boot.tftp_port'),
    dhcpPort: v<number>('boot.dhcp_port'),
    proxyPort: v<number>('boot.proxy_port'),
    networks: v<BootNetworkConfig[]>('boot.networks'),
    listen: v<string[]>('boot.listen'),
    nbdPort: v<number | null>('boot.nbd_port'),
    nbdPeers: v<PeerAddress[]>('boot.nbd_peers'),
  });
  if (boot) {
    const names = new Set<string>();
    for (const network of boot.networks ?? []) {
      if (names.has(network.name)) throw configError(file, [{ key: 'boot.networks', message: `boot.networks: two networks are named ${network.name}` }]);
      names.add(network.name);
    }
    if (boot.listen) {
      const problem = boot.listen.length === 0 ? 'give at least one address, or "*" for every address' : boot.listen.includes('*') && boot.listen.length > 1 ? '"*" is every address already; list it alone' : undefined;
      if (problem) throw configError(file, [{ key: 'boot.listen', message: `boot.listen: ${problem}` }]);
      // '*' (every address) is the empty list from here on.
      boot.listen = [...new Set(boot.listen.filter((a) => a !== '*'))];
    }
    layer.boot = boot;
  }
  return layer;
}

function checkValue(
  doc: Document,
  node: YamlNode | null,
  spec: KeySpec,
  key: string,
  lineOf: (n: YamlNode | null | undefined) => number | undefined,
): { ok: true; value: unknown } | { ok: false; problems: Problem[] } {
  if (typeof spec === 'function') {
    const r = spec(node === null ? null : node.toJSON());
    return r.ok ? r : { ok: false, problems: [{ key, message: `${key}: ${r.message}` }] };
  }
  if (!isSeq(node)) {
    const got = node === null ? null : node.toJSON();
    return { ok: false, problems: [{ key, message: `${key}: expected a list, got ${describe(got)}` }] };
  }
  const out: unknown[] = [];
  const problems: Problem[] = [];
  node.items.forEach((item, i) => {
    const itemNode = deref(doc, item as YamlNode | null);
    const r = spec.list(itemNode === null ? null : itemNode.toJSON());
    if (r.ok) out.push(r.value);
    else problems.push({ key: `${key}[${i}]`, line: lineOf(itemNode), message: `${key}[${i}]: ${r.message}` });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out };
}

function deref(doc: Document, node: YamlNode | null | undefined): YamlNode | null {
  if (node === undefined || node === null) return null;
  return isAlias(node) ? ((node.resolve(doc) as YamlNode | undefined) ?? null) : node;
}

/** Drops undefined members; undefined when nothing is left. */
function strip<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, x]) => x !== undefined);
  return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
}

/** " (did you mean api.listen?)" for near-misses and for keys put in the wrong section. */
function suggest(name: string, prefix: string): string {
  const candidates: string[] = [];
  for (const [top, spec] of Object.entries(schema)) {
    candidates.push(top);
    if (typeof spec === 'object' && !('list' in spec)) for (const sub of Object.keys(spec)) candidates.push(`${top}.${sub}`);
  }
  const full = prefix + name;
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const last = c.slice(c.lastIndexOf('.') + 1);
    const d = Math.min(editDistance(full, c), last === name ? 0 : 99);
    if (d < bestDistance && c !== full) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/**
 * One BerthError for all problems: `where` and the message lead with the
 * first, `more` holds every problem (the first included) with its own line.
 */
function configError(file: string | undefined, problems: Problem[]): BerthError {
  const located = (p: Problem) => (file === undefined ? p.message : `${file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`);
  const where = (p: Problem) => ({
    ...(file !== undefined ? { file } : {}),
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.key ? { pointer: '/' + p.key.replaceAll('.', '/').replace(/\[(\d+)\]/g, '/$1') } : {}),
  });
  const more = problems.map((p) => new BerthError('BERTH_CONFIG', located(p), where(p)));
  const first = problems[0]!;
  const message =
    problems.length === 1
      ? located(first)
      : `${file ?? 'environment'} has ${problems.length} problems:\n` + problems.map((p) => `  ${located(p)}`).join('\n');
  return new BerthError('BERTH_CONFIG', message, where(first), more);
}
