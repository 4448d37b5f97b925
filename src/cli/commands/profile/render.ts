import { BerthError } from '../../../errors.ts';
import type { CommandContext } from '../../command.ts';
import { printJson } from '../../output.ts';

export const options = { firmware: { type: 'string' as const, value: 'bios|uefi', description: 'render for this firmware (default: what the node last booted with)' }, ipxe: { type: 'boolean' as const, description: 'print the iPXE script that starts the installer instead of the answer file' } };

interface Rendered {
  node: string;
  profile: string;
  family: string;
  fileName: string;
  template: string;
  text: string;
  ipxe: string;
  deployed: boolean;
  problems: { line: number; message: string }[];
}

/**
 * The answer file on stdout, exactly as the node receives it (so it can be
 * piped into a checker or diffed); what it came from and what the family's
 * checker found on stderr. Exit 4 (conflict) when the checker finds problems.
 */
export async function run(context: CommandContext): Promise<void> {
  const [profile, node] = context.positionals;
  if (profile === undefined || node === undefined) throw new BerthError('BERTH_BAD_INPUT', 'missing profile or node\nusage: berth profile render <profile> <node> [--ipxe] [--firmware bios|uefi]');
  const firmware = context.values['firmware'];
  if (firmware !== undefined && firmware !== 'bios' && firmware !== 'uefi') throw new BerthError('BERTH_BAD_INPUT', `--firmware ${String(firmware)}: use bios or uefi`);
  const rendered = (await context.client().get(`/api/v1/profiles/${encodeURIComponent(profile)}/render/${encodeURIComponent(node)}`, firmware ? { firmware } : undefined)) as Rendered;
  if (context.json) return printJson(rendered);
  process.stdout.write(context.values['ipxe'] === true ? rendered.ipxe : rendered.text);
  process.stderr.write(`# ${rendered.fileName} for ${rendered.node} (${rendered.family}, from ${rendered.template})${rendered.deployed ? '' : '; not deployed yet: the URLs hold a placeholder token'}\n`);
  for (const p of rendered.problems) process.stderr.write(`# line ${p.line}: ${p.message}\n`);
  if (rendered.problems.length > 0) throw new BerthError('BERTH_CONFLICT', `the ${rendered.family} checker found ${rendered.problems.length} problem(s) in the rendered ${rendered.fileName}; berth deploy refuses it until they are fixed`);
}
