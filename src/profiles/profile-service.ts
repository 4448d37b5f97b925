/**
 * Profiles as the admin API offers them: define, change, show, list, remove.
 * Define and change check what the profile will meet at boot before
 * anything is written: the image reference resolves to a packed version now,
 * the kernel arguments compile, and they evaluate for every node already
 * waiting for the profile. Writes are serialised within the daemon, so two
 * `profile set` never interleave their read and write of profile.yaml.
 */
import { BerthError } from '../errors.ts';
import { formatImageRef, parseImageRef } from '../images/repository/image-ref.ts';
import type { ImageRef } from '../images/repository/image-ref.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import type { CompiledExpression } from '../inventory/expressions/index.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { compressNodes } from '../inventory/noderange/compress.ts';
import { checkKernelArgs } from './kernel-args.ts';
import { profileBoot } from './profile-boot.ts';
import { requireProfileName } from './profile-name.ts';
import type { ProfileRepository } from './profile-repository.ts';
import type { ProfileScripts } from './profile-repository.ts';
import { profileUsage, usageOf } from './profile-usage.ts';
import type { ProfileUsage } from './profile-usage.ts';
import { BOOT_METHODS, DEFAULT_BOOT_METHOD, isBootMethod } from './profile.ts';
import type { BootMethod, ImageProfile, Profile } from './profile.ts';

export interface ProfileDefinition {
  name: string;
  image: string;
  bootMethod?: string;
  kernelArgs?: string;
  description?: string;
}

export type ProfileChange = Partial<Omit<ProfileDefinition, 'name'>>;

export interface ProfileView {
  name: string;
  /** `invalid`: the folder is there but its profile.yaml is not a profile (see `problem`). */
  kind: 'image' | 'kernel' | 'install' | 'invalid';
  description: string;
  kernelArgs: string;
  /** Image profiles: the reference as stored, `compute@latest` or `compute@3`. */
  image?: string;
  bootMethod?: BootMethod;
  /** Kernel profiles: files in the profile folder. */
  kernel?: string;
  initrds?: string[];
  /** Install profiles: the imported media and the extra packages. */
  media?: string;
  packages?: string[];
  /** The version `image` means now. */
  resolvesTo?: { name: string; version: number; ref: string; created: string; kernelVersion: string };
  /** Why a node could not boot the profile now: image gone, version damaged, file missing, profile.yaml broken. */
  problem?: string;
  /** Nodes naming the profile, as noderanges; `count` counts each node once. */
  nodes: { pending: string; deployed: string; count: number };
  /** Only in `show`. */
  scripts?: ProfileScripts;
}

/** Evaluation failures listed in one error, beyond the first. */
const MAX_LISTED = 20;

