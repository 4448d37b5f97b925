import type { AttributeSpec, AttributeType } from '../spec.ts';
import { normalizeDatetime, normalizeDeploymentArming } from './datetime.ts';
import {
  normalizeDomain,
  normalizeDomainList,
  normalizeHostname,
  normalizeHostnameList,
  normalizeKeymap,
  normalizeLocale,
  normalizeProfileName,
  normalizeTimezone,
} from './names.ts';
import { normalizeHost, normalizeHostList, normalizeIpv4, normalizeIpv4Cidr, normalizeIpv4List, normalizeMac } from './network.ts';
import { normalizeCryptHash, normalizeGrubPasswordHash } from './password-hashes.ts';
import { normalizeBoolean, normalizeEnum, normalizeInteger, normalizeString, normalizeText, normalizeUrl, normalizeUuid, rangeText } from './scalars.ts';
import { normalizeSshPublicKeys } from './ssh-public-keys.ts';

/** What a type accepts, in words, and the function that checks and normalizes it. */
export interface TypeRule {
  describe(spec?: Pick<AttributeSpec, 'values' | 'min' | 'max'>): string;
  /** Returns the stored form; throws ValueRejected with a reason. */
  normalize(value: string, spec: AttributeSpec): string;
}

export const typeRules: Record<AttributeType, TypeRule> = {
  string: { describe: () => 'one line of text', normalize: normalizeString },
  url: { describe: () => 'http:// or https:// URL', normalize: normalizeUrl },
  text: { describe: () => 'free text, may span several lines', normalize: normalizeText },
  mac: {
    describe: () => 'MAC address such as 52:54:00:12:34:56 (also accepted with - or no separators; stored lowercase with :)',
    normalize: normalizeMac,
  },
  ipv4: { describe: () => 'IPv4 address such as 10.0.0.1', normalize: normalizeIpv4 },
  'ipv4-cidr': {
    describe: () => 'IPv4 address with prefix length such as 10.0.0.5/24 (a netmask such as /255.255.255.0 is converted)',
    normalize: normalizeIpv4Cidr,
  },
  'ipv4-list': { describe: () => 'comma-separated IPv4 addresses such as 10.0.0.1,10.0.0.2', normalize: normalizeIpv4List },
  host: { describe: () => 'host name or IPv4 address', normalize: normalizeHost },
  'host-list': { describe: () => 'comma-separated host names or IPv4 addresses', normalize: normalizeHostList },
  hostname: { describe: () => "host name (letters, digits and '-', parts separated by dots; stored lowercase)", normalize: normalizeHostname },
  'hostname-list': {
    describe: () => "comma-separated host names (letters, digits and '-'; stored lowercase)",
    normalize: normalizeHostnameList,
  },
  domain: { describe: () => 'DNS domain name such as cluster.example.org', normalize: normalizeDomain },
  'domain-list': { describe: () => 'comma-separated DNS domain names', normalize: normalizeDomainList },
  boolean: { describe: () => 'true or false (yes/no, on/off, 1/0 accepted)', normalize: normalizeBoolean },
  uuid: {
    describe: () => 'UUID such as 4c4c4544-0042-3510-8052-b4c04f564433 (stored lowercase with dashes)',
    normalize: normalizeUuid,
  },
  integer: { describe: (spec) => (spec && rangeText(spec)) || 'a whole number', normalize: normalizeInteger },
  enum: {
    describe: (spec) => (spec?.values ? `one of: ${spec.values.join(', ')}` : 'one of a fixed set of words'),
    normalize: normalizeEnum,
  },
  'crypt-hash': {
    describe: () => 'crypt(3) password hash: SHA-512 ($6$), SHA-256 ($5$), yescrypt ($y$) or bcrypt ($2b$); create one with openssl passwd -6',
    normalize: normalizeCryptHash,
  },
  'grub-password-hash': {
    describe: () => 'GRUB PBKDF2 password hash (grub.pbkdf2.sha512...) as printed by grub2-mkpasswd-pbkdf2',
    normalize: normalizeGrubPasswordHash,
  },
  'ssh-public-keys': {
    describe: () => 'OpenSSH public keys, one per line, as in authorized_keys (ed25519, ECDSA or RSA of at least 2048 bits)',
    normalize: normalizeSshPublicKeys,
  },
  datetime: { describe: () => 'ISO-8601 date and time with time zone such as 2025-06-01T18:00:00Z (stored in UTC)', normalize: normalizeDatetime },
  'deployment-arming': {
    describe: () => 'once, continuous, or until=<ISO-8601 date and time> such as until=2025-06-01T18:00:00Z',
    normalize: normalizeDeploymentArming,
  },
  'profile-name': {
    describe: () => "profile name: letters, digits, '.', '_', '+' and '-', such as rocky-9.5-x86_64-compute",
    normalize: normalizeProfileName,
  },
  timezone: { describe: () => 'IANA time zone name such as Europe/Berlin or UTC', normalize: normalizeTimezone },
  locale: { describe: () => 'locale name such as en_US.UTF-8 or C.UTF-8', normalize: normalizeLocale },
  keymap: { describe: () => 'console keyboard layout such as us or de-nodeadkeys', normalize: normalizeKeymap },
};
