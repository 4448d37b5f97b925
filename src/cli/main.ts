/**
 * `berth`: the command-line client of the admin API (and `berth serve`, the
 * daemon itself). Finds the command, parses its arguments, runs it, and maps
 * any error to a message on stderr and a stable exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { parse } from './args.ts';
import { ApiClient, parseServerUrl } from './client.ts';
import { COMMANDS } from './commands.ts';
import type { CommandEntry } from './commands.ts';
import { EXIT, EXIT_CODE_HELP, exitCodeFor } from './exit-codes.ts';
import { formatError, quietOnClosedPipes } from './output.ts';
import { VERSION } from '../version.ts';

const STRING_GLOBALS = new Set(['--server', '--token', '--token-file', '--ca', '--socket', '--state-dir']);

function findCommand(argv: string[]): { entry?: CommandEntry; rest: string[]; words: string[] } {
  const words: string[] = [];
  const positions: number[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (STRING_GLOBALS.has(arg)) i++;
      continue;
    }
    words.push(arg);
    positions.push(i);
  }
  for (const length of [2, 1]) {
    const entry = COMMANDS.find((c) => c.path.length === length && c.path.every((p, i) => p === words[i]));
    if (entry) {
      const rest = argv.filter((_, i) => !positions.slice(0, length).includes(i));
      return { entry, rest, words };
    }
  }
  return { rest: argv, words };
}

function help(prefix: string[] = []): string {
  const entries = COMMANDS.filter((c) => prefix.every((p, i) => c.path[i] === p));
  const width = Math.max(...entries.map((c) => c.path.join(' ').length));
  const lines = entries.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `berth ${VERSION}: deploys operating systems to fleets of bare-metal machines

Usage: berth <command> [arguments] [--json] [--server URL --token-file FILE [--ca FILE]]

Commands:
${lines.join('\n')}

Global options:
  --json            machine-readable output (errors too, on stderr)
  --server URL      remote server over HTTPS (or BERTH_SERVER); needs a token:
  --token-file FILE file holding the token (or BERTH_TOKEN_FILE); or BERTH_TOKEN in the environment.
                    --token TOKEN works too, but the command line is visible to every local user (ps)
  --ca FILE         CA certificate for --server (or BERTH_CA); the server's is at <state-dir>/public/ca.pem
  --socket PATH     local admin socket (or BERTH_SOCKET; default <state-dir>/admin.sock)
  --state-dir DIR   state directory of the local server (or BERTH_STATE_DIR; default /var/lib/berth)

Noderanges: n1-n20, n[1-20], n[01-20], r[1-3]u[01-10], n1+3, n[1:20:2], ~regex,
  attr=value (also == != =~ !~), a,b (union), a,-b (minus), a@b (both), (..), range>COUNT<SKIP

${EXIT_CODE_HELP}
`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(help(argv.slice(1).filter((a) => !a.startsWith('-'))));
    return argv.length === 0 ? EXIT.badInput : EXIT.ok;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    process.stdout.write(`berth ${VERSION}\n`);
    return EXIT.ok;
  }
  const json = argv.includes('--json');
  const { entry, rest, words } = findCommand(argv);
  try {
    if (!entry) {
      const known = COMMANDS.some((c) => c.path[0] === words[0]);
      if (known && (argv.includes('--help') || argv.includes('-h') || words.length === 1)) {
        process.stdout.write(help([words[0]!]));
        return words.length === 1 && !argv.includes('--help') && !argv.includes('-h') ? EXIT.badInput : EXIT.ok;
      }
      throw new BerthError('BERTH_BAD_INPUT', `unknown command '${words.join(' ')}' (see: berth help)`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${entry.summary}\nusage: ${entry.usage}\n`);
      return EXIT.ok;
    }
    const module = await entry.load();
    const parsed = parse(rest, module.options ?? {}, entry.usage);
    const values = parsed.values;
    const stateDir = (values['state-dir'] as string | undefined) ?? process.env['BERTH_STATE_DIR'] ?? '/var/lib/berth';
    let client: ApiClient | undefined;
    const code = await module.run({
      ...parsed,
      json,
      stateDir,
      client: () =>
        (client ??= new ApiClient({
          socketPath: (values['socket'] as string | undefined) ?? process.env['BERTH_SOCKET'] ?? join(stateDir, 'admin.sock'),
          ...serverUrl(values['server'] as string | undefined),
          ...optional('token', bearerToken(values)),
          ...optional('caFile', (values['ca'] as string | undefined) ?? (process.env['BERTH_CA'] || undefined)),
        })),
    });
    return code ?? EXIT.ok;
  } catch (e) {
    const error = e instanceof BerthError ? e : new BerthError('BERTH_INTERNAL', (e as Error).stack ?? String(e));
    process.stderr.write(json ? JSON.stringify({ error: error.toJSON() }) + '\n' : formatError(error));
    return exitCodeFor(error.code);
  }
}

/**
 * The token for --server: --token, --token-file, BERTH_TOKEN, BERTH_TOKEN_FILE,
 * first found. A file or the environment keeps the secret out of argv, which
 * every local user can read in /proc/<pid>/cmdline.
 */
function bearerToken(values: Record<string, unknown>): string | undefined {
  const inline = values['token'] as string | undefined;
  if (inline !== undefined) return inline;
  const file = values['token-file'] as string | undefined;
  if (file !== undefined) return readTokenFile(file, '--token-file');
  if (process.env['BERTH_TOKEN']) return process.env['BERTH_TOKEN'];
  const envFile = process.env['BERTH_TOKEN_FILE'];
  return envFile ? readTokenFile(envFile, 'BERTH_TOKEN_FILE') : undefined;
}

function readTokenFile(path: string, from: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BerthError('BERTH_BAD_INPUT', `${from} ${path}: cannot read the token: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new BerthError('BERTH_BAD_INPUT', `${from} ${path}: the file must hold one token and nothing else`, { file: path });
  return token;
}

/** --server, else BERTH_SERVER (an empty one means none); the error names which of the two was wrong. */
function serverUrl(flag: string | undefined): { server?: URL } {
  if (flag !== undefined) return { server: parseServerUrl(flag, '--server') };
  const env = process.env['BERTH_SERVER'];
  return env ? { server: parseServerUrl(env, 'BERTH_SERVER') } : {};
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: string });
}

quietOnClosedPipes();
process.exitCode = await main(process.argv.slice(2));
