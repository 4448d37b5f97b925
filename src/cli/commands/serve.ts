import { BerthError } from '../../errors.ts';
import { parseListen, serveForever } from '../../server/serve.ts';
import type { ConfigLayer } from '../../server/config.ts';
import { logLevels } from '../../util/logger.ts';
import type { LogLevel } from '../../util/logger.ts';
import type { CommandContext } from '../command.ts';

export const options = {
  config: { type: 'string' as const, value: 'FILE', description: 'config file (or BERTH_CONFIG; default /etc/berth/berth.yaml)' },
  listen: { type: 'string' as const, multiple: true, value: 'HOST:PORT', description: 'where the HTTPS admin API listens (default *:8443); repeat for several' },
  'log-level': { type: 'string' as const, value: 'LEVEL', description: 'debug, info, warn or error' },
  'boot-http-port': { type: 'string' as const, value: 'N', description: 'boot HTTP port (0: any free port)' },
  'tftp-port': { type: 'string' as const, value: 'N', description: 'TFTP port (0: any free port)' },
  'dhcp-port': { type: 'string' as const, value: 'N', description: 'DHCP server port (0: any free port)' },
  'proxy-port': { type: 'string' as const, value: 'N', description: 'proxy DHCP port (0: any free port)' },
  'nbd-port': { type: 'string' as const, value: 'N|off', description: 'NBD port for tethered roots, or off' },
};

/** 0 is allowed here (any free port), for tests and labs running several servers side by side. */
function portFlag(context: CommandContext, name: string): number | undefined {
  const text = context.values[name] as string | undefined;
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new BerthError('BERTH_BAD_INPUT', `--${name} must be a port number 0-65535, not '${text}'`);
  return port;
}

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
  const boot: NonNullable<ConfigLayer['boot']> = {};
  const ports = [['boot-http-port', 'httpPort'], ['tftp-port', 'tftpPort'], ['dhcp-port', 'dhcpPort'], ['proxy-port', 'proxyPort']] as const;
  for (const [flag, key] of ports) {
    const port = portFlag(context, flag);
    if (port !== undefined) boot[key] = port;
  }
  if (context.values['nbd-port'] === 'off') boot.nbdPort = null;
  else {
    const nbd = portFlag(context, 'nbd-port');
    if (nbd !== undefined) boot.nbdPort = nbd;
  }
  if (Object.keys(boot).length > 0) flags.boot = boot;
  const configPath = context.values['config'] as string | undefined;
  await serveForever({ ...(configPath !== undefined ? { configPath } : {}), flags });
}
