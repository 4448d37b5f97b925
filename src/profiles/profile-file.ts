/**
 * `profile.yaml`, the one file that says what a profile boots:
 *
 *   # an image profile (berth profile define)
 *   image: compute@latest        # or compute@3, or compute (= latest)
 *   boot_method: tethered        # untethered, installtodisk
 *   kernel_args: console=ttyS0,115200 ip={net.boot.ipv4_address}
 *   description: compute nodes, diskless
 *
 *   # a scripted install (berth media import generates them)
 *   media: debian-12-x86_64      # imported media, installed by its own installer
 *   packages: [openssh-server, curl]
 *   kernel_args: console=ttyS0,115200
 *   # answer.tmpl in the folder overrides the family's answer file template
 *
 *   # a kernel profile (by hand: the lab, a rescue kernel)
 *   kernel: vmlinuz              # files in the profile folder
 *   initrds: [initrd.gz]
 *   kernel_args: console=ttyS0 berth.node={node}
 *
 * Exactly one of `image`, `media` and `kernel`. Unknown keys are errors, not ignored:
 * a misspelt `kernel_arg:` silently dropped is a node booting without them.
 * Errors name the file, line and key, and list every problem at once.
 * Writing edits the existing document, so comments an administrator put in
 * by hand survive `berth profile set`.
 */
import { Document, LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { BerthError } from '../errors.ts';
import type { ErrorCode, ErrorLocation } from '../errors.ts';
import { formatImageRef, parseImageRef } from '../images/repository/image-ref.ts';
import type { ImageRef } from '../images/repository/image-ref.ts';
import { checkKernelArgs } from './kernel-args.ts';
import { BOOT_METHODS, DEFAULT_BOOT_METHOD, isBootMethod } from './profile.ts';
import type { BootMethod, Profile } from './profile.ts';

export const PROFILE_FILE = 'profile.yaml';

const KEYS = ['image', 'boot_method', 'kernel', 'initrds', 'media', 'packages', 'kernel_args', 'description'];
/** Package names as every family's installer takes them; also keeps them out of shell and XML syntax. */
const PACKAGE = /^[A-Za-z0-9@][A-Za-z0-9_.+:@-]{0,127}$/;
/** Kernel and initrd names are joined to the profile folder and put in URLs: one plain file name each. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

/** Parses and checks a profile.yaml; `file` names it in errors, `name` is the profile (its folder's name). */
export function parseProfileFile(text: string, file: string, name: string): Profile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as YamlNode | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const problems: BerthError[] = [];
  const problem = (key: string, line: number | undefined, why: string, code: ErrorCode = 'BERTH_CONFIG', where: ErrorLocation = {}): void => {
    const place = line === undefined ? file : `${file}:${line}`;
    problems.push(new BerthError(code, `${place}: ${key === '' ? '' : `${key}: `}${why}`, { ...where, file, ...(line === undefined ? {} : { line }) }));
  };
  const fail = (): never => {
    const [first, ...rest] = problems;
    throw new BerthError(first!.code, first!.message, first!.where, rest);
  };

  for (const error of doc.errors) problem('', lineCounter.linePos(error.pos[0]).line, `YAML syntax: ${error.message.split('\n')[0]}`);
  if (problems.length > 0) fail();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    problem('', undefined, 'is empty; a profile needs image: (an image version) or kernel: (a kernel file in the profile folder)');
    fail();
  }
  if (!isMap(root)) {
    problem('', lineOf(root), `expected keys (${KEYS.join(', ')}) at the top level`);
    fail();
  }

  const values = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const lines = new Map<string, number | undefined>();
  for (const pair of (root as { items: { key: unknown; value: unknown }[] }).items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    lines.set(key, lineOf(pair.value) ?? lineOf(pair.key));
    if (!KEYS.includes(key)) problem(key, lineOf(pair.key), `unknown key (a profile has ${KEYS.join(', ')})`);
  }
  const has = (key: string): boolean => lines.has(key);
  /** A text value; an empty key (`description:`) is ''. */
  const textOf = (key: string): string | undefined => {
    const value = values[key];
    if (value === undefined || value === null) return has(key) ? '' : undefined;
    if (typeof value === 'string') return value;
    problem(key, lines.get(key), `must be text, not ${describe(value)}${typeof value === 'object' ? '' : ' (quote it)'}`);
    return undefined;
  };

  const description = textOf('description') ?? '';
  const kernelArgs = textOf('kernel_args') ?? '';
  const kind = has('image') ? 'image' : has('media') ? 'install' : 'kernel';
  const kinds = ['image', 'media', 'kernel'].filter(has);
  if (kinds.length > 1) {
    problem('', undefined, `has ${kinds.map((k) => `${k}:`).join(' and ')}; a profile boots one of an image version (image:), an installer from imported media (media:) or a kernel from its own folder (kernel:)`);
  } else if (kinds.length === 0) {
    problem('', undefined, 'needs image: (an image version such as compute@latest), media: (imported install media) or kernel: (a kernel file in the profile folder)');
  }
  if (!has('media') && has('packages')) problem('packages', lines.get('packages'), 'only for scripted installs (media:); an image has its packages built in');
  try {
    checkKernelArgs(kernelArgs, kind === 'kernel' ? 'kernel' : 'image');
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    problem('kernel_args', lines.get('kernel_args'), e.message, e.code, e.where);
  }

  if (kind === 'image') {
    if (has('initrds') && !has('kernel')) problem('initrds', lines.get('initrds'), "only for kernel profiles; an image profile boots its image version's own initramfs");
    let image: ImageRef | undefined;
    const ref = textOf('image');
    if (ref !== undefined) {
      try {
        image = parseImageRef(ref);
      } catch (e) {
        if (!(e instanceof BerthError)) throw e;
        problem('image', lines.get('image'), e.message);
      }
    }
    let bootMethod: BootMethod = DEFAULT_BOOT_METHOD;
    const method = textOf('boot_method');
    if (method !== undefined && method !== '') {
      if (isBootMethod(method)) bootMethod = method;
      else problem('boot_method', lines.get('boot_method'), `'${method}' is not a boot method; use one of ${BOOT_METHODS.join(', ')}`);
    }
    if (problems.length > 0) fail();
    return { kind, name, description, kernelArgs, image: image!, bootMethod };
  }

  if (kind === 'install') {
    for (const key of ['boot_method', 'initrds']) if (has(key)) problem(key, lines.get(key), "only for image or kernel profiles; a scripted install boots its media's installer and installs to disk");
    const media = textOf('media');
    if (media !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(media)) problem('media', lines.get('media'), `'${media}' is not a media name (see berth media list)`);
    const packages = values['packages'] ?? [];
    if (!Array.isArray(packages)) problem('packages', lines.get('packages'), 'must be a list of package names, such as [openssh-server, curl]');
    else for (const p of packages) if (typeof p !== 'string' || !PACKAGE.test(p)) problem('packages', lines.get('packages'), `${JSON.stringify(p)} is not a package name`);
    if (problems.length > 0) fail();
    return { kind, name, description, kernelArgs, media: media!, packages: packages as string[] };
  }

  if (has('boot_method')) problem('boot_method', lines.get('boot_method'), 'only for image profiles; a kernel profile boots its kernel as it is');
  const kernel = textOf('kernel');
  if (kernel !== undefined && !FILE_NAME.test(kernel)) problem('kernel', lines.get('kernel'), `'${kernel}' is not a file name in the profile folder`);
  const initrds = values['initrds'] ?? [];
  if (!Array.isArray(initrds) || !initrds.every((i) => typeof i === 'string' && FILE_NAME.test(i))) {
    problem('initrds', lines.get('initrds'), 'must be a list of file names in the profile folder, such as [initrd.gz]');
  }
  if (problems.length > 0) fail();
  return { kind, name, description, kernelArgs, kernel: kernel!, initrds: initrds as string[] };
}

