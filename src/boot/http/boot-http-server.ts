/**
 * Plain-HTTP boot endpoints for iPXE and UEFI HTTP boot (stock iPXE builds
 * cannot trust berth's own CA). Kernels and initrds are public, and per-node
 * secrets come later over the HTTPS node API; the one exception is a
 * scripted install's token (installs/), which goes only into the script of a
 * request from the node's own address (deploy/provisioning.ts).
 *
 *   GET /boot/ipxe/<mac>          the machine's iPXE script (node, local or discovery)
 *   GET /boot/ipxe/uuid/<uuid>    the same by SMBIOS UUID
 *   GET /boot/loader/<file>       iPXE loaders (UEFI HTTP boot fetches ipxe.efi here)
 *   GET /boot/profiles/<p>/<file> a kernel profile's kernel and initrds (Range, ETag)
 *   GET /boot/images/<image>/<n>/vmlinuz|initrd.img
 *                                 an image version's kernel and initramfs (Range, ETag);
 *                                 nothing else of the version (not its root image)
 *
 * Files are served by real path inside their own folder (a symlink out is a
 * 404), and a profile serves only the files it names (not profile.yaml, not
 * answer.tmpl). Each answer becomes a step of the timeline of the node the
 * request came from: the node holding the client's lease, or the one `?node=`
 * names when the client is at that node's own address; never a name taken on
 * trust, and nothing for a 404 (a drop counter instead).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import { ConnectionGuard, descriptorBudget, httpServerOptions, openFileLimit } from '../../util/connection-limits.ts';
import type { ConnectionLimits } from '../../util/connection-limits.ts';
import type { Logger } from '../../util/logger.ts';
import { VERSION_FILES } from '../../images/repository/image-layout.ts';
import { imageNameProblem } from '../../images/repository/image-ref.ts';
import type { SiteInitrd } from '../site/site-initrd.ts';
import type { ImageRepository } from '../../images/repository/image-repository.ts';
import type { ProfileBoot } from '../../profiles/profile-boot.ts';
import { bootScript, discoveryScript, installChainScript, installRefusedScript, localBootScript } from '../ipxe/scripts.ts';
import { serveConfinedFile } from './file-response.ts';
import type { ServedFile } from './file-response.ts';

export interface BootHttpTarget {
  /** Node name for a MAC, if known. */
  nodeByMac(mac: string): string | undefined;
  nodeByUuid(uuid: string): string | undefined;
  /** What a node should boot now, with its kernel arguments evaluated, or why it boots locally. */
  pendingProfile(node: string): Promise<{ boot: ProfileBoot; kernelArgs: string } | { local: string } | { install: { profile: string; token: string } }>;
  /** Node name for a client address (from its DHCP lease), for attributing file downloads. */
  nodeByIp?(ip: string): string | undefined;
  /** Whether `ip` is the node's own address on a provisioning network (deploy/provisioning.ts). */
  isNodesOwnAddress(node: string, ip: string): boolean;
  /** The files a kernel profile names (its kernel and initrds), the only ones served from its folder; undefined for none. */
  profileFiles(profile: string): Promise<readonly string[] | undefined>;
}

export interface BootHttpOptions {
  /** Addresses to listen on (boot.listen); none or undefined: every address, IPv4 and IPv6. */
  hosts?: string[];
  /** One port on every address; 0 picks a free one (the same on each). */
  port: number;
  /** Default: this process's share of its descriptor limit. */
  limits?: ConnectionLimits;
  loaderDir: string;
  profilesDir: string;
  /** Where image versions' kernels and initramfs files are; without it none are served (benchmarks of the rest). */
  images?: ImageRepository;
  /** The site layer initrd (berth's CA) that image boots load after the image's initramfs. */
  site?: SiteInitrd;
  /** The node API's HTTPS port on the address a node reached the boot server at, for `berth.server=`. */
  apiPort?: (localAddress: string) => number | undefined;
  target: BootHttpTarget;
  /** Scripted installs: /install/<node>/<token>/... and the media trees under /media/. */
  installs?: { handle(request: IncomingMessage, response: ServerResponse, parts: string[], url: URL, ip: string, base: string): Promise<boolean> };
  events: EventSink;
  log: Logger;
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const LOADERS = new Set(['ipxe.efi', 'snponly.efi', 'undionly.kpxe', 'ipxe.pxe']);
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
const VERSION = /^[1-9][0-9]{0,8}$/;
/** The artifact too: it is ciphertext under a dm-verity tree, useless without the key the node API guards. */
const IMAGE_BOOT_FILES = new Set<string>([VERSION_FILES.kernel, VERSION_FILES.initramfs, VERSION_FILES.artifact]);

export class BootHttpServer {
  readonly #options: BootHttpOptions;
  #guard: ConnectionGuard | undefined;
  readonly #servers: Server[] = [];
  port = 0;

  constructor(options: BootHttpOptions) {
    this.#options = options;
  }

