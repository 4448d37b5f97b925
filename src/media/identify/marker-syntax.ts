/**
 * The few file syntaxes installation media use for their markers, parsed
 * leniently: a marker that does not parse is a marker that says nothing, and
 * the detector moves on.
 */
import type { MediaArch } from '../media.ts';

export type IniSections = Map<string, Map<string, string>>;

/**
 * INI as productmd writes .treeinfo: `[section]`, `key = value`, comments
 * starting with `;` or `#`. Section and key names are lowercased.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim().toLowerCase();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) continue;
    current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

/**
 * `key<sep>value` lines: `kernel=/b.b00` (ESXi boot.cfg), `Version: 12.5`
 * (Debian Release, version.info). Keys are lowercased; the first occurrence wins.
 */
export function parseFields(text: string, separator: '=' | ':'): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw)) continue; // continuation lines (Release's checksum lists)
    const at = raw.indexOf(separator);
    if (at <= 0) continue;
    const key = raw.slice(0, at).trim().toLowerCase();
    if (!fields.has(key)) fields.set(key, raw.slice(at + 1).trim());
  }
  return fields;
}

/** Distribution spellings of the two architectures berth installs. */
export function mediaArch(name: string | undefined): MediaArch | undefined {
  switch (name?.trim().toLowerCase()) {
    case 'x86_64':
    case 'amd64':
    case 'x86-64':
      return 'x86_64';
    case 'aarch64':
    case 'arm64':
      return 'aarch64';
    default:
      return undefined;
  }
}

export function firstLine(text: string | undefined): string {
  return (text ?? '').split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Numeric comparison of dotted versions by their leading numbers: 9.4 > 8.10 < 9, 24.04.1 > 24.04. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  const b = minimum.split('.').map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < b.length; i++) {
    const x = Number.isFinite(a[i]) ? a[i]! : 0;
    if (x !== b[i]) return x > b[i]!;
  }
  return true;
}

/** Trims a long marker line for the evidence list. */
export function says(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}
