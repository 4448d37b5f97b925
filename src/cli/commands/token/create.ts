import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { expires: { type: 'string' as const, value: '30d|ISO-TIME', description: 'when the token stops working: a duration (90d, 12h) or a time' } };

/** `30d`, `12h`, `90m` or an ISO time. */
export function parseExpiry(text: string, now = Date.now()): string {
  const relative = /^(\d+)([dhm])$/.exec(text);
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
    return new Date(now + Number(relative[1]) * unit).toISOString();
  }
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new BerthError('BERTH_BAD_INPUT', `--expires '${text}' is neither a duration (30d, 12h, 90m) nor an ISO 8601 time`);
  return time.toISOString();
}

export async function run(context: CommandContext): Promise<void> {
  const [name] = context.positionals;
  if (name === undefined) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth token create <name> [--expires 30d|ISO-TIME]');
  const body: Record<string, unknown> = { name };
  const expires = context.values['expires'] as string | undefined;
  if (expires !== undefined) body['expires'] = parseExpiry(expires);
  const result = await context.client().request('POST', '/api/v1/tokens', body);
  if (context.json) return printJson(result);
  process.stdout.write(`${result.token}\n`);
  process.stderr.write(`token ${result.info.name} (id ${result.info.id}) created; it is shown only this once\n`);
}
