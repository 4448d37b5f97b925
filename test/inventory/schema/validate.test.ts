import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/errors.ts';
import { attributeSchema, describeType, validateAttributeValue } from '../../../src/inventory/schema/index.ts';

const valid = validateAttributeValue;

/** The error for an invalid value; fails the test if the value is accepted. */
function rejected(name: string, value: string): BerthError {
  try {
    const normalized = validateAttributeValue(name, value);
    assert.fail(`${name}=${JSON.stringify(value)} was accepted as ${JSON.stringify(normalized)}`);
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    assert.equal(e.code, 'BERTH_ATTRIBUTE_TYPE');
    assert.equal(e.where.attribute, name);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    return e;
  }
}

describe('validateAttributeValue: general rules', () => {
  it('rejects unknown attributes with BERTH_UNKNOWN_ATTRIBUTE', () => {
    assert.throws(() => valid('net.mgmt.hwadr', '52:54:00:12:34:56'), { code: 'BERTH_UNKNOWN_ATTRIBUTE' });
  });

  it('rejects the empty string for every attribute: unset is a separate operation', () => {
    for (const spec of attributeSchema) {
      const name = spec.name.replace('<if>', 'mgmt').replace('*', 'x');
      assert.match(rejected(name, '').message, /unset/);
    }
  });

  it('accepts each example from the schema (except placeholders)', () => {
    for (const spec of attributeSchema) {
      if (!spec.example || spec.example.includes('...') || spec.example.includes('<') || spec.name === 'custom.*') continue;
      const name = spec.name.replace('<if>', 'mgmt');
      assert.doesNotThrow(() => valid(name, spec.example!), name);
    }
  });

  it('has a description for every type', () => {
    for (const spec of attributeSchema) assert.ok(describeType(spec.type, spec).length > 5, spec.type);
    assert.equal(describeType('integer', { min: 1, max: 4094 }), 'a whole number from 1 to 4094');
    assert.match(describeType('enum', { values: ['unlocked', 'locked'] }), /unlocked, locked/);
    assert.match(describeType('mac'), /52:54:00:12:34:56/);
  });
});

describe('MAC addresses (net.<if>.hwaddr)', () => {
  it('normalizes the usual spellings to lowercase with colons', () => {
    for (const v of ['52:54:00:AB:cd:01', '52-54-00-ab-cd-01', '525400ABCD01', '5254.00ab.cd01', ' 52:54:00:ab:cd:01 ', '52:54:0:ab:cd:1']) {
      assert.equal(valid('net.mgmt.hwaddr', v), '52:54:00:ab:cd:01', v);
    }
  });

  it('says what was wrong and what is expected', () => {
    const e = rejected('net.mgmt.hwaddr', '52:54:00:zz:00:01');
    assert.equal(
      e.message,
      "net.mgmt.hwaddr: '52:54:00:zz:00:01' is not a MAC address (expected six hex pairs such as 52:54:00:12:34:56)",
    );
  });

  it('rejects wrong lengths, mixed separators, multicast and all-zero addresses', () => {
    rejected('net.mgmt.hwaddr', '52:54:00:12:34');
    rejected('net.mgmt.hwaddr', '52:54:00:12:34:56:78');
    rejected('net.mgmt.hwaddr', '52:54-00:12:34:56');
    assert.match(rejected('net.mgmt.hwaddr', 'ff:ff:ff:ff:ff:ff').message, /broadcast/);
    assert.match(rejected('net.mgmt.hwaddr', '01:00:5e:00:00:01').message, /multicast/);
    assert.match(rejected('net.mgmt.hwaddr', '00:00:00:00:00:00').message, /all-zero/);
  });
});

