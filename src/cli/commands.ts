/**
 * The command tree. Modules load lazily so `berth node show` pays only for
 * the code it runs: the CLI's start-up time is most of its round trip.
 * The folder layout under commands/ mirrors this table.
 */
import type { CommandModule } from './command.ts';

export interface CommandEntry {
  path: string[];
  summary: string;
  usage: string;
  /** Attribute-name completion applies to its positional words. */
  completes?: 'nodes' | 'groups' | 'tokens';
  load(): Promise<CommandModule>;
}

export const COMMANDS: CommandEntry[] = [
  { path: ['serve'], summary: 'Run the berth server', usage: 'berth serve [--state-dir DIR] [--config FILE] [--listen HOST:PORT]... [--log-level LEVEL] [--boot-http-port N] [--tftp-port N] [--dhcp-port N] [--proxy-port N] [--nbd-port N|off]', load: () => import('./commands/serve.ts') },
  { path: ['status'], summary: 'Show whether the server runs, its version and inventory size', usage: 'berth status', load: () => import('./commands/status.ts') },
  { path: ['node', 'define'], summary: 'Define nodes', usage: 'berth node define <noderange> [groups=G1,G2] [ATTR=VALUE...] | berth node define --csv FILE', load: () => import('./commands/node/define.ts') },
  { path: ['node', 'set'], summary: 'Set attributes (or groups=...) of nodes', usage: 'berth node set <noderange> ATTR=VALUE... [groups=G1,G2] [--dry-run] [--yes]', completes: 'nodes', load: () => import('./commands/node/set.ts') },
  { path: ['node', 'unset'], summary: 'Unset attributes of nodes (inherited values show again)', usage: 'berth node unset <noderange> ATTR... [--dry-run] [--yes]', completes: 'nodes', load: () => import('./commands/node/unset.ts') },
  { path: ['node', 'show'], summary: 'Show resolved attributes of nodes', usage: 'berth node show <noderange> [ATTR-GLOB...] [--provenance]', completes: 'nodes', load: () => import('./commands/node/show.ts') },
  { path: ['node', 'list'], summary: 'List nodes (all, or a noderange) with optional attribute columns', usage: 'berth node list [<noderange>] [ATTR...] [--names | --compress]', completes: 'nodes', load: () => import('./commands/node/list.ts') },
  { path: ['node', 'remove'], summary: 'Remove nodes', usage: 'berth node remove <noderange> [--dry-run] [--yes]', completes: 'nodes', load: () => import('./commands/node/remove.ts') },
  { path: ['node', 'rename'], summary: 'Rename nodes to a name, an expression or an equal-size noderange', usage: "berth node rename <noderange> <new-name | 'c{n1}' | new-noderange> [--dry-run] [--yes]", completes: 'nodes', load: () => import('./commands/node/rename.ts') },
  { path: ['node', 'timeline'], summary: "A node's boot steps with timestamps (DHCP, TFTP, script, kernel, initrd)", usage: 'berth node timeline <node|mac> [--limit N]', completes: 'nodes', load: () => import('./commands/node/timeline.ts') },
  { path: ['group', 'define'], summary: 'Define a group', usage: 'berth group define <name> [ATTR=VALUE...] [--description TEXT]', load: () => import('./commands/group/define.ts') },
  { path: ['group', 'set'], summary: 'Set group attributes (expressions evaluate per member)', usage: 'berth group set <name> ATTR=VALUE... [--description TEXT]', completes: 'groups', load: () => import('./commands/group/set.ts') },
  { path: ['group', 'unset'], summary: 'Unset group attributes', usage: 'berth group unset <name> ATTR...', completes: 'groups', load: () => import('./commands/group/unset.ts') },
  { path: ['group', 'show'], summary: 'Show a group: attributes and members', usage: 'berth group show <name>', completes: 'groups', load: () => import('./commands/group/show.ts') },
  { path: ['group', 'list'], summary: 'List groups', usage: 'berth group list', load: () => import('./commands/group/list.ts') },
  { path: ['group', 'remove'], summary: 'Remove a group', usage: 'berth group remove <name> [--force]', completes: 'groups', load: () => import('./commands/group/remove.ts') },
  { path: ['attributes'], summary: 'The attribute schema with types and descriptions', usage: 'berth attributes [GLOB]', load: () => import('./commands/attributes.ts') },
  { path: ['noderange', 'expand'], summary: 'Print the nodes a noderange selects', usage: 'berth noderange expand <noderange>', load: () => import('./commands/noderange/expand.ts') },
  { path: ['noderange', 'compress'], summary: 'Print the shortest noderange for names (arguments or stdin)', usage: 'berth noderange compress [NAME...]', load: () => import('./commands/noderange/compress.ts') },
  { path: ['inventory', 'export'], summary: 'Export the whole inventory as YAML or JSON', usage: 'berth inventory export [--format yaml|json] [--output FILE]', load: () => import('./commands/inventory/export.ts') },
  { path: ['inventory', 'import'], summary: 'Import an inventory document (replaces, or --merge)', usage: 'berth inventory import <FILE|-> [--merge]', load: () => import('./commands/inventory/import.ts') },
  { path: ['token', 'create'], summary: 'Create an API token for HTTPS use (printed once)', usage: 'berth token create <name> [--expires 30d|ISO-TIME]', load: () => import('./commands/token/create.ts') },
  { path: ['token', 'list'], summary: 'List API tokens', usage: 'berth token list', load: () => import('./commands/token/list.ts') },
  { path: ['token', 'revoke'], summary: 'Revoke an API token by id or name', usage: 'berth token revoke <id|name>', completes: 'tokens', load: () => import('./commands/token/revoke.ts') },
  { path: ['events'], summary: 'Follow boot events live, of all machines or a noderange', usage: 'berth events --follow [<noderange>]', load: () => import('./commands/events.ts') },
  { path: ['discover', 'list'], summary: 'Machines that booted without being in the inventory', usage: 'berth discover list', load: () => import('./commands/discover/list.ts') },
  { path: ['discover', 'assign'], summary: 'Make a discovered machine a node (sets its MAC)', usage: 'berth discover assign <mac|uuid> <node> [--interface NAME]', load: () => import('./commands/discover/assign.ts') },
  { path: ['discover', 'forget'], summary: 'Forget a discovered machine', usage: 'berth discover forget <mac>', load: () => import('./commands/discover/forget.ts') },
  { path: ['discover', 'policy'], summary: 'Show or set how discovered machines become nodes', usage: 'berth discover policy [manual | uuid | sequential <noderange>] [--interface NAME]', load: () => import('./commands/discover/policy.ts') },
  { path: ['boot', 'status'], summary: 'Boot services: ports, networks, refused-packet counters', usage: 'berth boot status', load: () => import('./commands/boot/status.ts') },
  { path: ['boot', 'leases'], summary: 'DHCP leases: one per machine across PXE ROM, iPXE and the OS', usage: 'berth boot leases', load: () => import('./commands/boot/leases.ts') },
  { path: ['boot', 'build-ipxe'], summary: "Build an iPXE that trusts only berth's CA and boots over HTTPS (on the server, as root)", usage: 'berth boot build-ipxe [--source DIR|TARBALL] [--https-port N] [--chain-host HOST] [--mirror URL] [--install-deps]', load: () => import('./commands/boot/build-ipxe.ts') },
  { path: ['lab', 'up'], summary: 'Try berth without hardware: a lab network, berth serving it, VMs that network-boot', usage: 'berth lab up [--nodes 3] [--firmware bios|uefi] [--exit-when-booted]', load: () => import('./commands/lab/up.ts') },
  { path: ['lab', 'down'], summary: 'Remove labs left behind (or --all)', usage: 'berth lab down [--all]', load: () => import('./commands/lab/down.ts') },
  { path: ['lab', 'status'], summary: 'List labs on this machine', usage: 'berth lab status', load: () => import('./commands/lab/status.ts') },
  { path: ['image', 'build'], summary: "Build an image tree from a distribution's repositories (root)", usage: 'berth image build <name> --distro ID [--packages a,b]... [--arch ARCH] [--mirror URL] [--package-cache DIR]', load: () => import('./commands/image/build.ts') },
  { path: ['image', 'exec'], summary: "Run a command inside an image tree, in its own namespaces; its exit status is berth's", usage: 'berth image exec <name> -- COMMAND [ARG...]', load: () => import('./commands/image/exec.ts') },
  { path: ['image', 'shell'], summary: 'An interactive shell inside an image tree', usage: 'berth image shell <name>', load: () => import('./commands/image/shell.ts') },
  { path: ['image', 'pack'], summary: 'Pack the tree into a new immutable version: squashfs, encrypted, dm-verity, package manifest', usage: 'berth image pack <name> [--level 1-22]', load: () => import('./commands/image/pack.ts') },
  { path: ['image', 'unpack'], summary: 'Unpack a version (verified) into an editable tree', usage: 'berth image unpack <name>@<n> [--as NEW-NAME]', load: () => import('./commands/image/unpack.ts') },
  { path: ['image', 'clone'], summary: "A new image from another's tree (or its newest version)", usage: 'berth image clone <name>[@n] <new-name>', load: () => import('./commands/image/clone.ts') },
  { path: ['image', 'capture'], summary: 'Capture a running node over SSH into a new image tree', usage: 'berth image capture <node> <name> [--host ADDRESS] [--identity FILE] [--port N] [--ssh-option OPT]...', completes: 'nodes', load: () => import('./commands/image/capture.ts') },
  { path: ['image', 'list'], summary: 'Images with their newest version and tree', usage: 'berth image list', load: () => import('./commands/image/list.ts') },
  { path: ['image', 'show'], summary: 'What a version is: source, parent, kernel, digests, encryption, verity', usage: 'berth image show <name>[@n] [--packages]', load: () => import('./commands/image/show.ts') },
  { path: ['image', 'versions'], summary: "An image's versions and the nodes using each", usage: 'berth image versions <name>', load: () => import('./commands/image/versions.ts') },
  { path: ['image', 'diff'], summary: 'Packages (added, removed, upgraded) and files changed between two versions', usage: 'berth image diff <name>@<n> <name>@<m> [--limit N]', load: () => import('./commands/image/diff.ts') },
  { path: ['image', 'remove'], summary: 'Remove a version (refused while nodes use it) or the editable tree', usage: 'berth image remove <name>@<n> [--force] | berth image remove <name> --tree', load: () => import('./commands/image/remove.ts') },
  { path: ['deploy'], summary: 'Deploy a profile to nodes and follow them until they boot it', usage: 'berth deploy <noderange> <profile> [--arm once|continuous|until=TIME] [--no-wait] [--timeout 30m]', completes: 'nodes', load: () => import('./commands/deploy/start.ts') },
  { path: ['deploy', 'status'], summary: 'Where each node is in its deployment', usage: 'berth deploy status <noderange>', completes: 'nodes', load: () => import('./commands/deploy/status.ts') },
  { path: ['node', 'revoke-key'], summary: "Revoke nodes' API keys: they fetch nothing until armed again", usage: 'berth node revoke-key <noderange>', completes: 'nodes', load: () => import('./commands/node/revoke-key.ts') },
  { path: ['profile', 'define'], summary: 'Define a profile: an image version, a boot method, kernel arguments', usage: 'berth profile define <name> --image REF [--boot-method tethered|untethered|installtodisk] [--kernel-args TEXT] [--description TEXT]', load: () => import('./commands/profile/define.ts') },
  { path: ['profile', 'set'], summary: "Change a profile's image, boot method, kernel arguments or description", usage: 'berth profile set <name> [image=REF] [boot_method=M] [kernel_args=TEXT] [description=TEXT]', load: () => import('./commands/profile/set.ts') },
  { path: ['media', 'import'], summary: 'Import OS install media (ISO or directory): identify it, copy what its installer needs, generate a starting profile', usage: 'berth media import <iso-or-directory> [--name NAME] [--force]', load: () => import('./commands/media/import.ts') },
  { path: ['media', 'list'], summary: 'Imported media with distribution, version, family and the profiles using each', usage: 'berth media list', load: () => import('./commands/media/list.ts') },
  { path: ['media', 'show'], summary: 'What imported media is and how it was identified', usage: 'berth media show <name>', load: () => import('./commands/media/show.ts') },
  { path: ['media', 'remove'], summary: 'Remove imported media (refused while a profile installs from it)', usage: 'berth media remove <name> [--force]', load: () => import('./commands/media/remove.ts') },
  { path: ['profile', 'render'], summary: "A scripted install's answer file for one node, exactly as the node will receive it", usage: 'berth profile render <profile> <node> [--ipxe] [--firmware bios|uefi]', completes: 'nodes', load: () => import('./commands/profile/render.ts') },
  { path: ['profile', 'show'], summary: 'Show a profile: what it boots now, its scripts, the nodes using it', usage: 'berth profile show <name>', load: () => import('./commands/profile/show.ts') },
  { path: ['profile', 'list'], summary: 'List profiles with the image version each boots now', usage: 'berth profile list', load: () => import('./commands/profile/list.ts') },
  { path: ['profile', 'remove'], summary: 'Remove a profile and its scripts', usage: 'berth profile remove <name> [--force]', load: () => import('./commands/profile/remove.ts') },
  { path: ['ssh', 'known-hosts'], summary: "Print the known_hosts line that trusts every node's SSH host certificate", usage: 'berth ssh known-hosts [--pattern GLOB]...', load: () => import('./commands/ssh/known-hosts.ts') },
  { path: ['completion'], summary: 'Print the bash completion script', usage: 'berth completion bash', load: () => import('./commands/completion.ts') },
];
