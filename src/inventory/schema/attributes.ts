import type { AttributeSpec } from './spec.ts';

/**
 * Every attribute berth knows. Names are grouped by what they describe;
 * `<if>` is an interface name chosen by the administrator (mgmt, ib0, bmc...),
 * not necessarily the kernel's name for it. An entry with `planned` is known
 * (filters and unset work) but refused when set, until berth applies it.
 */
export const attributeSchema: readonly AttributeSpec[] = [
  // Identity: what the hardware says about itself, used to recognize a node.
  {
    name: 'id.uuid',
    type: 'uuid',
    hardwareIdentity: true,
    description: 'SMBIOS system UUID, as reported by the firmware (dmidecode -s system-uuid). Used to recognize the node when it PXE boots. Unique across nodes; a literal value, never an expression.',
    example: '4c4c4544-0042-3510-8052-b4c04f564433',
  },
  {
    name: 'id.serial',
    type: 'string',
    description: 'Serial number of the system as reported by the firmware (dmidecode -s system-serial-number).',
    example: 'J30012AB',
  },
  {
    name: 'id.model',
    type: 'string',
    description: 'Vendor model name of the system (dmidecode -s system-product-name).',
    example: 'ThinkSystem SD650 V3',
  },

  // Network interfaces.
  {
    name: 'net.<if>.hwaddr',
    type: 'mac',
    hardwareIdentity: true,
    description: 'MAC address of the interface. DHCP and PXE requests from this address are answered for this node. Unique across nodes; a literal value, never an expression.',
    example: '52:54:00:12:34:56',
  },
  {
    name: 'net.<if>.ipv4_address',
    type: 'ipv4-cidr',
    description: 'IPv4 address of the interface with its prefix length. Handed out by DHCP and written into the installed network configuration. No other node may have the address (see net.<if>.allow_duplicates).',
    example: '10.0.0.5/24',
  },
  {
    name: 'net.<if>.ipv4_gateway',
    type: 'ipv4',
    description: 'Default IPv4 gateway reached through this interface. Set it on at most one interface per node.',
    example: '10.0.0.254',
  },
  {
    name: 'net.<if>.hostname',
    type: 'hostname-list',
    description: 'Host names of the node on this interface, comma separated; the first one is the primary name. No other node may have one of them (see net.<if>.allow_duplicates).',
    example: 'r3u12,r3u12.cluster.example.org',
  },
  {
    name: 'net.<if>.allow_duplicates',
    type: 'boolean',
    description:
      'Whether this interface may share its ipv4_address and host names with other nodes (a failover pair, identical isolated networks). ' +
      'Refused by default: the sharing is allowed only between nodes that all set this to true on the interface concerned. MAC addresses are never shared.',
    example: 'true',
  },
  {
    name: 'net.<if>.bootable',
    type: 'boolean',
    description: 'Whether the node network-boots (PXE/HTTP boot) through this interface.',
    example: 'true',
  },
  {
    name: 'net.<if>.switch',
    type: 'host',
    description: 'Ethernet switch this interface is cabled to (host name or IPv4 address), used to discover nodes by switch port.',
    planned: 'discovery by switch port comes later; record the cabling in custom.* meanwhile',
    example: 'sw-r3.mgmt',
  },
  {
    name: 'net.<if>.switchport',
    type: 'string',
    description: 'Port of net.<if>.switch the interface is cabled to, as the switch names it.',
    planned: 'discovery by switch port comes later; record the cabling in custom.* meanwhile',
    example: 'Ethernet1/12',
  },
  {
    name: 'net.<if>.vlan',
    type: 'integer',
    min: 1,
    max: 4094,
    description: 'IEEE 802.1Q VLAN ID to tag traffic on this interface with; unset for untagged.',
    planned: 'per-node network configuration comes later',
    example: '120',
  },
  {
    name: 'net.<if>.mtu',
    type: 'integer',
    min: 576,
    max: 9216,
    description: 'MTU of the interface in bytes; unset for the network default (usually 1500).',
    planned: 'per-node network configuration comes later',
    example: '9000',
  },

  // Name resolution and time.
  {
    name: 'dns.servers',
    type: 'ipv4-list',
    description: 'DNS resolvers the node uses, comma separated, in order of preference.',
    example: '10.0.0.1,10.0.0.2',
  },
  {
    name: 'dns.domain',
    type: 'domain',
    description: 'DNS domain of the node; appended to its host name to form its fully qualified name.',
    example: 'cluster.example.org',
  },
  {
    name: 'dns.search',
    type: 'domain-list',
    description: 'Domains tried in turn when resolving short names, comma separated.',
    example: 'cluster.example.org,example.org',
  },
  {
    name: 'ntp.servers',
    type: 'host-list',
    description: 'NTP servers the node synchronizes its clock with, comma separated host names or IPv4 addresses.',
    example: '10.0.0.1,ntp.example.org',
  },

  // Deployment.
  {
    name: 'deployment.profile',
    type: 'profile-name',
    description: 'Profile (OS image and its configuration) currently installed on the node. Set by berth when a deployment completes.',
    example: 'rocky-9.5-x86_64-compute',
  },
  {
    name: 'deployment.pending_profile',
    type: 'profile-name',
    description: 'Profile the node installs the next time it network-boots while armed.',
    example: 'rocky-9.5-x86_64-compute',
  },
  {
    name: 'deployment.state',
    type: 'enum',
    values: ['pending', 'installing', 'post', 'installed', 'booting', 'booted', 'failed'],
    description: 'Where the node is in its deployment, reported by the node as it goes. Unset when no deployment was ever started.',
    example: 'installing',
  },
  {
    name: 'deployment.armed',
    type: 'deployment-arming',
    nodeOnly: true,
    description:
      'Whether a network boot of the node starts a deployment: once (the next boot only), continuous (every boot), or until a date and time. Unset means a network boot goes to the local disk. ' +
      "Per node only (berth node set compute deployment.armed=once arms each member of compute): a grant uses up one node's once, which a group's value could not record.",
    example: 'once',
  },
  {
    name: 'deployment.lock',
    type: 'enum',
    values: ['unlocked', 'locked', 'autolock'],
    description:
      'Protects a deployed node from being taken over by a redeployment: locked refuses new node API keys, install tokens and berth deploy; autolock becomes locked after the next successful deployment. ' +
      'A node that already holds a key keeps using it (a diskless node needs it at every boot); cut it off with berth node revoke-key.',
    example: 'autolock',
  },
  {
    name: 'deployment.install_disk',
    type: 'string',
    description:
      'Disk an install-to-disk deployment erases and installs on, as a /dev path (a /dev/disk/by-path/... or by-id name survives renumbering). ' +
      'Unset: the first whole disk by kernel name among sd*, vd*, xvd*, nvme*n* that is not removable, not read-only and at least 2 GiB.',
    example: '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
  },
  {
    name: 'deployment.key_policy',
    type: 'enum',
    values: ['tpm', 'ram', 'rearm'],
    description: "Where the node keeps its node API key after a boot. tpm (the default): sealed in the node's TPM 2.0 under a PCR 15 policy, so later boots need no arming (RAM only on a node without a TPM). ram: only in RAM for the running system; the next boot needs arming. rearm: dropped once the node reports booted; every boot needs arming.",
    example: 'tpm',
  },

  // Credentials.
  {
    name: 'crypted.rootpassword',
    type: 'crypt-hash',
    secret: true,
    description: 'Password hash for root on the deployed system, in crypt(3) form (SHA-512, SHA-256, yescrypt or bcrypt). Create one with: openssl passwd -6',
    example: '$6$rounds=5000$saltsalt$...',
  },
  {
    name: 'crypted.grubpassword',
    type: 'grub-password-hash',
    secret: true,
    description: 'Password required to edit GRUB entries at boot, as printed by grub2-mkpasswd-pbkdf2 (grub.pbkdf2.sha512...).',
    planned: 'no deployment or install family writes a GRUB password yet',
    example: 'grub.pbkdf2.sha512.10000.<salt>.<hash>',
  },
  {
    name: 'ssh.admin_keys',
    type: 'ssh-public-keys',
    description: 'OpenSSH public keys allowed to log in as root on the deployed system, one per line.',
    example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... admin@head',
  },
  {
    name: 'ssh.principals',
    type: 'hostname-list',
    description: 'Extra names written into the node\'s SSH host certificate besides its host names, comma separated.',
    example: 'compute.cluster.example.org',
  },

  // Physical location.
  {
    name: 'location.room',
    type: 'string',
    description: 'Room or hall the node is in, as named on site.',
    example: 'DC2-hall-B',
  },
  {
    name: 'location.row',
    type: 'string',
    description: 'Row of racks the node is in, as labelled on site.',
    example: 'C',
  },
  {
    name: 'location.rack',
    type: 'string',
    description: 'Rack the node is mounted in, as labelled on site.',
    example: 'r3',
  },
  {
    name: 'location.u',
    type: 'integer',
    min: 1,
    max: 99,
    description: 'Lowest rack unit the node occupies, counted from the bottom of the rack.',
    example: '12',
  },

  // Console and system settings of the deployed OS.
  {
    name: 'console.method',
    type: 'enum',
    values: ['ipmi', 'redfish', 'ssh'],
    description: 'How berth reaches the node\'s text console: IPMI Serial-over-LAN, Redfish serial console, or SSH to the BMC.',
    planned: 'the BMC console arrives with power control',
    example: 'ipmi',
  },
  {
    name: 'timezone',
    type: 'timezone',
    description: 'Time zone of the deployed system, as an IANA tz database name.',
    example: 'Europe/Berlin',
  },
  {
    name: 'locale',
    type: 'locale',
    description: 'System locale (LANG) of the deployed system.',
    example: 'en_US.UTF-8',
  },
  {
    name: 'keyboard',
    type: 'keymap',
    description: 'Console keyboard layout of the deployed system.',
    example: 'de-nodeadkeys',
  },
  {
    name: 'install.proxy',
    type: 'url',
    description: "HTTP proxy a scripted install's installer fetches packages through (air-gapped sites: a caching proxy next to berth).",
    example: 'http://10.0.0.1:3142',
  },
  {
    name: 'install.mirror',
    type: 'url',
    description: "Package repository a scripted install uses instead of its media (or of the distribution's public mirror, for netboot media that carry no packages).",
    example: 'http://mirror.example.org/debian',
  },

  // Free-form.
  {
    name: 'custom.*',
    type: 'text',
    description: 'Site-specific values berth does not interpret, e.g. for use in post-install scripts. The name after "custom." may use letters, digits, "_", "-" and ".".',
    example: 'custom.project=climate',
  },
];
