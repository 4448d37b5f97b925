/**
 * A profile's kernel arguments: the ones berth puts on every image profile's
 * command line for the node side, and the checks on the ones an
 * administrator adds. The added ones are attribute expressions
 * (`console=ttyS0 ip={net.boot.ipv4_address}`), evaluated per node when its
 * boot script is made; checking them when the profile is defined turns a
 * typo into an error now instead of a node that boots wrong later.
 */
import { BerthError } from '../errors.ts';
import { compileExpression } from '../inventory/expressions/index.ts';
import type { CompiledExpression } from '../inventory/expressions/index.ts';
import { quote } from '../inventory/schema/validators/rejection.ts';
import { firstUnsafeCharacter, IPXE_WORD_CHARACTERS } from '../util/ipxe-text.ts';
import type { BootMethod } from './profile.ts';

/**
 * What the node side reads to find and mount its image. An administrator's
 * copy of one would be ambiguous (the kernel passes both, and tools differ on
 * which wins), so they are refused in an image profile's own arguments.
 */
export const BERTH_ARGUMENTS = ['boot', 'berth.image', 'berth.method', 'berth.profile'] as const;

/** `boot=berth berth.image=compute@3 berth.method=tethered berth.profile=p`: always a fixed version, the one this boot resolved. */
export function berthKernelArgs(profile: string, image: { name: string; version: number }, method: BootMethod): string {
  return `boot=berth berth.image=${image.name}@${image.version} berth.method=${method} berth.profile=${profile}`;
}

/**
 * Checks kernel arguments as written in a profile and compiles them.
 * Throws BERTH_EXPRESSION_SYNTAX (with where.column) or BERTH_UNKNOWN_ATTRIBUTE
 * for a bad expression; for image profiles also BERTH_BAD_INPUT for a
 * character iPXE cannot carry or an argument berth sets itself. Messages do not say
 * where the text came from: the caller adds the file or the request field.
 */
export function checkKernelArgs(text: string, kind: 'image' | 'kernel'): CompiledExpression {
  // Kernel profiles are checked as they always were (such characters arrive as '_'), so none that booted stops booting.
  const unsafe = kind === 'image' ? firstUnsafeCharacter(text) : -1;
  if (unsafe >= 0) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `${quote(text[unsafe]!)} at column ${unsafe + 1} cannot be passed through an iPXE script (it would arrive as '_'); ` +
        `use words of ${IPXE_WORD_CHARACTERS}, separated by single spaces`,
      { column: unsafe + 1, input: text },
    );
  }
  const compiled = compileExpression(text);
  if (kind === 'image') {
    let column = 1;
    for (const word of text.split(' ')) {
      const key = word.split('=')[0]!;
      if ((BERTH_ARGUMENTS as readonly string[]).includes(key) && word.includes('=')) {
        throw new BerthError('BERTH_BAD_INPUT', `berth sets ${key}= itself for image profiles; remove '${word}'`, { column, input: text });
      }
      column += word.length + 1;
    }
  }
  return compiled;
}
