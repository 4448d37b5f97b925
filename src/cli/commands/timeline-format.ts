/** One line per boot event, for timelines and the live stream. */
import type { BootEvent } from '../../events/boot-event.ts';

export function formatEvent(event: BootEvent, withNode: boolean): string {
  const who = withNode ? `${(event.node ?? event.mac ?? event.ip ?? '-').padEnd(12)} ` : '';
  const detail = Object.entries(event.detail ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`)
    .join(' ');
  const address = event.ip && !withNode ? ` ip=${event.ip}` : '';
  return `${event.time.replace('T', ' ').replace('Z', '')}  ${who}${event.source.padEnd(9)} ${event.step.padEnd(9)} ${detail}${address}`.trimEnd();
}
