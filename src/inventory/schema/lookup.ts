import { BerthError } from '../../errors.ts';
import { attributeSchema } from './attributes.ts';
import { closestName } from '../../util/closest-name.ts';
import type { AttributeSpec } from './spec.ts';

/** An interface name as used in `net.<if>.*`: short enough for a Linux ifname. */
export const interfaceNamePattern = '[a-z][a-z0-9_]{0,14}';

/**
 * What may follow `custom.`: no '=' or ',' (they separate names from values
 * and attributes on the command line) and no spaces.
 */
const customSuffixPattern = '[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*';

const exactNames = new Map<string, AttributeSpec>();
const patterns: { regex: RegExp; spec: AttributeSpec }[] = [];

for (const spec of attributeSchema) {
  if (spec.name.includes('<if>') || spec.name.endsWith('*')) {
    const body = spec.name
      .split(/(<if>|\*)/)
      .map((part) => (part === '<if>' ? interfaceNamePattern : part === '*' ? customSuffixPattern : escapeRegex(part)))
      .join('');
    patterns.push({ regex: new RegExp(`^${body}$`), spec });
  } else {
    exactNames.set(spec.name, spec);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The schema entry that governs `name` ('net.mgmt.hwaddr' → 'net.<if>.hwaddr'). */
export function findAttribute(name: string): AttributeSpec | undefined {
  const exact = exactNames.get(name);
  if (exact !== undefined) return exact;
  for (const { regex, spec } of patterns) {
    if (regex.test(name)) return spec;
  }
  return undefined;
}

/** Like findAttribute, but an unknown name is an error that suggests the likely intended one. */
export function requireAttribute(name: string): AttributeSpec {
  const spec = findAttribute(name);
  if (spec !== undefined) return spec;
  const suggestion = suggestAttribute(name);
  const hint =
    suggestion !== undefined
      ? `did you mean ${suggestion}?`
      : '`berth attributes` lists the known ones; use custom.<name> for site-specific values';
  throw new BerthError('BERTH_UNKNOWN_ATTRIBUTE', `unknown attribute '${name}': ${hint}`, { attribute: name });
}

/**
 * Like requireAttribute, for a value about to be stored: an attribute berth
 * does not apply yet (`planned`) is refused, so no one sets a VLAN, a GRUB
 * password or a console method believing it took effect.
 */
export function requireSettableAttribute(name: string): AttributeSpec {
  const spec = requireAttribute(name);
  if (spec.planned !== undefined) {
    throw new BerthError(
      'BERTH_BAD_INPUT',
      `${name}: berth does not apply this attribute yet (${spec.planned}), so it is refused rather than stored and ignored`,
      { attribute: name },
    );
  }
  return spec;
}

/**
 * For names that select attributes rather than set one (noderange filters,
 * `node list` columns, `node show` arguments): a name must be known, as for
 * requireAttribute; a shell-style wildcard (`net.*`, `*switch`) is checked
 * by its first word when that has no wildcard, so `locaton.*` is an error
 * rather than a pattern that quietly matches nothing.
 */
export function requireAttributePattern(pattern: string): void {
  if (!/[*?]/.test(pattern)) {
    requireAttribute(pattern);
    return;
  }
  const dot = pattern.indexOf('.');
  if (dot < 0) return;
  const family = pattern.slice(0, dot);
  if (/[*?]/.test(family) || families.has(family)) return;
  const close = closestName(family, families);
  const hint =
    close !== undefined
      ? `did you mean ${close}${pattern.slice(dot)}?`
      : `attribute names start with ${[...families].map((f) => `${f}.`).join(', ')}`;
  throw new BerthError('BERTH_UNKNOWN_ATTRIBUTE', `no attribute can match '${pattern}': '${family}' is not an attribute family; ${hint}`, { attribute: pattern });
}

/** First words of dotted names: `net`, `id`, `custom`... */
const families = new Set(attributeSchema.filter((spec) => spec.name.includes('.')).map((spec) => spec.name.slice(0, spec.name.indexOf('.'))));

export function isSecretAttribute(name: string): boolean {
  return findAttribute(name)?.secret === true;
}

/**
 * Per-interface patterns are compared with the interface the user wrote, so
 * 'net.mgmt.hwadr' suggests 'net.mgmt.hwaddr' rather than 'net.<if>.hwaddr'.
 */
function suggestAttribute(name: string): string | undefined {
  const segments = name.split('.');
  const writtenInterface = segments.length >= 3 && new RegExp(`^${interfaceNamePattern}$`).test(segments[1]!) ? segments[1]! : undefined;
  const candidates: string[] = [];
  for (const spec of attributeSchema) {
    if (spec.name.endsWith('*')) continue;
    candidates.push(writtenInterface !== undefined ? spec.name.replace('<if>', writtenInterface) : spec.name);
  }
  const close = closestName(name, candidates);
  if (close !== undefined) return close;
  // 'hwaddr' or 'net.hwaddr': the last word alone is often enough to know.
  const last = segments[segments.length - 1]!;
  const sameLastWord = candidates.filter((c) => c.endsWith(`.${last}`) || c === last);
  return sameLastWord.length === 1 ? sameLastWord[0] : undefined;
}