describe('IPv4', () => {
  it('accepts an address with prefix and converts netmasks', () => {
    assert.equal(valid('net.mgmt.ipv4_address', '10.0.0.5/24'), '10.0.0.5/24');
    assert.equal(valid('net.mgmt.ipv4_address', '10.0.0.5/255.255.255.0'), '10.0.0.5/24');
    assert.equal(valid('net.mgmt.ipv4_address', '172.16.3.200/255.255.240.0'), '172.16.3.200/20');
    assert.equal(valid('net.mgmt.ipv4_address', '10.0.0.1/32'), '10.0.0.1/32');
  });

  it('rejects the network and broadcast address below /31, allows both addresses of a /31', () => {
    assert.match(rejected('net.mgmt.ipv4_address', '10.0.0.0/24').message, /network address of 10\.0\.0\.0\/24/);
    assert.match(rejected('net.mgmt.ipv4_address', '10.0.0.255/24').message, /broadcast address of 10\.0\.0\.0\/24/);
    assert.match(rejected('net.mgmt.ipv4_address', '10.0.15.255/20').message, /broadcast address of 10\.0\.0\.0\/20/);
    assert.equal(valid('net.mgmt.ipv4_address', '10.0.0.0/31'), '10.0.0.0/31');
    assert.equal(valid('net.mgmt.ipv4_address', '10.0.0.1/31'), '10.0.0.1/31');
  });

  it('asks for a prefix length when it is missing', () => {
    assert.match(rejected('net.mgmt.ipv4_address', '10.0.0.5').message, /add the prefix length, e\.g\. 10\.0\.0\.5\/24/);
  });

  it('rejects bad prefixes, non-contiguous netmasks, octets over 255 and leading zeros', () => {
    rejected('net.mgmt.ipv4_address', '10.0.0.5/33');
    rejected('net.mgmt.ipv4_address', '10.0.0.5/0');
    rejected('net.mgmt.ipv4_address', '10.0.0.5/255.0.255.0');
    rejected('net.mgmt.ipv4_address', '10.0.0.256/24');
    rejected('net.mgmt.ipv4_address', '10.0.0.05/24');
    rejected('net.mgmt.ipv4_gateway', '010.0.0.1');
    rejected('net.mgmt.ipv4_gateway', '10.0.0');
  });

  it('requires a host address for gateways and servers', () => {
    assert.equal(valid('net.mgmt.ipv4_gateway', ' 10.0.0.254 '), '10.0.0.254');
    assert.match(rejected('net.mgmt.ipv4_gateway', '0.0.0.0').message, /unspecified/);
    assert.match(rejected('net.mgmt.ipv4_gateway', '239.1.1.1').message, /multicast/);
    assert.match(rejected('net.mgmt.ipv4_gateway', '255.255.255.255').message, /broadcast/);
  });

  it('accepts lists separated by commas or spaces and stores them comma separated', () => {
    assert.equal(valid('dns.servers', '10.0.0.1, 10.0.0.2  10.0.0.3'), '10.0.0.1,10.0.0.2,10.0.0.3');
    assert.match(rejected('dns.servers', '10.0.0.1,10.0.0.1').message, /twice/);
    assert.match(rejected('dns.servers', '10.0.0.1,dns1').message, /'dns1' is not an IPv4 address/);
    rejected('dns.servers', ' , ');
  });
});

