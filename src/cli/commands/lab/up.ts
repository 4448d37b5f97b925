import { BerthError } from '../../../errors.ts';
import type { BootEvent } from '../../../events/boot-event.ts';
import { startBerthLab } from '../../../lab/berth-lab.ts';
import { markerPattern, parseMarker } from '../../../lab/test-initramfs.ts';
import type { Firmware } from '../../../lab/vm.ts';
import { ApiClient } from '../../client.ts';
import type { CommandContext } from '../../command.ts';
import { formatEvent } from '../timeline-format.ts';

export const options = {
  nodes: { type: 'string' as const, default: '3', value: 'N', description: 'how many VMs to network-boot, 1 to 20 (default 3)' },
  firmware: { type: 'string' as const, default: 'bios', value: 'bios|uefi', description: "the VMs' firmware (default bios)" },
  'exit-when-booted': { type: 'boolean' as const, description: 'tear the lab down and exit once every VM has booted (for scripts and CI)' },
};

/**
 * Try berth without hardware: a lab network with berth serving DHCP, TFTP
 * and HTTP boot, N VMs defined as nodes and powered on, their boot events
 * shown live. Runs until Ctrl-C, then removes everything it made.
 */
export async function run(context: CommandContext): Promise<number> {
  const nodes = Number(context.values['nodes']);
  const firmware = context.values['firmware'] as string;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 20) throw new BerthError('BERTH_BAD_INPUT', '--nodes must be 1 to 20');
  if (firmware !== 'bios' && firmware !== 'uefi') throw new BerthError('BERTH_BAD_INPUT', '--firmware must be bios or uefi');
  if (process.getuid?.() !== 0) throw new BerthError('BERTH_FORBIDDEN', 'berth lab needs root: it creates a network namespace, a bridge and tap devices');
  process.stdout.write(`berth lab: preparing a lab network with ${nodes} node(s) (downloads the Debian kernel on first use)...\n`);
  const lab = await startBerthLab({ nodes, firmware: firmware as Firmware });
  try {
    process.stdout.write(
      `lab ${lab.lab.name}: berth serves DHCP, TFTP and HTTP boot on ${lab.serverAddress}; nodes ${lab.lab.nodes.map((n) => n.name).join(', ')}\n` +
        `in another shell:  export BERTH_SOCKET=${lab.socket}; berth node list; berth node timeline ${lab.lab.nodes[0]!.name}\n` +
        `consoles: ${lab.lab.dir}/<node>.console.log\n\n`,
    );
    const client = new ApiClient({ socketPath: lab.socket });
    // Ends by itself when the lab's berth stops at teardown.
    void (async () => {
      for await (const event of client.events('/api/v1/events')) process.stdout.write(formatEvent(event as BootEvent, true) + '\n');
    })().catch(() => undefined);
    const started = Date.now();
    const booted = await Promise.all(
      lab.lab.nodes.map(async (_node, index) => {
        const vm = await lab.lab.bootVm(index);
        const marker = parseMarker(await vm.waitForConsole(markerPattern, 600_000));
        process.stdout.write(`>>> ${marker.node} booted its profile: marker on the console after ${((Date.now() - vm.startedAt) / 1000).toFixed(1)} s\n`);
        return vm;
      }),
    );
    process.stdout.write(`\nall ${booted.length} node(s) booted in ${((Date.now() - started) / 1000).toFixed(1)} s (TCG, no KVM)\n`);
    if (!context.values['exit-when-booted']) {
      process.stdout.write('press Ctrl-C to tear the lab down\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return 0;
  } finally {
    await lab.down();
    process.stdout.write(`lab ${lab.lab.name} removed\n`);
  }
}
