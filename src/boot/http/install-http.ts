/**
 * The plain-HTTP side of scripted installs, mounted on the boot HTTP server
 * (installers fetch from the URLs on their kernel command line and trust no
 * CA): the per-node files behind the deployment token (install-service.ts
 * lists them), and the imported media trees under /media/<name>/ that the
 * installers read their packages and images from.
 *
 * Media are public on the provisioning network, as a distribution mirror
 * is; nothing node-specific is served without the token, and nothing behind
 * the token to any address but the node's own (deploy/provisioning.ts, the
 * node key's rule): a token copied out of a script or a log opens nothing
 * elsewhere.
 *
 * Reports through the token go into the node's timeline; they change
 * `deployment.state` only while the node is armed and only forward along the
 * install (install-tokens.ts `installStageAllowed`: installing, post,
 * installed; failed before installed), and at `installed` the token retires.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import type { Inventory } from '../../inventory/inventory.ts';
import { MEDIA_RECORD } from '../../media/media.ts';
import type { MediaRepository } from '../../media/media-repository.ts';
import { serveConfinedFile } from './file-response.ts';
import { deploymentOf } from '../../deploy/deployment.ts';
import type { InstallDeployment, InstallStage, InstallTokens } from '../../deploy/install-tokens.ts';
import { reportedStateChange } from '../../deploy/reported-state.ts';
import type { Firmware } from '../../installs/install-family.ts';
import type { InstallService } from '../../installs/install-service.ts';
import { nodeSupportBundle, postScript } from '../../installs/node-support-bundle.ts';

/** One path segment of a media file: never `.` or `..`; hidden names are allowed (anaconda reads .treeinfo). */
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9_+~.][A-Za-z0-9_.+~,=-]{0,254}$/;
/** `installed` only from installers without berth's post script (ESXi); Linux targets report it with their node key. */
const REPORT_STATES = new Set(['installing', 'post', 'failed', 'installed']);
const STEP = /^[a-z][a-z0-9-]{0,39}$/;

export interface InstallHttpOptions {
  installs: InstallService;
  tokens: InstallTokens;
  media: MediaRepository;
  inventory: Inventory;
  events: EventSink;
  /** berth's CA certificate (PEM), for the post script to trust the node API. */
  caPem(): Promise<string>;
  /** The node holding this address (its lease), for media fetches in its timeline. */
  nodeByIp?(ip: string): string | undefined;
  /** Why `ip` is not the node's own address on a provisioning network, or undefined when it is (deploy/provisioning.ts). */
  notOwnAddress(node: string, ip: string): string | undefined;
  /** The node API's HTTPS base for a node that reached the boot server at `localAddress`. */
  apiUrl(localAddress: string): string | undefined;
}

export class InstallHttp {
  readonly #options: InstallHttpOptions;

  constructor(options: InstallHttpOptions) {
    this.#options = options;
  }

