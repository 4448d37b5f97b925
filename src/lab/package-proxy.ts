/**
 * A caching proxy for Debian packages, for VMs that install Debian for real
 * (d-i's `mirror/http/proxy`, apt's `Acquire::http::Proxy`), reachable from
 * inside the lab namespace only.
 *
 * The lab namespace has no route to anywhere: nothing a VM sends can leave it.
 * The one way out is a unix socket, which is a file and so works across
 * network namespaces:
 *
 *   VM -> <bridge ip>:3142   socat in the namespace (TCP-LISTEN -> UNIX-CONNECT)
 *      -> <lab dir>/package-proxy.sock
 *      -> socat on the host (UNIX-LISTEN -> TCP 127.0.0.1:<port>)
 *      -> apt-cacher-ng on the host, which fetches from deb.debian.org
 *
 * apt-cacher-ng is configured so that what comes through is package fetches
 * and nothing else: only URLs of Debian's archive and security archive
 * (`ForceManaged`), no CONNECT tunnels (`PassThroughPattern`), no report or
 * maintenance pages. apt-cacher-ng's own unix socket (`SocketPath`) cannot
 * stand in for the host socat: it does not answer plain HTTP (curl gets an
 * empty reply), it speaks to acngtool and in.acng.
 *
 * The three processes are started through the namespace's `spawn`, so they
 * are recorded in the lab's state file like every other lab process and are
 * stopped by `lab.down()`, the exit hooks and `berth lab down`. The two host
 * side ones go back to berth's own network with nsenter (see `spawnOnHost`).
 *
 * The packages are kept between labs in the cache directory (the repository's
 * ignored `.cache/apt-cacher-ng` by default). Two apt-cacher-ng writing one
 * cache would corrupt it, so a lock file there admits one proxy at a time.
 */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, isIPv4 } from 'node:net';
import type { NetConnectOpts } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { nullLogger } from '../util/logger.ts';
import { run } from '../util/run.ts';
import type { LabNamespace } from './namespace.ts';
import { isRunning, processStartTime, terminate } from './process-record.ts';
import type { ProcessRecord } from './process-record.ts';

/** Downloaded packages, kept between labs: the repository's ignored `.cache/`. */
export const defaultPackageCacheDir = join(resolve(import.meta.dirname, '../..'), '.cache/apt-cacher-ng');

export interface PackageProxyOptions {
  namespace: LabNamespace;
  /** The bridge's address inside the namespace, without prefix (10.99.0.1): where the VMs find the proxy. */
  bridgeIp: string;
  /** The lab's directory: the unix socket, apt-cacher-ng's configuration and the logs go here. */
  labDir: string;
  /** Where packages are kept between labs; default `.cache/apt-cacher-ng` in the repository. One proxy at a time per directory. */
  cacheDir?: string;
  /** The port on `bridgeIp`; default 3142, apt-cacher-ng's usual one. */
  port?: number;
  /** How long each part may take to start listening; default 15 s. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface PackageProxyStats {
  /** Responses apt-cacher-ng sent to clients, refusals included. */
  requests: number;
  bytesServed: number;
  /** Downloads from the Debian mirrors. A cache hit is a request without a fetch. */
  fetches: number;
  bytesFetched: number;
}

export interface PackageProxy {
  /** What a VM uses as its HTTP proxy: http://<bridge ip>:<port>. */
  readonly url: string;
  readonly socket: string;
  readonly cacheDir: string;
  /** apt-cacher-ng's configuration and logs (`apt-cacher.log`), and the socats' stderr. */
  readonly runDir: string;
  readonly pids: { readonly aptCacherNg: number; readonly hostSocat: number; readonly namespaceSocat: number };
  /** Counted from apt-cacher-ng's access log, from the start of this proxy. */
  stats(): Promise<PackageProxyStats>;
  /** Stops the three processes (by PID and start time), removes the socket and releases the cache. Safe to call twice. */
  stop(): Promise<void>;
}

/** One of the proxy's processes, for stopping and for error messages. */
interface Part {
  name: string;
  record: ProcessRecord;
  child: ChildProcess;
  logFile: string;
  ended: () => boolean;
  exited: Promise<void>;
}

