import type { AttributeSpec } from '../spec.ts';
import { quote, reject } from './rejection.ts';

/**
 * One line of free text. Surrounding spaces are dropped (dmidecode pads
 * serial numbers); control characters are refused because these values end
 * up in generated config files and terminal tables.
 */
export function normalizeString(value: string): string {
  const text = value.trim();
  if (text === '') reject('the value is only white space; unset the attribute instead');
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) reject(`${quote(value)} contains a line break or control character, which is not allowed here`);
  return text;
}

/** Free text for custom.*: anything but NUL, which no file or shell argument can carry. */
export function normalizeText(value: string): string {
  if (value.includes('\u0000')) reject(`${quote(value)} contains a NUL character`);
  return value;
}

const booleanWords: Record<string, string> = {
  true: 'true',
  yes: 'true',
  on: 'true',
  '1': 'true',
  false: 'false',
  no: 'false',
  off: 'false',
  '0': 'false',
};

export function normalizeBoolean(value: string): string {
  const word = booleanWords[value.trim().toLowerCase()];
  if (word === undefined) reject(`${quote(value)} is not true or false (yes/no, on/off and 1/0 are accepted too)`);
  return word;
}

export function normalizeInteger(value: string, spec: AttributeSpec): string {
  const text = value.trim();
  const range = rangeText(spec);
  if (!/^[+-]?[0-9]+$/.test(text)) reject(`${quote(value)} is not a whole number${range ? ` (expected ${range})` : ''}`);
  const number = Number(text);
  if (!Number.isSafeInteger(number)) reject(`${quote(value)} is too large a number${range ? ` (expected ${range})` : ''}`);
  if ((spec.min !== undefined && number < spec.min) || (spec.max !== undefined && number > spec.max)) {
    reject(`${quote(value)} is out of range (expected ${range})`);
  }
  // String(Number(...)) drops '+', leading zeros and '-0'.
  return String(number === 0 ? 0 : number);
}

export function rangeText(spec: Pick<AttributeSpec, 'min' | 'max'>): string {
  if (spec.min !== undefined && spec.max !== undefined) return `a whole number from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `a whole number of at least ${spec.min}`;
  if (spec.max !== undefined) return `a whole number of at most ${spec.max}`;
  return '';
}

/** Case-insensitive, stored as the schema spells it. */
export function normalizeEnum(value: string, spec: AttributeSpec): string {
  const values = spec.values ?? [];
  const wanted = value.trim().toLowerCase();
  const match = values.find((v) => v.toLowerCase() === wanted);
  if (match === undefined) reject(`${quote(value)} is not one of ${values.join(', ')}`);
  return match;
}

/**
 * SMBIOS UUIDs, with or without dashes or braces; stored lowercase with
 * dashes as Linux shows them in /sys/class/dmi/id/product_uuid.
 */
export function normalizeUuid(value: string): string {
  const text = value.trim().toLowerCase().replace(/^\{(.*)\}$/, '$1');
  const expected = 'expected 32 hex digits such as 4c4c4544-0042-3510-8052-b4c04f564433';
  let hex: string | undefined;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) hex = text.replace(/-/g, '');
  else if (/^[0-9a-f]{32}$/.test(text)) hex = text;
  if (hex === undefined) reject(`${quote(value)} is not a UUID (${expected})`);
  // SMBIOS 2.6 section 7.2.1: all ones means "not present", all zeros "not set".
  // Many boards ship like that, and two such nodes would be mistaken for each other.
  if (/^0+$/.test(hex) || /^f+$/.test(hex)) {
    reject(`${quote(value)} is a placeholder UUID the firmware reports when it has none, so it cannot identify a node`);
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An http(s) URL as written; answer files carry it into installer syntax, so no spaces, quotes or shell characters. */
export function normalizeUrl(value: string): string {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reject(`${quote(text)} is not a URL (such as http://10.0.0.1:3142)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') reject(`${quote(text)} has the scheme ${url.protocol.replace(/:$/, '')}; only http and https are supported`);
  if (!/^[A-Za-z0-9._~:/?#@!$&()*+,;=%[\]-]+$/.test(text) || /['"`\\]/.test(text)) reject(`${quote(text)} has characters a URL cannot hold unescaped (spaces, quotes)`);
  return text;
}
