import { BerthError } from '../../../errors.ts';
import { captureTree } from '../../../images/capture/capture-tree.ts';
import { withNewTree } from '../../../images/tree/new-tree.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';
import { localImages, progress } from './local-images.ts';

export const options = {
  host: { type: 'string' as const, value: 'ADDRESS', description: "connect here (default: the node's address from the inventory, else its name)" },
  user: { type: 'string' as const, value: 'USER', description: 'SSH user (default root)' },
  port: { type: 'string' as const, value: 'N', description: 'SSH port (default 22)' },
  identity: { type: 'string' as const, value: 'FILE', description: 'SSH private key to log in with' },
  'known-hosts': { type: 'string' as const, value: 'FILE', description: "known_hosts file that vouches for the node's host key" },
  'ssh-option': { type: 'string' as const, multiple: true, value: 'NAME=VALUE', description: 'an extra ssh -o option' },
  exclude: { type: 'string' as const, multiple: true, value: 'PATTERN', description: 'also leave out paths matching PATTERN' },
  'source-root': { type: 'string' as const, value: 'DIR', description: 'capture this directory of the node instead of /' },
};

const USAGE = 'berth image capture <node> <name> [--host ADDRESS] [--user root] [--port 22] [--identity FILE] [--known-hosts FILE] [--ssh-option NAME=VALUE]... [--exclude PATTERN]... [--source-root DIR]';

/**
 * The node's address: --host, else the first `net.*.ipv4_address` or
 * `net.*.hostname` the inventory has for it (from the server), else its name.
 */
async function nodeAddress(context: CommandContext, node: string): Promise<string> {
  const given = context.values['host'] as string | undefined;
  if (given) return given;
  let result: { nodes: { name: string; attributes: Record<string, { value?: string }> }[] };
  try {
    result = await context.client().get('/api/v1/nodes', { range: node, attributes: 'net.*.ipv4_address,net.*.hostname' });
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_UNAVAILABLE') return node;
    throw e;
  }
  const attributes = result.nodes.find((n) => n.name === node)?.attributes;
  if (!attributes) throw new BerthError('BERTH_NOT_FOUND', `node '${node}' is not in the inventory; give its address with --host`);
  const pick = (suffix: string) => Object.entries(attributes).filter(([k, v]) => k.endsWith(suffix) && v.value).sort(([a], [b]) => (a < b ? -1 : 1))[0]?.[1].value;
  return pick('.ipv4_address')?.split('/')[0] ?? pick('.hostname') ?? node;
}

export async function run(context: CommandContext): Promise<void> {
  const [node, name, extra] = context.positionals;
  if (node === undefined || name === undefined || extra !== undefined) throw new BerthError('BERTH_BAD_INPUT', `usage: ${USAGE}`);
  const port = context.values['port'] === undefined ? undefined : Number(context.values['port']);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new BerthError('BERTH_BAD_INPUT', `--port ${context.values['port']} is not a TCP port`);
  const repo = await localImages(context, { write: true });
  const host = await nodeAddress(context, node);
  const say = progress();
  say(`capturing ${node} (${host}) over ssh into image ${name}`);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let captured: Awaited<ReturnType<typeof captureTree>> | undefined;
  try {
    const tree = await withNewTree(repo, name, async (root) => {
      captured = await captureTree({
        host,
        destination: root,
        signal: abort.signal,
        ...(context.values['user'] ? { user: context.values['user'] as string } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(context.values['identity'] ? { identityFile: context.values['identity'] as string } : {}),
        ...(context.values['known-hosts'] ? { knownHostsFile: context.values['known-hosts'] as string } : {}),
        ...(context.values['ssh-option'] ? { sshOptions: context.values['ssh-option'] as string[] } : {}),
        ...(context.values['exclude'] ? { extraExcludes: context.values['exclude'] as string[] } : {}),
        ...(context.values['source-root'] ? { sourceRoot: context.values['source-root'] as string } : {}),
      });
      const now = new Date().toISOString();
      return { name, origin: 'capture', capturedFrom: { node, host }, created: now, modified: now };
    });
    for (const warning of captured?.warnings ?? []) say(`warning: ${warning}`);
    if (context.json) return printJson({ ...tree, ...captured, destination: repo.layout(name).treeRoot });
    process.stdout.write(
      `captured ${node} into image ${name}: ${captured!.files} files, ${(captured!.bytes / 1048576).toFixed(1)} MiB\n` +
        `scrubbed ${captured!.scrubbed.join(', ') || 'nothing'}; left on the node: ssh host keys, berth node key, pseudo filesystems\n` +
        `next: berth image pack ${name}\n`,
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
