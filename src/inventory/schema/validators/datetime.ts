import { quote, reject } from './rejection.ts';

const expected = 'expected an ISO-8601 date and time with a time zone, such as 2025-06-01T18:00:00Z or 2025-06-01T20:00+02:00';

/**
 * ISO-8601 / RFC 3339 date and time, stored in UTC (2025-06-01T18:00:00Z).
 * The zone is required: the value may be read by another berth server in
 * another zone, and "18:00" alone would mean different moments to each.
 */
export function normalizeDatetime(value: string): string {
  const text = value.trim();
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?$/.exec(text);
  if (!m) reject(`${quote(value)} is not a date and time (${expected})`);
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (m[8] === undefined && m[9] === undefined) reject(`${quote(value)} has no time zone (${expected})`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    reject(`${quote(value)} is not a real date and time (${expected})`);
  }
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) reject(`${quote(value)} has an invalid time zone offset (${expected})`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // Date.UTC treats years 0-99 as 1900+; setUTCFullYear does not.
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  local.setUTCFullYear(year);
  const instant = new Date(local.getTime() - offsetMinutes * 60_000);
  const iso = instant.toISOString();
  return millis === 0 && instant.getUTCMilliseconds() === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

/**
 * deployment.armed: 'once', 'continuous' or 'until=<datetime>'. Whether the
 * time has passed is for the boot code to decide, not for validation.
 */
export function normalizeDeploymentArming(value: string): string {
  const text = value.trim();
  const lower = text.toLowerCase();
  if (lower === 'once' || lower === 'continuous') return lower;
  if (lower.startsWith('until=')) return `until=${normalizeDatetime(text.slice('until='.length))}`;
  reject(`${quote(value)} is not once, continuous or until=<date and time> (such as until=2025-06-01T18:00:00Z)`);
}