export class ProfileService {
  readonly profiles: ProfileRepository;
  readonly images: ImageRepository;
  readonly #inventory: Inventory;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: { profiles: ProfileRepository; images: ImageRepository; inventory: Inventory }) {
    this.profiles = options.profiles;
    this.images = options.images;
    this.#inventory = options.inventory;
  }

  define(definition: ProfileDefinition): Promise<ProfileView> {
    return this.#exclusive(async () => {
      const profile: ImageProfile = {
        kind: 'image',
        name: requireProfileName(definition.name),
        description: definition.description ?? '',
        kernelArgs: definition.kernelArgs ?? '',
        image: imageRefOf(definition.image),
        bootMethod: bootMethodOf(definition.bootMethod ?? DEFAULT_BOOT_METHOD),
      };
      await this.#check(profile);
      await this.profiles.create(profile);
      return this.show(profile.name);
    });
  }

  change(name: string, change: ProfileChange): Promise<ProfileView> {
    return this.#exclusive(async () => {
      const current = await this.profiles.read(name);
      let next: Profile;
      if (current.kind === 'install') {
        const refused = (['image', 'bootMethod'] as const).find((key) => change[key] !== undefined);
        if (refused) {
          throw new BerthError('BERTH_CONFLICT', `profile '${name}' is a scripted install (media: in ${this.profiles.file(name)}); ${refused === 'image' ? 'image' : 'boot_method'} applies to image profiles only`);
        }
        next = { ...current };
      } else if (current.kind === 'kernel') {
        const refused = (['image', 'bootMethod'] as const).find((key) => change[key] !== undefined);
        if (refused) {
          throw new BerthError(
            'BERTH_CONFLICT',
            `profile '${name}' boots its own kernel (kernel: in ${this.profiles.file(name)}); ${refused === 'image' ? 'image' : 'boot_method'} applies to image profiles only: define one with berth profile define`,
          );
        }
        next = { ...current };
      } else {
        next = { ...current };
        if (change.image !== undefined) next.image = imageRefOf(change.image);
        if (change.bootMethod !== undefined) next.bootMethod = bootMethodOf(change.bootMethod);
      }
      if (change.kernelArgs !== undefined) next.kernelArgs = change.kernelArgs;
      if (change.description !== undefined) next.description = change.description;
      await this.#check(next);
      await this.profiles.write(next);
      return this.show(name);
    });
  }

  async show(name: string): Promise<ProfileView> {
    const profile = await this.profiles.read(name);
    const view = await this.#view(profile, usageOf(this.#inventory, name));
    view.scripts = await this.profiles.scripts(name);
    return view;
  }

  /** Every profile folder; one whose profile.yaml is broken is listed with its problem rather than failing the list. */
  async list(): Promise<ProfileView[]> {
    const usage = profileUsage(this.#inventory);
    const views: ProfileView[] = [];
    for (const name of await this.profiles.names()) {
      const used = usage.get(name) ?? { pending: [], deployed: [] };
      try {
        views.push(await this.#view(await this.profiles.read(name), used));
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        views.push({ name, kind: 'invalid', description: '', kernelArgs: '', problem: e.message, nodes: nodesOf(used) });
      }
    }
    return views;
  }

  /**
   * Removes a profile folder, scripts included. While nodes name the profile
   * it is refused unless `force`; forced, those nodes keep the name and boot
   * from their local disk, with a profile-error step in their timeline, until
   * they are given another profile.
   */
  remove(name: string, force: boolean): Promise<{ removed: string; pending: string; deployed: string }> {
    return this.#exclusive(async () => {
      if (!(await this.profiles.exists(name))) throw new BerthError('BERTH_NOT_FOUND', `no profile named '${name}'`);
      const usage = usageOf(this.#inventory, name);
      if (!force && (usage.pending.length > 0 || usage.deployed.length > 0)) {
        const users = [
          ...(usage.pending.length > 0 ? [`${compressNodes(usage.pending)} (deployment.pending_profile)`] : []),
          ...(usage.deployed.length > 0 ? [`${compressNodes(usage.deployed)} (deployment.profile)`] : []),
        ];
        throw new BerthError('BERTH_CONFLICT', `profile '${name}' is in use by ${users.join(' and ')}; give those nodes another profile first, or remove with --force`);
      }
      await this.profiles.remove(name);
      return { removed: name, pending: compressNodes(usage.pending), deployed: compressNodes(usage.deployed) };
    });
  }

  /** What a profile must pass before it is written; see the module comment. */
  async #check(profile: Profile): Promise<void> {
    let compiled: CompiledExpression;
    try {
      compiled = checkKernelArgs(profile.kernelArgs, profile.kind === 'kernel' ? 'kernel' : 'image');
    } catch (e) {
      throw inField(e, 'kernel_args', '/kernelArgs');
    }
    if (profile.kind === 'image') {
      try {
        await this.images.resolve(profile.image);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        throw new BerthError(e.code, `profile '${profile.name}' cannot use ${formatImageRef(profile.image)}: ${e.message}`, { ...e.where, pointer: '/image' });
      }
    }
    const failures: BerthError[] = [];
    const resolver = this.#inventory.resolver();
    for (const name of usageOf(this.#inventory, profile.name).pending) {
      const node = this.#inventory.node(name)!;
      try {
        compiled.evaluate({ node: name, attribute: (attribute) => resolver.value(node, attribute) });
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        failures.push(e);
      }
    }
    if (failures.length > 0) {
      const [first, ...rest] = failures;
      throw new BerthError(
        'BERTH_EXPRESSION_EVAL',
        `kernel_args cannot be evaluated for ${failures.length} node(s) waiting for profile '${profile.name}': ${first!.message}`,
        { ...first!.where, pointer: '/kernelArgs' },
        rest.slice(0, MAX_LISTED),
      );
    }
  }

  async #view(profile: Profile, usage: ProfileUsage): Promise<ProfileView> {
    const view: ProfileView = { name: profile.name, kind: profile.kind, description: profile.description, kernelArgs: profile.kernelArgs, nodes: nodesOf(usage) };
    if (profile.kind === 'image') {
      view.image = formatImageRef(profile.image);
      view.bootMethod = profile.bootMethod;
    } else if (profile.kind === 'install') {
      view.media = profile.media;
      view.packages = profile.packages;
    } else {
      view.kernel = profile.kernel;
      view.initrds = profile.initrds;
    }
    try {
      const boot = await profileBoot(profile, this.profiles.folder(profile.name), this.images);
      if (boot.files.from === 'image') {
        const { image, version, metadata } = boot.files;
        view.resolvesTo = { name: image, version, ref: `${image}@${version}`, created: metadata.created, kernelVersion: metadata.boot.kernelVersion };
      }
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      view.problem = e.message;
    }
    return view;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn, fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function nodesOf(usage: ProfileUsage): ProfileView['nodes'] {
  return { pending: compressNodes(usage.pending), deployed: compressNodes(usage.deployed), count: new Set([...usage.pending, ...usage.deployed]).size };
}

function imageRefOf(text: string): ImageRef {
  try {
    return parseImageRef(text);
  } catch (e) {
    throw inField(e, 'image', '/image');
  }
}

function bootMethodOf(text: string): BootMethod {
  if (isBootMethod(text)) return text;
  throw new BerthError('BERTH_BAD_INPUT', `boot_method: '${text}' is not a boot method; use one of ${BOOT_METHODS.join(', ')}`, { pointer: '/bootMethod' });
}

/** The same error, saying which field of the request it is about. */
function inField(e: unknown, field: string, pointer: string): unknown {
  if (!(e instanceof BerthError)) return e;
  return new BerthError(e.code, `${field}: ${e.message}`, { ...e.where, pointer }, e.more);
}