export async function startPackageProxy(options: PackageProxyOptions): Promise<PackageProxy> {
  const logger = (options.logger ?? nullLogger()).child({ component: 'package-proxy' });
  const port = options.port ?? 3142;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const cacheDir = resolve(options.cacheDir ?? defaultPackageCacheDir);
  const runDir = join(options.labDir, 'package-proxy');
  const socket = join(options.labDir, 'package-proxy.sock');
  if (!isIPv4(options.bridgeIp)) {
    throw new BerthError('BERTH_BAD_INPUT', `package proxy: bridgeIp ${JSON.stringify(options.bridgeIp)} is not an IPv4 address without prefix, like 10.99.0.1`, { attribute: 'bridgeIp' });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BerthError('BERTH_BAD_INPUT', `package proxy: port ${port} is not a TCP port`, { attribute: 'port' });
  }
  // socat's address syntax has no quoting for ':' and ','; sun_path holds 107 bytes.
  if (!/^[\w./+@-]+$/.test(socket) || Buffer.byteLength(socket) > 107) {
    throw new BerthError('BERTH_BAD_INPUT', `package proxy: socket path ${JSON.stringify(socket)} must be at most 107 bytes of letters, digits and ./_+@- (it goes into socat's address syntax)`, { attribute: 'labDir' });
  }
  if (/[\n#]/.test(cacheDir) || /[\n#]/.test(runDir)) {
    throw new BerthError('BERTH_BAD_INPUT', `package proxy: ${JSON.stringify(cacheDir)} and ${JSON.stringify(runDir)} must not contain '#' or a newline (they go into apt-cacher-ng's configuration)`, { attribute: 'cacheDir' });
  }

  mkdirSync(cacheDir, { recursive: true });
  mkdirSync(join(runDir, 'conf'), { recursive: true, mode: 0o700 });
  const lockFile = join(cacheDir, 'berth-package-proxy.lock');
  const lock = claimCache(lockFile, options.namespace.name);

  const parts: Part[] = [];
  const stopParts = async () => {
    await Promise.all(
      [...parts].reverse().map(async (p) => {
        await terminate(p.record, 3000);
        if (p.child.exitCode === null && p.child.signalCode === null) await Promise.race([p.exited, sleep(1000)]);
      }),
    );
    rmSync(socket, { force: true });
    lock.release();
  };

  try {
    const upstreamPort = await freeLoopbackPort();
    writeFileSync(join(runDir, 'conf', 'acng.conf'), aptCacherNgConfig({ cacheDir, logDir: runDir, port: upstreamPort }));
    // A socket left by a socat that was killed would make socat fail with "Address in use".
    rmSync(socket, { force: true });

    const aptCacherNg = startPart(options.namespace, 'apt-cacher-ng', 'host', 'apt-cacher-ng', ['-c', join(runDir, 'conf')], join(runDir, 'apt-cacher-ng.stderr'));
    parts.push(aptCacherNg);
    lock.setServer(aptCacherNg.record);
    await waitUntil(aptCacherNg, timeoutMs, async () => {
      // apt-cacher-ng keeps running when it cannot bind its port, and says so only on stderr.
      if (/busy|binding/i.test(await tail(aptCacherNg.logFile))) throw await partFailed(aptCacherNg, `could not listen on 127.0.0.1:${upstreamPort}`);
      return (await canConnect({ host: '127.0.0.1', port: upstreamPort })) || `nothing accepts on 127.0.0.1:${upstreamPort}`;
    });

    const hostSocat = startPart(options.namespace, 'socat (host)', 'host', 'socat', [`UNIX-LISTEN:${socket},fork,mode=600,unlink-early`, `TCP4:127.0.0.1:${upstreamPort}`], join(runDir, 'socat-host.stderr'));
    parts.push(hostSocat);
    await waitUntil(hostSocat, timeoutMs, async () => (await canConnect({ path: socket })) || `nothing accepts on ${socket}`);

    const namespaceSocat = startPart(options.namespace, 'socat (namespace)', 'namespace', 'socat', [`TCP4-LISTEN:${port},bind=${options.bridgeIp},fork,reuseaddr`, `UNIX-CONNECT:${socket}`], join(runDir, 'socat-namespace.stderr'));
    parts.push(namespaceSocat);
    // The whole way through, from inside the namespace: any HTTP answer is apt-cacher-ng's.
    const probeUrl = `http://${options.bridgeIp}:${port}/`;
    await waitUntil(namespaceSocat, timeoutMs, async () => {
      try {
        const probe = await run('ip', ['netns', 'exec', options.namespace.name, 'curl', '-sS', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', probeUrl], { timeoutMs: 5000 });
        return /^[1-5]\d\d$/.test(probe.stdout) || `curl ${probeUrl} in the namespace got HTTP status ${probe.stdout}`;
      } catch (e) {
        return `curl ${probeUrl} in the namespace: ${(e as Error).message}`;
      }
    });

    const url = `http://${options.bridgeIp}:${port}`;
    logger.info('package proxy up', { namespace: options.namespace.name, url, cacheDir, pids: parts.map((p) => p.record.pid) });
    let stopped: Promise<void> | undefined;
    return {
      url,
      socket,
      cacheDir,
      runDir,
      pids: { aptCacherNg: aptCacherNg.record.pid, hostSocat: hostSocat.record.pid, namespaceSocat: namespaceSocat.record.pid },
      async stats() {
        return parseAccessLog(await readFile(join(runDir, 'apt-cacher.log'), 'utf8').catch(() => ''));
      },
      stop() {
        stopped ??= stopParts().then(() => logger.info('package proxy stopped', { namespace: options.namespace.name }));
        return stopped;
      },
    };
  } catch (e) {
    await stopParts();
    throw e;
  }
}

/**
 * apt-cacher-ng's configuration: a directory of its own (`-c`), so nothing of
 * /etc/apt-cacher-ng applies. Pure, so it can be read in a test.
 */
export function aptCacherNgConfig(options: { cacheDir: string; logDir: string; port: number }): string {
  // apt-cacher-ng 3.7.4 cannot bind a port above 32767 ("Error resolving address for binding").
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 32767) {
    throw new BerthError('BERTH_BAD_INPUT', `apt-cacher-ng cannot listen on port ${options.port} (1..32767)`, { attribute: 'port' });
  }
  return [
    '# Written by berth (src/lab/package-proxy.ts) for one lab; rewritten on every start.',
    `CacheDir: ${options.cacheDir}`,
    `LogDir: ${options.logDir}`,
    // deb_mirror*.gz, the list of Debian mirrors the remapping below matches.
    'SupportDir: /usr/lib/apt-cacher-ng',
    // Without ForeGround it forks into the background, out of reach of its process record.
    'ForeGround: 1',
    // Only the host socat connects here; the default would listen on every address.
    'BindAddress: 127.0.0.1',
    `Port: ${options.port}`,
    // Empty: no admin socket (the default is /run/apt-cacher-ng/socket, the system service's).
    'SocketPath:',
    // Each access log line written at once, so stats() is current.
    'UnbufferLogs: 1',
    'VerboseLog: 1',
    // Only URLs the remapping below knows are fetched; any other host gets 403.
    'ForceManaged: 1',
    // CONNECT tunnels (https through the proxy) for nothing: the pattern matches only an empty host:port.
    'PassThroughPattern: ^$',
    // Any Debian mirror URL (deb.debian.org, ftp.debian.org, ...) shares one cache, fetched from deb.debian.org.
    'Remap-debrep: file:deb_mirror*.gz /debian ; http://deb.debian.org/debian/',
    'Remap-secdeb: security.debian.org security.debian.org/debian-security deb.debian.org/debian-security /debian-security ; http://deb.debian.org/debian-security/',
    '',
  ].join('\n');
}

/**
 * Counts apt-cacher-ng's access log (`apt-cacher.log`, VerboseLog format
 * `time|type|bytes|client|path`): `O` is a response sent to a client, `I` a
 * download from upstream, `E` an error (not counted).
 */
export function parseAccessLog(text: string): PackageProxyStats {
  const stats: PackageProxyStats = { requests: 0, bytesServed: 0, fetches: 0, bytesFetched: 0 };
  const lines = text.split('\n');
  lines.pop(); // empty, or a line apt-cacher-ng is still writing
  for (const line of lines) {
    const [, type, size] = line.split('|');
    const bytes = Number(size);
    if (!Number.isFinite(bytes)) continue;
    if (type === 'O') {
      stats.requests++;
      stats.bytesServed += bytes;
    } else if (type === 'I') {
      stats.fetches++;
      stats.bytesFetched += bytes;
    }
  }
  return stats;
}

function startPart(namespace: LabNamespace, name: string, where: 'host' | 'namespace', cmd: string, args: string[], logFile: string): Part {
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    const options = { label: `package proxy ${name}`, stdio: ['ignore', fd, fd] as ('ignore' | number)[] };
    child = where === 'host' ? spawnOnHost(namespace, cmd, args, options) : namespace.spawn(cmd, args, options);
  } finally {
    closeSync(fd);
  }
  let ended = false;
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  void exited.then(() => {
    ended = true;
  });
  const pid = child.pid ?? -1;
  const record: ProcessRecord = { pid, startTime: processStartTime(pid) ?? '', label: `package proxy ${name}`, command: [cmd, ...args] };
  return { name, record, child, logFile, ended: () => ended, exited };
}

/**
 * Starts `cmd` in berth's own network namespace (where it can reach
 * 127.0.0.1 and the Internet) through the lab namespace's `spawn`, so it is
 * recorded in the lab's state file and stopped with the lab even after berth
 * died. `ip netns exec` and nsenter both exec in place: the recorded PID is
 * `cmd`'s own.
 */
function spawnOnHost(namespace: LabNamespace, cmd: string, args: string[], options: { label: string; stdio: ('ignore' | number)[] }): ChildProcess {
  return namespace.spawn('nsenter', [`--net=/proc/${process.pid}/ns/net`, '--', cmd, ...args], options);
}

/**
 * Polls `ready` until it returns true (else it says what is missing); fails
 * with the part's stderr when the part ends or the time is up.
 */
async function waitUntil(part: Part, timeoutMs: number, ready: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (part.ended() || part.record.startTime === '') throw await partFailed(part, 'ended before it listened');
    const answer = await ready();
    if (answer === true) return;
    if (Date.now() > deadline) throw await partFailed(part, `was not listening after ${timeoutMs} ms (${answer.trim().split('\n').at(-1)!.trim()})`);
    await sleep(100);
  }
}