  /**
   * Nothing here needs a credential, so the listener is bounded
   * (util/connection-limits.ts): a cap in all and per client address, and
   * connections that ask nothing are closed; refusals count as dropped
   * ('http', reason).
   */
  async start(): Promise<void> {
    const { hosts, events, log } = this.#options;
    const limits = this.#options.limits ?? descriptorBudget(openFileLimit() ?? 1024).bootHttp;
    const guard = new ConnectionGuard(limits, (reason) => events.countDropped('http', reason));
    this.#guard = guard;
    this.port = this.#options.port;
    for (const host of hosts && hosts.length > 0 ? hosts : [undefined]) {
      const server = createServer(httpServerOptions(limits), (req, res) => void this.#handle(req, res));
      guard.watch(server);
      this.#servers.push(server);
      const where = `${host === undefined ? '*' : host.includes(':') ? `[${host}]` : host}:${this.port}`;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new BerthError('BERTH_UNAVAILABLE', `boot HTTP cannot listen on ${where}: ${e.message}${host === undefined ? '' : ' (see boot.listen)'}`)));
        server.listen(this.port, host, () => resolve());
      });
      // Port 0 resolves on the first address; the others listen on the same port.
      const address = server.address();
      if (typeof address === 'object' && address) this.port = address.port;
    }
    log.info('boot HTTP listening', { port: this.port, addresses: hosts && hosts.length > 0 ? hosts : ['*'], maxConnections: limits.maxConnections, maxPerAddress: limits.maxPerAddress });
  }

  async stop(): Promise<void> {
    const servers = this.#servers.splice(0);
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const socket of this.#guard?.sockets ?? []) socket.destroy();
    await closed;
  }

  /** Base URL a client reached us by, for links in scripts: https:// through boot-https-listener.ts, so a trusting iPXE stays on TLS. */
  #base(request: IncomingMessage): string {
    const tls = (request.socket as { encrypted?: boolean }).encrypted === true;
    // The Host header goes into every URL and into berth.boot= on the kernel line: only a host[:port] is taken, never words of text.
    const given = request.headers.host;
    const host = given !== undefined && /^[A-Za-z0-9.:[\]-]{1,262}$/.test(given) ? given : `${request.socket.localAddress}:${tls ? request.socket.localPort : this.port}`;
    return `${tls ? 'https' : 'http'}://${host}`;
  }

  /** The request handler, for the HTTPS listener (boot-https-listener.ts) to serve the same endpoints. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => void this.#handle(request, response);

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { events } = this.#options;
    const ip = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') return text(response, 405, 'only GET and HEAD\n');
      let url: URL;
      let parts: string[];
      try {
        // Joined, not resolved: `//host/...` is a path here, not another host.
        url = new URL(`http://boot${(request.url ?? '/').startsWith('/') ? '' : '/'}${request.url ?? ''}`);
        parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
      } catch {
        // A malformed percent escape (`%E0%A4%A`) or URL: the client's mistake, not ours.
        events.countDropped('http', 'bad-path');
        return text(response, 400, 'berth: malformed path\n');
      }
      if ((parts[0] === 'install' || parts[0] === 'media') && this.#options.installs) {
        if (await this.#options.installs.handle(request, response, parts, url, ip, this.#base(request))) return;
      }
      if (parts[0] !== 'boot') return notFound(response, events);
      if (parts[1] === 'ipxe') return await this.#script(request, response, parts.slice(2), ip);
      if (parts[1] === 'loader' && parts.length === 3 && LOADERS.has(parts[2]!)) {
        return await this.#file(request, response, url, ip, this.#options.loaderDir, parts[2]!, 'loader', { file: parts[2]! });
      }
      if (parts[1] === 'profiles' && parts.length === 4 && SEGMENT.test(parts[2]!) && SEGMENT.test(parts[3]!)) {
        // Only what the profile boots: its folder also holds profile.yaml, answer.tmpl, post.d/ ...
        const named = await this.#options.target.profileFiles(parts[2]!);
        if (!named?.includes(parts[3]!)) return notFound(response, events);
        return await this.#file(request, response, url, ip, join(this.#options.profilesDir, parts[2]!), parts[3]!, undefined, { profile: parts[2]!, file: parts[3]! });
      }
      if (parts[1] === 'site.cpio' && parts.length === 2 && this.#options.site) {
        const bytes = await this.#options.site.bytes();
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : bytes);
        return;
      }
      const images = this.#options.images;
      if (images && parts[1] === 'images' && parts.length === 5 && imageNameProblem(parts[2]!) === undefined && VERSION.test(parts[3]!) && IMAGE_BOOT_FILES.has(parts[4]!)) {
        const folder = images.layout(parts[2]!).versionDir(Number(parts[3]));
        return await this.#file(request, response, url, ip, folder, parts[4]!, undefined, { image: `${parts[2]!}@${parts[3]!}`, file: parts[4]! });
      }
      return notFound(response, events);
    } catch (e) {
      this.#options.log.error('boot HTTP request failed', { error: e as Error, url: request.url });
      if (!response.headersSent) text(response, 500, 'berth: internal error\n');
      else response.destroy();
    }
  }

  /**
   * A loader, kernel or initrd from `folder`, as a step of the timeline of
   * the node the request came from (`?node=` only when the client is at that
   * node's own address). A 404 is counted, not written anywhere.
   */
  async #file(request: IncomingMessage, response: ServerResponse, url: URL, ip: string, folder: string, name: string, step: string | undefined, what: { file: string; profile?: string; image?: string }): Promise<void> {
    const { target, events } = this.#options;
    const started = Date.now();
    const served: ServedFile & { outside?: true } = await serveConfinedFile(request, response, folder, [name], 'application/octet-stream');
    if (served.status === 404) return events.countDropped('http', served.outside ? 'outside-folder' : 'not-found');
    const named = url.searchParams.get('node');
    const node = target.nodeByIp?.(ip) ?? (named !== null && target.isNodesOwnAddress(named, ip) ? named : undefined);
    events.emit({
      source: 'http',
      step: step ?? (/vmlinuz|kernel|bzimage/i.test(what.file) ? 'kernel' : /initr/i.test(what.file) ? 'initrd' : 'file'),
      ip,
      ...(node ? { node } : {}),
      detail: { ...what, status: served.status, bytes: served.bytes, durationMs: Date.now() - started, ...(request.headers.range ? { range: request.headers.range } : {}) },
    });
  }

  async #script(request: IncomingMessage, response: ServerResponse, rest: string[], ip: string): Promise<void> {
    const { target, events } = this.#options;
    let node: string | undefined;
    let mac: string | undefined;
    if (rest.length === 1 && MAC.test(rest[0]!.toLowerCase())) {
      mac = rest[0]!.toLowerCase();
      node = target.nodeByMac(mac);
    } else if (rest.length === 2 && rest[0] === 'uuid' && /^[0-9a-f-]{36}$/i.test(rest[1]!)) {
      node = target.nodeByUuid(rest[1]!);
    } else {
      return notFound(response, events);
    }
    const base = this.#base(request);
    const self = `${base}/boot/ipxe/${rest.join('/')}`;
    if (node === undefined) {
      events.emit({ source: 'http', step: 'script', ip, ...(mac ? { mac } : {}), detail: { script: 'discovery' } });
      return text(response, 200, discoveryScript(mac ?? rest[1]!, self));
    }
    // Anyone may name a MAC: the node's timeline takes the step only from its own address (else its MAC's, which is bounded).
    const own = target.isNodesOwnAddress(node, ip);
    const who = { ip, ...(own ? { node } : {}), ...(mac ? { mac } : {}) };
    const decision = await target.pendingProfile(node);
    if ('local' in decision) {
      events.emit({ source: 'http', step: 'script', ...who, detail: { script: 'local', reason: decision.local } });
      return text(response, 200, localBootScript(node, decision.local));
    }
    if ('install' in decision) {
      if (!own) {
        // The token opens the node's answer file (its root password hash): only for the node itself.
        events.emit({ source: 'http', step: 'install-refused', node, ip, ...(mac ? { mac } : {}), detail: { script: 'install', profile: decision.install.profile, reason: 'the request did not come from its own address' } });
        return text(response, 200, installRefusedScript(node, self));
      }
      events.emit({ source: 'http', step: 'script', ...who, detail: { script: 'install', profile: decision.install.profile } });
      return text(response, 200, installChainScript(node, decision.install.profile, `${base}/install/${encodeURIComponent(node)}/${decision.install.token}/ipxe/`));
    }
    const { boot, kernelArgs } = decision;
    const profile = boot.profile.name;
    const folder = boot.files.from === 'image' ? `images/${boot.files.image}/${boot.files.version}` : `profiles/${profile}`;
    const image: Record<string, string> = boot.files.from === 'image' ? { image: `${boot.files.image}@${boot.files.version}` } : {};
    const file = (name: string) => ({ name, url: `${base}/boot/${folder}/${name}?node=${encodeURIComponent(node)}` });
    const initrds = boot.initrds.map(file);
    let args = kernelArgs;
    if (boot.files.from === 'image') {
      // What the node-side code (src/node-side) needs to find berth again: who it is, where the node API is, and the CA to trust it (site layer).
      if (this.#options.site) initrds.push({ name: 'site.cpio', url: `${base}/boot/site.cpio` });
      const local = (request.socket.localAddress ?? '').replace(/^::ffff:/, '');
      const apiPort = this.#options.apiPort?.(local);
      const server = apiPort && local ? ` berth.server=https://${local.includes(':') ? `[${local}]` : local}:${apiPort}` : '';
      args = `ip=dhcp berth.node=${node} berth.boot=${base}${server} ${kernelArgs}`;
    }
    events.emit({ source: 'http', step: 'script', ...who, detail: { script: 'boot', profile, ...image } });
    return text(response, 200, bootScript({ node, profile, kernel: file(boot.kernel), initrds, kernelArgs: args, retryUrl: self, ...(mac ? { mac } : {}) }));
  }
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

function notFound(response: ServerResponse, events: EventSink): void {
  events.countDropped('http', 'not-found');
  text(response, 404, 'berth: not found\n');
}