/**
 * The text of profile.yaml for `profile`. With `previous` (the file as it is
 * now), its document is edited in place: comments and key order stay.
 */
export function formatProfileFile(profile: Profile, previous?: string): string {
  const fields: Record<string, unknown> =
    profile.kind === 'image'
      ? { image: formatImageRef(profile.image), boot_method: profile.bootMethod, kernel_args: profile.kernelArgs }
      : profile.kind === 'install'
        ? { media: profile.media, packages: profile.packages, kernel_args: profile.kernelArgs }
        : { kernel: profile.kernel, initrds: profile.initrds, kernel_args: profile.kernelArgs };
  fields['description'] = profile.description === '' ? undefined : profile.description;
  let doc: Document;
  if (previous !== undefined && previous.trim() !== '') {
    doc = parseDocument(previous);
    const current = (doc.toJS() ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      // Unchanged values are left alone, so they keep the style they were written in (`initrds: [a, b]`).
      if (JSON.stringify(current[key] ?? (value === '' ? '' : undefined)) === JSON.stringify(value)) continue;
      if (value === undefined) doc.delete(key);
      else doc.set(key, value);
    }
  } else {
    doc = new Document(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    doc.commentBefore = ' berth profile: change it with `berth profile set`, or edit by hand;\n it is read again at every boot.';
  }
  // No folding: a kernel command line is one line, and so is easier to read here.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
