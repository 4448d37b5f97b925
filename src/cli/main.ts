/**
 * `berth`: the command-line client of the admin API (and `berth serve`, the
 * daemon itself). Finds the command, parses its arguments, runs it, and maps
 * any error to a message on stderr and a stable exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { GLOBAL_OPTIONS, parse } from './args.ts';
import { ApiClient, parseServerUrl } from './client.ts';
import { COMMANDS } from './commands.ts';
import type { CommandEntry } from './commands.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { commandHelp, commandList, resolveHelp, unknownCommand } from './help.ts';
import { checkNoderangeWords } from './noderange-words.ts';
import { formatError, quietOnClosedPipes } from './output.ts';
import { VERSION } from '../version.ts';

const STRING_GLOBALS = new Set(Object.entries(GLOBAL_OPTIONS).filter(([, flag]) => flag.type === 'string').map(([name]) => `--${name}`));

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

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === 'version') {
    process.stdout.write(`berth ${VERSION}\n`);
    return EXIT.ok;
  }
  const json = argv.includes('--json');
  // Flags after `--` belong to the command berth runs (`image exec x -- ls --help`).
  const ours = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const wantsHelp = ours.includes('--help') || ours.includes('-h');
  try {
    if (argv.length === 0) {
      process.stdout.write(commandList());
      return EXIT.badInput;
    }
    if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
      const found = resolveHelp(argv.slice(1).filter((a) => !a.startsWith('-')));
      process.stdout.write('text' in found ? found.text : commandHelp(found.entry, await found.entry.load()));
      return EXIT.ok;
    }
    const { entry, rest, words } = findCommand(argv);
    if (!entry) {
      const known = COMMANDS.some((c) => c.path[0] === words[0]);
      if (known && (wantsHelp || words.length === 1)) {
        process.stdout.write(commandList(words[0]!));
        return words.length === 1 && !wantsHelp ? EXIT.badInput : EXIT.ok;
      }
      throw unknownCommand(words);
    }
    const module = await entry.load();
    if (wantsHelp) {
      process.stdout.write(commandHelp(entry, module));
      return EXIT.ok;
    }
    const parsed = parse(rest, module.options ?? {}, entry.usage, module.assignments);
    for (const warning of checkNoderangeWords(entry, parsed.positionals)) {
      process.stderr.write(json ? JSON.stringify({ warning: { message: warning } }) + '\n' : `berth: warning: ${warning}\n`);
    }
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
