import { reject } from './rejection.ts';

/*
 * Both validators here guard secret attributes, so no message ever repeats
 * the value: it may be a password someone pasted by mistake.
 */

const b64 = '[./0-9A-Za-z]';

interface CryptScheme {
  prefix: string;
  label: string;
  shape: RegExp;
  expected: string;
}

/** Schemes current distributions' libxcrypt verifies and considers strong. */
const strongSchemes: readonly CryptScheme[] = [
  {
    prefix: '$6$',
    label: 'SHA-512 crypt ($6$)',
    shape: new RegExp(`^\\$6\\$(?:rounds=[0-9]+\\$)?${b64}{1,16}\\$${b64}{86}$`),
    expected: '$6$<salt>$<86 characters>',
  },
  {
    prefix: '$5$',
    label: 'SHA-256 crypt ($5$)',
    shape: new RegExp(`^\\$5\\$(?:rounds=[0-9]+\\$)?${b64}{1,16}\\$${b64}{43}$`),
    expected: '$5$<salt>$<43 characters>',
  },
  {
    prefix: '$y$',
    label: 'yescrypt ($y$)',
    shape: new RegExp(`^\\$y\\$${b64}+\\$${b64}+\\$${b64}{43}$`),
    expected: '$y$<parameters>$<salt>$<43 characters>',
  },
  {
    prefix: '$gy$',
    label: 'gost-yescrypt ($gy$)',
    shape: new RegExp(`^\\$gy\\$${b64}+\\$${b64}+\\$${b64}{43}$`),
    expected: '$gy$<parameters>$<salt>$<43 characters>',
  },
  ...['$2b$', '$2a$', '$2y$'].map((prefix) => ({
    prefix,
    label: `bcrypt (${prefix})`,
    shape: new RegExp(`^\\$2[aby]\\$(?:0[4-9]|[12][0-9]|3[01])\\$${b64}{53}$`),
    expected: `${prefix}<cost 04-31>$<53 characters>`,
  })),
];

const hashHint = 'create one with: openssl passwd -6';

export function normalizeCryptHash(value: string): string {
  const text = value.trim();
  for (const scheme of strongSchemes) {
    if (!text.startsWith(scheme.prefix)) continue;
    if (!scheme.shape.test(text)) reject(`the value starts like a ${scheme.label} hash but is malformed (expected ${scheme.expected})`);
    return text;
  }
  if (text.startsWith('$1$')) {
    reject(`the value is an MD5 crypt ($1$) hash, which is too weak: it is cracked in hours on one GPU; use SHA-512 instead (${hashHint})`);
  }
  const scheme = /^\$([^$]*)\$/.exec(text);
  if (scheme) {
    reject(`the value uses the crypt scheme $${scheme[1]}$, which berth does not accept; use SHA-512, SHA-256, yescrypt or bcrypt (${hashHint})`);
  }
  if (new RegExp(`^${b64}{13}$`).test(text)) {
    reject(`the value is either a traditional DES crypt hash, which is far too weak, or a plain-text password; store a SHA-512 hash instead (${hashHint})`);
  }
  reject(`the value is not a crypt(3) hash; it looks like a plain-text password, which berth does not store (${hashHint})`);
}

/**
 * GRUB checks passwords only against its own PBKDF2 format
 * (grub.pbkdf2.sha512.<iterations>.<salt hex>.<hash hex>), never crypt(3).
 */
export function normalizeGrubPasswordHash(value: string): string {
  const text = value.trim();
  const hint = 'create one with grub2-mkpasswd-pbkdf2 (grub-mkpasswd-pbkdf2 on Debian and Ubuntu)';
  const match = /^grub\.pbkdf2\.sha512\.([0-9]+)\.([0-9A-Fa-f]+)\.([0-9A-Fa-f]+)$/.exec(text);
  if (match) {
    const [, iterations, salt, hash] = match as unknown as [string, string, string, string];
    if (Number(iterations) < 1000) reject(`the GRUB password hash uses only ${iterations} PBKDF2 iterations; use at least 1000 (${hint})`);
    if (salt.length % 2 !== 0 || hash.length !== 128) reject(`the value starts like a GRUB PBKDF2 hash but its salt or hash is malformed (${hint})`);
    // grub-mkpasswd-pbkdf2 prints uppercase hex; keep one spelling.
    return `grub.pbkdf2.sha512.${Number(iterations)}.${salt.toUpperCase()}.${hash.toUpperCase()}`;
  }
  if (text.startsWith('grub.pbkdf2.')) reject(`the value starts like a GRUB PBKDF2 hash but is malformed (${hint})`);
  if (text.startsWith('$')) reject(`the value looks like a crypt(3) hash, which GRUB cannot check (${hint})`);
  reject(`the value is not a GRUB password hash; it looks like a plain-text password, which berth does not store (${hint})`);
}