async function partFailed(part: Part, why: string): Promise<BerthError> {
  if (part.child.exitCode === null) await sleep(100); // let its last words reach the file
  const said = await tail(part.logFile);
  return new BerthError('BERTH_SUBPROCESS', `package proxy: ${part.name} ${why}: ${said || 'no output'} (command: ${part.record.command.join(' ')}; stderr in ${part.logFile})`);
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

function canConnect(to: NetConnectOpts): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(to);
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/**
 * A free port on 127.0.0.1 for apt-cacher-ng, between 20000 and 32767: below
 * Linux's ephemeral range (32768-60999), so no outgoing connection takes it
 * meanwhile, and within what apt-cacher-ng 3.7.4 can bind.
 */
async function freeLoopbackPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = randomInt(20000, 32768);
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => done(true)));
    });
    if (free) return port;
  }
  throw new BerthError('BERTH_UNAVAILABLE', 'package proxy: no free port on 127.0.0.1 between 20000 and 32767 for apt-cacher-ng');
}

interface CacheLock {
  /** The berth process that started the proxy. */
  owner: ProcessRecord;
  /** apt-cacher-ng, once started: the cache is in use while it runs, whoever owns it. */
  server?: ProcessRecord;
  namespace: string;
}

/**
 * Takes `<cache dir>/berth-package-proxy.lock`. A lock whose apt-cacher-ng
 * (or, before it started, whose owner) is gone is stale and taken over.
 */
