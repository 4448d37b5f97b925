/**
 * Text that berth writes into iPXE scripts: the one escaper, used by the boot
 * scripts (boot/ipxe/scripts.ts), the installers' scripts
 * (installs/families/installer-ipxe.ts) and the check on a profile's kernel
 * arguments (profiles/kernel-args.ts). Two escapers for one language would
 * let a value through one that the other stops.
 *
 * What iPXE's script parser does to a line (https://ipxe.org/scripting and
 * https://ipxe.org/cfg; the code is src/image/script.c and src/core/exec.c):
 * - a newline ends the command and starts the next one; a `\` at the end of
 *   a line joins the next line to it; a line starting with `:` is a label;
 * - a line is split into words at blanks (isspace: space, tab, CR, LF, VT,
 *   FF) only; there is no quoting, so `"` and `'` are ordinary characters
 *   (the kernel's own command-line parser does give `"` a meaning);
 * - a word that is exactly `||`, `&&` or `;` separates two commands, and a
 *   word starting with `#` comments out the rest of the line;
 * - `${name}` anywhere in a word is replaced by the setting `name`, again and
 *   again until none is left, so a value with `${` would read (and show, or
 *   send in a URL) iPXE's settings;
 * - the line is a C string: a NUL byte ends it there.
 *
 * So a word berth writes holds only characters that mean nothing to that
 * parser, and never `$`, `\`, `#`, `|`, `&`, quotes, blanks, control or
 * non-ASCII characters (the kernel command line is ASCII). Whatever else
 * arrives becomes `_`: the script still parses, the value visibly differs,
 * and nothing of it can become a command. `;` is allowed inside a word
 * (Ubuntu's `ds=nocloud-net;s=http://...` needs it), never as a whole word.
 */

/** The characters a word may keep, in words, for error messages. */
export const IPXE_WORD_CHARACTERS = 'letters, digits and _ . , : / = @ + % ~ ; { } ( ) ? [ ] -';

const UNSAFE = /[^A-Za-z0-9_.,:/=@+%~;{}()?[\]-]/g;
/** The same test, without the global flag's lastIndex state. */
const UNSAFE_ONE = /[^A-Za-z0-9_.,:/=@+%~;{}()?[\]-]/;

/** One word of an iPXE command line, e.g. a URL, a file name, one kernel argument. */
export function ipxeWord(text: string): string {
  const word = text.replace(UNSAFE, '_');
  return word === ';' ? '_' : word;
}

/** Free text split at blanks into words, each made safe: a profile's kernel arguments. */
export function ipxeWords(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(ipxeWord);
}

/** Free text as one run of safe words separated by single spaces: an `echo` or comment line, a kernel command line. */
export function ipxeText(text: string): string {
  return ipxeWords(text).join(' ');
}

/**
 * Index of the first character that would not reach iPXE as written (it
 * would become `_`), or -1. Words are separated by single spaces here: a
 * profile's kernel arguments are checked with this before they are stored,
 * so a tab or a lone `;` is pointed at rather than changed at boot.
 */
export function firstUnsafeCharacter(text: string): number {
  let start = 0;
  for (const word of text.split(' ')) {
    const bad = word === ';' ? 0 : word.search(UNSAFE_ONE);
    if (bad >= 0) return start + bad;
    start += word.length + 1;
  }
  return -1;
}
