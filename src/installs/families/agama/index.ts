/**
 * Agama: the installer of SLES 16, openSUSE Leap 16 and Tumbleweed, a live
 * system driven by a JSON profile.
 *
 * Boot: the media's boot/<arch>/loader kernel and initrd with
 *   root=live:<media>/<iso> rd.neednet=1 ip=dhcp inst.auto=<answer> inst.install_url=<media>
 * dracut fetches the live image over HTTP (the whole ISO when the media
 * record has one, else LiveOS/squashfs.img from the tree), Agama loads the
 * profile and installs packages from the media tree.
 *
 * Callbacks: a pre script reports `installing` (the live system has curl);
 * a post script with chroot: true, in the installed system, reports `post`,
 * writes static network and NTP settings when the node has them (Agama's
 * profile cannot match an interface by MAC), downloads post.sh and runs it,
 * and reports `failed` with the reason when that fails.
 */
import type { MediaRecord } from '../../../media/media.ts';
import type { AnswerProblem, InstallFamilyModule } from '../../install-family.ts';
import { installerBootPlan } from '../installer-boot.ts';
import { bootif, mediaUrl } from '../installer-ipxe.ts';
import { templateFile } from '../template-file.ts';

/** Agama's product id for the media (products.d in the Agama sources); a site with another product edits its answer.tmpl. */
export function agamaProduct(media: MediaRecord): string {
  if (media.distro === 'sles') return 'SLES';
  if (media.distro === 'opensuse-leap') return `Leap_${media.version}`;
  return 'Tumbleweed';
}

export const agama: InstallFamilyModule = {
  family: 'agama',
  answerFileName: 'profile.json',
  contentType: 'application/json; charset=utf-8',

  defaultTemplate(media) {
    return templateFile(import.meta.dirname, 'profile.json.tmpl', { product: `"id": ${JSON.stringify(agamaProduct(media))}` });
  },

  bootScript(boot) {
    const { media, urls, vars } = boot;
    const live = media.iso ? mediaUrl(urls, media.iso) : mediaUrl(urls, 'LiveOS/squashfs.img');
    return installerBootPlan(boot, { args: [`root=live:${live}`, 'rd.neednet=1', 'ip=dhcp', `inst.auto=${urls.answer}`, `inst.install_url=${urls.media}`, bootif(vars.interface.mac)] });
  },

  check: checkAgamaProfile,
};

/** JSON that parses to an object with a product id, a root password and well-formed scripts. */
export function checkAgamaProfile(text: string): AnswerProblem[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const line = /line (\d+)/.exec(message)?.[1];
    const position = /position (\d+)/.exec(message)?.[1];
    return [{ line: line ? Number(line) : position ? text.slice(0, Number(position)).split('\n').length : 1, message: `JSON: ${message}` }];
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [{ line: 1, message: 'an Agama profile is a JSON object' }];
  const problems: AnswerProblem[] = [];
  const profile = data as Record<string, unknown>;
  const lineOf = (key: string) => {
    const index = text.indexOf(`"${key}"`);
    return index === -1 ? 1 : text.slice(0, index).split('\n').length;
  };
  const product = profile['product'] as Record<string, unknown> | undefined;
  if (typeof product?.['id'] !== 'string') problems.push({ line: lineOf('product'), message: 'product.id is missing: Agama asks which product to install without it' });
  const root = profile['root'] as Record<string, unknown> | undefined;
  if (typeof root?.['password'] !== 'string' && typeof root?.['sshPublicKey'] !== 'string') {
    problems.push({ line: lineOf('root'), message: 'root needs a password (with hashedPassword: true for a hash) or an sshPublicKey' });
  }
  const scripts = profile['scripts'];
  if (scripts !== undefined) {
    if (typeof scripts !== 'object' || scripts === null || Array.isArray(scripts)) problems.push({ line: lineOf('scripts'), message: 'scripts is an object of lists (pre, post, init...)' });
    else {
      for (const [kind, list] of Object.entries(scripts)) {
        if (!Array.isArray(list)) {
          problems.push({ line: lineOf(kind), message: `scripts.${kind} must be a list` });
          continue;
        }
        for (const script of list as Record<string, unknown>[]) {
          if (typeof script?.['name'] !== 'string') problems.push({ line: lineOf(kind), message: `scripts.${kind}: every script needs a name` });
          if (typeof script?.['body'] !== 'string' && typeof script?.['url'] !== 'string') problems.push({ line: lineOf(kind), message: `scripts.${kind}: every script needs a body or a url` });
          else if (typeof script['body'] === 'string' && !script['body'].startsWith('#!')) problems.push({ line: lineOf(kind), message: `scripts.${kind}: ${String(script['name'])}: a body starts with #! (Agama runs it as a program)` });
        }
      }
    }
  }
  return problems;
}