  /** Handles /install/... and /media/...; false when the path is neither. */
  async handle(request: IncomingMessage, response: ServerResponse, parts: string[], url: URL, ip: string, base: string): Promise<boolean> {
    if (parts[0] === 'media') {
      await this.#media(request, response, parts.slice(1), ip);
      return true;
    }
    if (parts[0] !== 'install' || parts.length < 4) return false;
    const [, node, token, ...rest] = parts as [string, string, string, ...string[]];
    const file = rest.join('/');
    const isReport = file === 'report';
    const { installs, events } = this.#options;
    const known = this.#options.inventory.node(node) !== undefined;
    // First the address: a stranger learns nothing, not even whether the token is right.
    const foreign = this.#options.notOwnAddress(node, ip);
    if (foreign !== undefined) {
      if (known) events.emit({ source: 'http', step: 'install-refused', node, ip, detail: { file, reason: foreign } });
      else events.countDropped('http', 'install-unknown-node');
      text(response, 403, `berth: ${node}'s install files are served only to its own address; the reason is in its timeline on the berth server\n`);
      return true;
    }
    let deployment: InstallDeployment;
    try {
      // Reports reach the timeline after a `once` arming was used by the key grant (a failing
      // post script, ESXi's first boot): they need the current deployment's token, not arming
      // (but changing the state needs arming, in #report).
      deployment = await this.#options.tokens.check(node, token, !isReport);
      // A finished install's token opens nothing more, except a report without a state from the node's own
      // address (checked above): ESXi's %firstboot says `firstboot-done` with it, having no node key.
      const timelineOnly = isReport && !url.searchParams.get('state');
      if (deployment.stage === 'installed' && !timelineOnly) throw new BerthError('BERTH_FORBIDDEN', `install token for ${node} refused: its install is finished (installed); berth deploy again to reinstall`, { node });
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      events.emit({ source: 'http', step: 'install-refused', ip, ...(known ? { node } : {}), detail: { file, reason: e.message } });
      text(response, 403, `berth: ${e.message}\n`);
      return true;
    }
    const profile = deployment.profile;
    if (isReport) {
      await this.#report(response, node, deployment, url, ip);
      return true;
    }
    if (file === 'node-support.tar') {
      const bundle = await nodeSupportBundle();
      response.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': bundle.length, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : bundle);
      return true;
    }
    try {
      const context = await installs.context(profile, node, base, token);
      const local = (request.socket.localAddress ?? '').replace(/^::ffff:/, '');
      if (rest[0] === 'ipxe' && rest.length === 2 && (rest[1] === 'pcbios' || rest[1] === 'efi')) {
        const firmware: Firmware = rest[1] === 'efi' ? 'uefi' : 'bios';
        events.emit({ source: 'http', step: 'script', node, ip, detail: { script: 'install', profile, media: context.media.name, family: context.media.family, firmware } });
        text(response, 200, installs.bootScript(context, firmware));
        return true;
      }
      if (file === 'post.sh') {
        const server = this.#options.apiUrl(local);
        if (!server) throw new BerthError('BERTH_UNAVAILABLE', 'the node API is not listening on an address this node reached berth by');
        const script = await postScript({ node, profile, media: context.media.name, server, callback: context.urls.callback, caPem: await this.#options.caPem() });
        events.emit({ source: 'http', step: 'post-script', node, ip, detail: { profile } });
        text(response, 200, script);
        return true;
      }
      const folder = this.#options.media.folder(context.media.name);
      const mediaFile = (path: string): string | undefined => {
        try {
          return readFileSync(join(folder, path), 'utf8');
        } catch {
          return undefined;
        }
      };
      const extra = context.module.extraFiles?.({ media: context.media, urls: context.urls, vars: context.vars, mediaFile }) ?? {};
      if (file === context.module.answerFileName || file in extra) {
        if (file in extra) {
          text(response, 200, extra[file]!, 'text/plain; charset=utf-8');
        } else {
          const rendered = await installs.render(context);
          text(response, 200, rendered.text, rendered.contentType);
        }
        events.emit({ source: 'http', step: 'answer-file', node, ip, detail: { profile, file } });
        return true;
      }
      text(response, 404, 'berth: not found\n');
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      events.emit({ source: 'http', step: 'install-error', node, ip, detail: { profile, file, reason: e.message } });
      text(response, 500, `berth: ${e.message}\n`);
    }
    return true;
  }

  async #report(response: ServerResponse, node: string, deployment: InstallDeployment, url: URL, ip: string): Promise<void> {
    const step = url.searchParams.get('step') ?? '';
    const state = url.searchParams.get('state') ?? '';
    const reason = (url.searchParams.get('reason') ?? '').slice(0, 1000);
    if (!STEP.test(step) || (state !== '' && !REPORT_STATES.has(state))) {
      text(response, 400, `berth: a report needs step=<lowercase-word> and, optionally, state=${[...REPORT_STATES].join('|')}\n`);
      return;
    }
    const { inventory, events } = this.#options;
    const current = deploymentOf(inventory, node);
    let refused: string | undefined;
    if (state) {
      const armed = current.arming;
      // The token's deployment is the pending profile (tokens.check), so `installed` makes it current.
      refused = armed.armed ? await this.#options.tokens.advance(node, deployment.nonce, state as InstallStage) : `it is not armed (${armed.why})`;
    }
    const detail = { via: 'installer', ...(reason ? { message: reason } : {}), ...(state && refused ? { state, unchanged: refused } : {}) };
    events.emit({ source: 'node', step, node, ip, detail });
    if (refused !== undefined) {
      text(response, 409, `berth: the report is in ${node}'s timeline; deployment.state is not changed: ${refused}\n`);
      return;
    }
    if (state) {
      const { set, unset } = reportedStateChange(state, current);
      await inventory.changeNodes([node], { set, ...(unset.length > 0 ? { unset } : {}) });
    }
    text(response, 200, 'ok\n');
  }

  async #media(request: IncomingMessage, response: ServerResponse, parts: string[], ip: string): Promise<void> {
    const [name, ...path] = parts;
    // media.json is berth's record (where the media came from on this server), not part of the media.
    if (!name || path.length === 0 || !SEGMENT.test(name) || !path.every((p) => SEGMENT.test(p)) || (path.length === 1 && path[0] === MEDIA_RECORD)) {
      text(response, 404, 'berth: not found\n');
      return;
    }
    const started = Date.now();
    // A symlink on the media (ISO trees have some) may point anywhere: serve only what resolves inside the media folder.
    const served = await serveConfinedFile(request, response, this.#options.media.folder(name), path, 'application/octet-stream');
    if (served.status === 404) return this.#options.events.countDropped('http', served.outside ? 'outside-folder' : 'not-found');
    const file = path.join('/');
    // Installers fetch thousands of packages: only the boot files and whole ISOs go into the timeline.
    if (/vmlinuz|linux|initrd|\.iso$|\.img$|b\.b00/.test(file)) {
      const node = this.#options.nodeByIp?.(ip);
      this.#options.events.emit({ source: 'http', step: 'media', ip, ...(node ? { node } : {}), detail: { media: name, file, status: served.status, bytes: served.bytes, durationMs: Date.now() - started } });
    }
  }
}

function text(response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}
