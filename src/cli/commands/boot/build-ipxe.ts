/**
 * `berth boot build-ipxe`: builds, on the server host, an iPXE that trusts
 * only berth's CA and fetches each machine's script, kernel and initrds over
 * HTTPS (boot/ipxe/build/). `berth serve` serves it from its next start.
 */
import { BerthError } from '../../../errors.ts';
import { DEFAULT_BOOT_HTTPS_PORT } from '../../../boot/ipxe/build/build-plan.ts';
import { buildTrustingIpxe } from '../../../boot/ipxe/build/ipxe-build.ts';
import { prepareStateDir } from '../../../state/state-dir.ts';
import { createLogger } from '../../../util/logger.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const usage = 'berth boot build-ipxe [--source DIR|TARBALL] [--https-port N] [--chain-host HOST] [--mirror URL] [--install-deps]';

export const options = {
  source: { type: 'string' as const, value: 'DIR|TARBALL', description: 'build from this iPXE source tree or tarball (default: download the pinned release)' },
  'https-port': { type: 'string' as const, value: 'N', description: 'the boot HTTPS port the built iPXE chains to' },
  // --server is the CLI's own (the API URL), hence the longer name here.
  'chain-host': { type: 'string' as const, value: 'HOST', description: "the host name or address iPXE chains to (default: each network's server address)" },
  mirror: { type: 'string' as const, value: 'URL', description: 'where to download the iPXE source from' },
  'install-deps': { type: 'boolean' as const, description: "install the packages the build needs (gcc, make, ...) with the host's package manager" },
};

export async function run(context: CommandContext): Promise<void> {
  if (context.positionals.length > 0) throw new BerthError('BERTH_BAD_INPUT', `unexpected argument '${context.positionals[0]}'\nusage: ${usage}`);
  if (process.getuid?.() !== 0) throw new BerthError('BERTH_FORBIDDEN', 'berth boot build-ipxe needs root: it writes the server state dir (and installs build packages with --install-deps)');
  const portText = context.values['https-port'];
  const httpsPort = typeof portText === 'string' ? Number(portText) : DEFAULT_BOOT_HTTPS_PORT;
  if (typeof portText === 'string' && !/^[0-9]+$/.test(portText)) throw new BerthError('BERTH_BAD_INPUT', `--https-port must be a port number, got '${portText}'`);
  const { layout } = await prepareStateDir(context.stateDir);
  const value = (name: string) => (typeof context.values[name] === 'string' ? (context.values[name] as string) : undefined);
  const source = value('source');
  const server = value('chain-host');
  const mirror = value('mirror');
  const built = await buildTrustingIpxe({
    layout,
    httpsPort,
    ...(source !== undefined ? { source } : {}),
    ...(server !== undefined ? { server } : {}),
    ...(mirror !== undefined ? { mirror } : {}),
    installDependencies: context.values['install-deps'] === true,
    log: createLogger({ fields: { component: 'build-ipxe' } }),
  });
  if (context.json) return printJson(built);
  const m = built.metadata;
  process.stdout.write(
    `built iPXE ${m.source.version} in ${m.buildSeconds} s into ${built.dir}\n` +
      `trusts only berth's CA ${m.caFingerprintSha256}\n` +
      `chains ${m.chainUrl}\n` +
      Object.entries(m.loaders).map(([name, l]) => `  ${name} ${l!.bytes} bytes\n`).join('') +
      'restart berth serve to serve it (TFTP and /boot/loader/), with boot HTTPS on port ' + `${m.httpsPort}\n`,
  );
}