describe('names', () => {
  it('accepts RFC 1123 host names, lowercased, as a comma list', () => {
    assert.equal(valid('net.mgmt.hostname', 'R3U12,r3u12.Cluster.example.org.'), 'r3u12,r3u12.cluster.example.org');
    assert.equal(valid('net.mgmt.hostname', '3com-switch'), '3com-switch');
  });

  it('explains what is wrong with a host name', () => {
    assert.match(rejected('net.mgmt.hostname', 'node_01').message, /'_' is not allowed/);
    assert.match(rejected('net.mgmt.hostname', '-node').message, /starts or ends with '-'/);
    assert.match(rejected('net.mgmt.hostname', 'a..b').message, /empty part/);
    assert.match(rejected('net.mgmt.hostname', `${'a'.repeat(64)}.org`).message, /63/);
    assert.match(rejected('net.mgmt.hostname', '10.0.0.5').message, /IPv4 address/);
    assert.match(rejected('net.mgmt.hostname', 'r1,r2,r1').message, /twice/);
  });

  it('checks domains and search lists', () => {
    assert.equal(valid('dns.domain', 'Cluster.Example.org'), 'cluster.example.org');
    assert.equal(valid('dns.search', 'a.example.org b.example.org'), 'a.example.org,b.example.org');
    rejected('dns.domain', 'exa mple.org');
  });

  it('accepts host names or addresses for NTP servers and switches', () => {
    assert.equal(valid('ntp.servers', '10.0.0.1,NTP.example.org'), '10.0.0.1,ntp.example.org');
    assert.equal(valid('net.mgmt.switch', 'sw-r3'), 'sw-r3');
    assert.equal(valid('net.mgmt.switch', '10.1.0.3'), '10.1.0.3');
    rejected('ntp.servers', '10.0.0.300');
  });

  it('keeps profile names safe to use as directory names', () => {
    assert.equal(valid('deployment.profile', 'rocky-9.5-x86_64-compute'), 'rocky-9.5-x86_64-compute');
    assert.equal(valid('deployment.pending_profile', 'ubuntu-24.04+gpu'), 'ubuntu-24.04+gpu');
    for (const bad of ['../etc', 'a/b', '.hidden', 'a..b', 'has space']) rejected('deployment.profile', bad);
  });

  it('checks time zones against the tz database and fixes their case', () => {
    assert.equal(valid('timezone', 'Europe/Berlin'), 'Europe/Berlin');
    assert.equal(valid('timezone', 'europe/berlin'), 'Europe/Berlin');
    assert.equal(valid('timezone', 'UTC'), 'UTC');
    assert.equal(valid('timezone', 'America/Argentina/Buenos_Aires'), 'America/Argentina/Buenos_Aires');
    assert.match(rejected('timezone', 'Europe/Berln').message, /not a known time zone/);
    assert.match(rejected('timezone', '../../etc/passwd').message, /not a time zone name/);
    rejected('timezone', '+02:00');
  });

  it('checks the shape of locale and keyboard names', () => {
    assert.equal(valid('locale', 'en_US.UTF-8'), 'en_US.UTF-8');
    assert.equal(valid('locale', 'C.UTF-8'), 'C.UTF-8');
    assert.equal(valid('locale', 'sr_RS@latin'), 'sr_RS@latin');
    rejected('locale', 'english');
    assert.equal(valid('keyboard', 'de-nodeadkeys'), 'de-nodeadkeys');
    rejected('keyboard', 'de nodeadkeys');
  });
});

