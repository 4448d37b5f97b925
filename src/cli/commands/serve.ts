import { BerthError } from '../../errors.ts';
import { parseListen, serveForever } from '../../server/serve.ts';
import type { CommandContext } from '../command.ts';

export const options = {
  config: { type: 'string' as const },
  listen: { type: 'string' as const, multiple: true },
};

export async function run(context: CommandContext): Promise<void> {
  if (context.positionals.length > 0) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth serve [--state-dir DIR] [--config FILE] [--listen HOST:PORT]...');
  const flags: { stateDir?: string; api?: { listen: { host: string | undefined; port: number }[] } } = {};
  if (context.values['state-dir'] !== undefined) flags.stateDir = context.values['state-dir'] as string;
  const listen = context.values['listen'] as string[] | undefined;
  if (listen) flags.api = { listen: listen.map(parseListen) };
  const configPath = context.values['config'] as string | undefined;
  await serveForever({ ...(configPath !== undefined ? { configPath } : {}), flags });
}
