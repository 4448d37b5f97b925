import { BerthError } from '../../errors.ts';
import { parseListen, serveForever } from '../../server/serve.ts';
import type { ConfigLayer } from '../../server/config.ts';
import { logLevels } from '../../util/logger.ts';
import type { LogLevel } from '../../util/logger.ts';
import type { CommandContext } from '../command.ts';

export const options = {
  config: { type: 'string' as const },
  listen: { type: 'string' as const, multiple: true },
  'log-level': { type: 'string' as const },
};

export async function run(context: CommandContext): Promise<void> {
  if (context.positionals.length > 0) throw new BerthError('BERTH_BAD_INPUT', 'usage: berth serve [--state-dir DIR] [--config FILE] [--listen HOST:PORT]... [--log-level LEVEL]');
  const flags: ConfigLayer = {};
  if (context.values['state-dir'] !== undefined) flags.stateDir = context.values['state-dir'] as string;
  const listen = context.values['listen'] as string[] | undefined;
  if (listen) flags.api = { listen: listen.map(parseListen) };
  const level = context.values['log-level'] as string | undefined;
  if (level !== undefined) {
    if (!(logLevels as readonly string[]).includes(level)) throw new BerthError('BERTH_BAD_INPUT', `--log-level must be one of ${logLevels.join(', ')}, not '${level}'`);
    flags.log = { level: level as LogLevel };
  }
  const configPath = context.values['config'] as string | undefined;
  await serveForever({ ...(configPath !== undefined ? { configPath } : {}), flags });
}