describe('scalars', () => {
  it('normalizes booleans', () => {
    for (const v of ['true', 'YES', '1', 'on']) assert.equal(valid('net.mgmt.bootable', v), 'true', v);
    for (const v of ['false', 'No', '0', 'OFF']) assert.equal(valid('net.mgmt.bootable', v), 'false', v);
    assert.match(rejected('net.mgmt.bootable', 'maybe').message, /not true or false/);
  });

  it('checks integer ranges and drops leading zeros', () => {
    assert.equal(valid('net.mgmt.vlan', '0120'), '120');
    assert.equal(valid('net.mgmt.vlan', '+4094'), '4094');
    assert.equal(rejected('net.mgmt.vlan', '4095').message, "net.mgmt.vlan: '4095' is out of range (expected a whole number from 1 to 4094)");
    rejected('net.mgmt.vlan', '0');
    rejected('net.mgmt.mtu', '575');
    assert.equal(valid('net.mgmt.mtu', '9216'), '9216');
    assert.match(rejected('net.mgmt.mtu', '1500.0').message, /not a whole number/);
    assert.equal(valid('location.u', '42'), '42');
  });

  it('matches enum values without regard to case and lists the allowed ones', () => {
    assert.equal(valid('deployment.state', 'Installing'), 'installing');
    assert.equal(valid('deployment.lock', 'autolock'), 'autolock');
    assert.match(rejected('deployment.lock', 'open').message, /not one of unlocked, locked, autolock/);
  });

  it('normalizes UUIDs and refuses firmware placeholders', () => {
    const uuid = '4c4c4544-0042-3510-8052-b4c04f564433';
    assert.equal(valid('id.uuid', '4C4C4544-0042-3510-8052-B4C04F564433'), uuid);
    assert.equal(valid('id.uuid', '{4c4c4544004235108052b4c04f564433}'), uuid);
    assert.match(rejected('id.uuid', '00000000-0000-0000-0000-000000000000').message, /placeholder/);
    assert.match(rejected('id.uuid', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF').message, /placeholder/);
    rejected('id.uuid', '4c4c4544-0042-3510-8052');
  });

  it('trims single-line strings and refuses control characters', () => {
    assert.equal(valid('id.serial', '  J30012AB  '), 'J30012AB');
    assert.equal(valid('net.mgmt.switchport', 'Ethernet1/12'), 'Ethernet1/12');
    assert.match(rejected('id.model', 'a\nb').message, /line break/);
    assert.match(rejected('id.model', '   ').message, /white space/);
  });

  it('stores custom values as given, over several lines if need be', () => {
    assert.equal(valid('custom.motd', '  Welcome\nto r3u12 '), '  Welcome\nto r3u12 ');
    rejected('custom.x', 'a\u0000b');
  });
});

describe('deployment.armed and date-times', () => {
  it('accepts once, continuous and until=<date-time>, storing the time in UTC', () => {
    assert.equal(valid('deployment.armed', 'once'), 'once');
    assert.equal(valid('deployment.armed', 'Continuous'), 'continuous');
    assert.equal(valid('deployment.armed', 'until=2025-06-01T20:00+02:00'), 'until=2025-06-01T18:00:00Z');
    assert.equal(valid('deployment.armed', 'until=2025-06-01 18:00:30.250Z'), 'until=2025-06-01T18:00:30.250Z');
    assert.equal(valid('deployment.armed', 'until=2024-12-31T23:30:00-01:00'), 'until=2025-01-01T00:30:00Z');
  });

  it('refuses times without a zone and dates that do not exist', () => {
    assert.match(rejected('deployment.armed', 'until=2025-06-01T18:00').message, /no time zone/);
    assert.match(rejected('deployment.armed', 'until=2025-02-29T18:00Z').message, /not a real date/);
    assert.match(rejected('deployment.armed', 'until=tomorrow').message, /not a date and time/);
    assert.match(rejected('deployment.armed', 'always').message, /once, continuous or until=/);
  });
});

describe('password hashes (secret)', () => {
  const sha512 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';

  it('accepts SHA-512, SHA-256, yescrypt and bcrypt crypt(3) hashes', () => {
    assert.equal(valid('crypted.rootpassword', sha512), sha512);
    assert.equal(valid('crypted.rootpassword', `$6$rounds=100000$saltsalt$${sha512.slice(-86)}`), `$6$rounds=100000$saltsalt$${sha512.slice(-86)}`);
    const sha256 = '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA';
    assert.equal(valid('crypted.rootpassword', sha256), sha256);
    const yescrypt = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7';
    assert.equal(valid('crypted.rootpassword', yescrypt), yescrypt);
    const bcrypt = '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW';
    assert.equal(valid('crypted.rootpassword', bcrypt), bcrypt);
  });

  it('rejects MD5 crypt as too weak and plain text with a hint, never repeating the value', () => {
    const md5 = rejected('crypted.rootpassword', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//');
    assert.match(md5.message, /too weak/);
    assert.match(md5.message, /openssl passwd -6/);
    assert.doesNotMatch(md5.message, /9xy1bt/);
    const plain = rejected('crypted.rootpassword', 'hunter2-Secret!');
    assert.match(plain.message, /plain-text password/);
    assert.match(plain.message, /openssl passwd -6/);
    assert.doesNotMatch(plain.message, /hunter2/);
  });

  it('rejects truncated hashes and unknown schemes', () => {
    assert.match(rejected('crypted.rootpassword', sha512.slice(0, -3)).message, /malformed/);
    assert.match(rejected('crypted.rootpassword', '$7$CU..../....salt$hash').message, /\$7\$/);
  });

  it('requires GRUB PBKDF2 hashes for the GRUB password', () => {
    const grub = `grub.pbkdf2.sha512.10000.${'ab'.repeat(64)}.${'cd'.repeat(64)}`;
    assert.equal(valid('crypted.grubpassword', grub), grub.toUpperCase().replace('GRUB.PBKDF2.SHA512', 'grub.pbkdf2.sha512'));
    assert.match(rejected('crypted.grubpassword', sha512).message, /GRUB cannot check/);
    const plain = rejected('crypted.grubpassword', 'letmein');
    assert.match(plain.message, /grub2-mkpasswd-pbkdf2/);
    assert.doesNotMatch(plain.message, /letmein/);
  });
});

describe('ssh.admin_keys', () => {
  /** An RFC 4251 string: uint32 length, then the bytes. */
  const str = (s: string | Buffer): Buffer => {
    const body = typeof s === 'string' ? Buffer.from(s) : s;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, body]);
  };
  const ed25519 = Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(32, 7))]).toString('base64');
  const rsa = (bits: number): string => {
    const modulus = Buffer.alloc(bits / 8 + 1);
    modulus[1] = 0x80; // top bit set: exactly `bits` bits
    modulus[modulus.length - 1] = 1;
    return Buffer.concat([str('ssh-rsa'), str(Buffer.from([1, 0, 1])), str(modulus)]).toString('base64');
  };

  it('accepts several keys, one per line, with comments and options', () => {
    const value = `ssh-ed25519 ${ed25519} admin@head\n\n  ssh-rsa ${rsa(3072)}   ops key  \r\nfrom="10.0.0.0/8",no-pty ssh-ed25519 ${ed25519.replace('BwcH', 'BwcI')}`;
    const stored = valid('ssh.admin_keys', value).split('\n');
    assert.equal(stored.length, 3);
    assert.equal(stored[0], `ssh-ed25519 ${ed25519} admin@head`);
    assert.equal(stored[1], `ssh-rsa ${rsa(3072)} ops key`);
    assert.ok(stored[2]!.startsWith('from="10.0.0.0/8",no-pty ssh-ed25519 '));
  });

  it('catches keys damaged when pasted and names the line', () => {
    assert.match(rejected('ssh.admin_keys', `ssh-ed25519 ${ed25519.slice(0, 40)}`).message, /not a ssh-ed25519 key|truncated|base64/);
    assert.match(rejected('ssh.admin_keys', `ssh-rsa ${ed25519}`).message, /says inside that it is a ssh-ed25519 key/);
    assert.match(rejected('ssh.admin_keys', `ssh-ed25519 ${ed25519}\nssh-ed25519 not*base64`).message, /^ssh\.admin_keys: line 2: .*base64/);
    assert.match(rejected('ssh.admin_keys', 'AAAAC3NzaC1lZDI1NTE5 admin').message, /not an OpenSSH public key/);
    assert.match(rejected('ssh.admin_keys', `ssh-ed25519 ${ed25519}\nssh-ed25519 ${ed25519}`).message, /already on line 1/);
  });

  it('refuses weak and obsolete keys, and private keys without echoing them', () => {
    assert.match(rejected('ssh.admin_keys', `ssh-rsa ${rsa(1024)}`).message, /1024 bits, too weak/);
    assert.match(rejected('ssh.admin_keys', 'ssh-dss AAAAB3NzaC1kc3M= old').message, /DSA/);
    const e = rejected('ssh.admin_keys', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----');
    assert.match(e.message, /private key/);
    assert.doesNotMatch(e.message, /b3BlbnNzaC1rZXkt/);
  });
});