function claimCache(lockFile: string, namespace: string): { setServer(record: ProcessRecord): void; release(): void } {
  const lock: CacheLock = { owner: { pid: process.pid, startTime: processStartTime(process.pid)!, label: 'berth', command: [] }, namespace };
  const write = (flag: 'w' | 'wx') => writeFileSync(lockFile, JSON.stringify(lock) + '\n', { flag });
  for (let attempt = 0; ; attempt++) {
    try {
      write('wx');
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: CacheLock | undefined;
    try {
      held = JSON.parse(readFileSync(lockFile, 'utf8')) as CacheLock;
    } catch {
      held = undefined; // unreadable or half written: stale
    }
    const inUse = held !== undefined && (held.server ? isRunning(held.server) : isRunning(held.owner));
    if (inUse || attempt > 0) {
      throw new BerthError(
        'BERTH_CONFLICT',
        `package cache ${lockFile.slice(0, -'/berth-package-proxy.lock'.length)} is in use by another package proxy` +
          (held ? ` (lab ${held.namespace}, apt-cacher-ng pid ${held.server?.pid ?? 'starting'}, berth pid ${held.owner.pid})` : '') +
          '; stop it, or give this one a cacheDir of its own',
        { file: lockFile },
      );
    }
    rmSync(lockFile, { force: true });
  }
  return {
    setServer(record) {
      lock.server = record;
      write('w');
    },
    release() {
      try {
        const held = JSON.parse(readFileSync(lockFile, 'utf8')) as CacheLock;
        if (held.owner.pid === lock.owner.pid && held.owner.startTime === lock.owner.startTime && held.namespace === namespace) rmSync(lockFile, { force: true });
      } catch {
        // gone already
      }
    },
  };
}
