/**
 * Scripted installs on the server: everything a node's installer fetches
 * from berth, per node, behind the deployment's token (deploy/install-tokens.ts):
 *
 *   /install/<node>/<token>/ipxe/<platform>   the installer's iPXE script (pcbios or efi)
 *   /install/<node>/<token>/<answer file>     ks.cfg, user-data (+ meta-data), autoinst.xml, ...
 *   /install/<node>/<token>/report?step=&state=&reason=   timeline reports before the node has a key
 *   /install/<node>/<token>/post.sh           berth's post script (node-side/install/berth-post.sh)
 *   /install/<node>/<token>/node-support.tar  the report/firstboot/SSH units it unpacks
 *   /install/<node>/<token>/boot.cfg          ESXi's loader configuration
 *
 * Rendering is the same code for the node and for `berth profile render`, so
 * the preview is what the node receives. Everything a node needs is checked
 * when `berth deploy` runs, before anything is armed (`preflight`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { MediaRecord } from '../media/media.ts';
import type { MediaRepository } from '../media/media-repository.ts';
import { ANSWER_TEMPLATE } from '../profiles/profile.ts';
import type { InstallProfile } from '../profiles/profile.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import { compileExpression } from '../inventory/expressions/index.ts';
import { familyModule } from './families/index.ts';
import type { Firmware, InstallFamilyModule, InstallUrls } from './install-family.ts';
import { installVars } from './install-vars.ts';
import type { InstallVars } from './install-vars.ts';
import { renderTemplate } from './template/index.ts';

export interface RenderedAnswer {
  node: string;
  profile: string;
  media: string;
  family: string;
  fileName: string;
  contentType: string;
  text: string;
  /** Where the template came from: the profile's answer.tmpl or the family's built-in one. */
  template: string;
  /** What the family's checker found; deploy refuses while there are any. */
  problems: { line: number; message: string }[];
}

export interface InstallContext {
  profile: InstallProfile;
  media: MediaRecord;
  module: InstallFamilyModule;
  vars: InstallVars;
  urls: InstallUrls;
  kernelArgs: string;
}

/**
 * Debian's netboot installer carries no packages (no dists/ in the media
 * tree): it installs from a mirror, Debian's own unless install.mirror names
 * the site's. Other media are their own repository.
 */
async function publicMirror(media: MediaRecord, folder: string): Promise<string | undefined> {
  if (media.family !== 'preseed') return undefined;
  const dists = await stat(join(folder, 'dists')).catch(() => undefined);
  if (dists?.isDirectory()) return undefined;
  return media.distro === 'ubuntu' ? 'http://archive.ubuntu.com/ubuntu' : 'http://deb.debian.org/debian';
}

export class InstallService {
  readonly #inventory: Inventory;
  readonly #profiles: ProfileRepository;
  readonly media: MediaRepository;

  constructor(options: { inventory: Inventory; profiles: ProfileRepository; media: MediaRepository }) {
    this.#inventory = options.inventory;
    this.#profiles = options.profiles;
    this.media = options.media;
  }

  /** The URLs a node's installer uses, on the boot HTTP server at `base` (http://host:port). */
  urls(base: string, node: string, token: string, media: MediaRecord, module: InstallFamilyModule): InstallUrls {
    const callback = `${base}/install/${encodeURIComponent(node)}/${token}`;
    return { media: `${base}/media/${media.name}`, answer: `${callback}/${module.answerFileName}`, callback };
  }

  async profile(name: string): Promise<InstallProfile> {
    const profile = await this.#profiles.read(name);
    if (profile.kind !== 'install') throw new BerthError('BERTH_CONFLICT', `profile '${name}' is not a scripted install (it has no media:)`);
    return profile;
  }

  /** Everything one node's install is made of; throws BERTH_CONFIG naming every attribute the node lacks. */
  async context(profileName: string, node: string, base: string, token: string, bootMac?: string): Promise<InstallContext> {
    const profile = await this.profile(profileName);
    const media = await this.media.read(profile.media);
    const module = familyModule(media.family);
    const record = this.#inventory.node(node);
    if (!record) throw new BerthError('BERTH_NOT_FOUND', `no node named '${node}'`);
    const resolver = this.#inventory.resolver();
    const lookup = (attribute: string): string | undefined => {
      try {
        const value = resolver.value(record, attribute);
        return value === '' ? undefined : value;
      } catch {
        return undefined;
      }
    };
    const interfaces = Object.keys(this.#inventory.resolveNode(node, (a) => /^net\.[^.]+\.hwaddr$/.test(a)))
      .map((a) => a.split('.')[1]!)
      .filter((i, n, all) => all.indexOf(i) === n);
    const urls = this.urls(base, node, token, media, module);
    const proxy = lookup('install.proxy');
    const mirror = lookup('install.mirror') ?? (await publicMirror(media, this.media.folder(media.name)));
    const vars = installVars(node, lookup, { urls, media, packages: profile.packages, interfaces, ...(proxy ? { proxy } : {}), ...(mirror ? { mirror } : {}), ...(bootMac ? { bootMac } : {}) });
    const kernelArgs = compileExpression(profile.kernelArgs).evaluate({ node, attribute: (a) => resolver.value(record, a) });
    return { profile, media, module, vars, urls, kernelArgs };
  }

  async render(context: InstallContext): Promise<RenderedAnswer> {
    const own = join(this.#profiles.folder(context.profile.name), ANSWER_TEMPLATE);
    const site = await readFile(own, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    const template = site ?? context.module.defaultTemplate(context.media);
    const templateName = site !== undefined ? own : `${context.module.family} built-in template`;
    const text = renderTemplate(template, context.vars as unknown as Record<string, unknown>, templateName);
    return {
      node: context.vars.node,
      profile: context.profile.name,
      media: context.media.name,
      family: context.module.family,
      fileName: context.module.answerFileName,
      contentType: context.module.contentType,
      text,
      template: templateName,
      problems: context.module.check(text),
    };
  }

  bootScript(context: InstallContext, firmware: Firmware): string {
    return context.module.bootScript({ media: context.media, urls: context.urls, firmware, node: context.vars.node, kernelArgs: context.kernelArgs, vars: context.vars }).ipxe;
  }

  /**
   * Renders every node's answer file before `berth deploy` arms anything:
   * the media is there, each node has what its answer file needs, and the
   * result passes the family's checker. All failures at once, by node.
   */
  async preflight(profileName: string, nodes: readonly string[]): Promise<void> {
    const failures: BerthError[] = [];
    for (const node of nodes) {
      try {
        const rendered = await this.render(await this.context(profileName, node, 'http://berth.invalid', 'preflight-token-preflight-token-preflight-t'));
        if (rendered.problems.length > 0) {
          const [first] = rendered.problems;
          throw new BerthError('BERTH_CONFIG', `${rendered.template} renders a ${rendered.fileName} for ${node} that ${rendered.family} would reject: line ${first!.line}: ${first!.message}${rendered.problems.length > 1 ? ` (and ${rendered.problems.length - 1} more)` : ''}`);
        }
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        failures.push(e);
      }
    }
    if (failures.length > 0) {
      const [first, ...rest] = failures;
      throw new BerthError(first!.code, failures.length === 1 ? first!.message : `${failures.length} nodes cannot install profile '${profileName}'; nothing was armed. ${first!.message}`, first!.where, rest);
    }
  }
}
