/**
 * The families' built-in templates are `.tmpl` files beside their code, read
 * when asked for (and kept), so they read as the answer files they become.
 *
 * Where media versions need different text (Kickstart's NTP command changed
 * in RHEL 9; SLES needs its modules named, Leap does not), the file has a
 * slot, a comment tag alone on its line: `{{! media:<name> }}`. The family
 * fills it for the media at hand, so the template a profile is given (and
 * may edit) is already the one for its media.
 */
import { readFileSync } from 'node:fs';
import { BerthError } from '../../errors.ts';

const cache = new Map<string, string>();

export function templateFile(folder: string, file: string, slots: Record<string, string> = {}): string {
  const path = `${folder}/${file}`;
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text.replace(/^([ \t]*)\{\{! media:([a-z-]+) \}\}\n/gm, (_line, indent: string, slot: string) => {
    const fill = slots[slot];
    if (fill === undefined) throw new BerthError('BERTH_INTERNAL', `${path}: no text for the slot media:${slot}`);
    return fill === '' ? '' : `${fill.replace(/\n$/, '').replace(/^/gm, indent)}\n`;
  });
}

/** The major version number of a media version (9 for 9.4, 15 for 15.6), NaN when it does not start with one. */
export function majorVersion(version: string): number {
  const m = /^(\d+)/.exec(version);
  return m ? Number(m[1]) : Number.NaN;
}
