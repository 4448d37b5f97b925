/** Install variables from a node's attributes: defaults, DHCP or static, and every missing attribute at once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { installVars, sampleInstallVars } from '../../src/installs/install-vars.ts';
import type { InstallUrls } from '../../src/installs/install-family.ts';
import type { MediaRecord } from '../../src/media/media.ts';

const media: MediaRecord = {
  name: 'debian-12.5-amd64',
  distro: 'debian',
  version: '12.5',
  arch: 'x86_64',
  family: 'preseed',
  label: 'Debian GNU/Linux 12.5.0 "Bookworm"',
  kernel: 'install.amd/vmlinuz',
  initrds: ['install.amd/initrd.gz'],
  evidence: [],
  source: { path: '/srv/iso/debian.iso', bytes: 1, sha256: '0'.repeat(64) },
  imported: '2025-01-01T00:00:00Z',
};
const urls: InstallUrls = {
  media: 'http://10.99.0.1:8080/media/debian-12.5-amd64',
  answer: 'http://10.99.0.1:8080/install/n3/tok/preseed.cfg',
  callback: 'http://10.99.0.1:8080/install/n3/tok',
};
const HASH = '$6$saltsalt$Dh2mVVfNMGzTJ2bVBp9zI3GdRDNsRsE0Tjm7d1vG8d.8p1y8e5r8m6lH6aH2Yq0n8s9c8x1YpQ0n2v3w4x5y6z';

function vars(attrs: Record<string, string>, extra: { interfaces?: string[]; bootMac?: string; proxy?: string; packages?: string[] } = {}) {
  return installVars('n3', (a) => attrs[a], {
    urls,
    media,
    packages: extra.packages ?? [],
    interfaces: extra.interfaces ?? ['boot'],
    ...(extra.proxy ? { proxy: extra.proxy } : {}),
    ...(extra.bootMac ? { bootMac: extra.bootMac } : {}),
  });
}

describe('install variables', () => {
  test('a node with only a MAC and a root password: berth defaults, DHCP', () => {
    const v = vars({ 'net.boot.hwaddr': '52:54:00:AA:BB:CC', 'crypted.rootpassword': HASH });
    assert.equal(v.node, 'n3');
    assert.equal(v.hostname, 'n3', 'no net.<if>.hostname: the node name');
    assert.equal(v.domain, '');
    assert.equal(v.fqdn, 'n3');
    assert.deepEqual(v.interface, { name: 'boot', mac: '52:54:00:aa:bb:cc', ipv4: undefined });
    assert.equal(v.ipv4, undefined, 'no address: DHCP');
    assert.ok(Object.hasOwn(v, 'ipv4') && Object.hasOwn(v, 'proxy'), 'declared, so templates may test them');
    assert.equal(v.timezone, 'Etc/UTC');
    assert.equal(v.locale, 'en_US.UTF-8');
    assert.equal(v.language, 'en_US');
    assert.equal(v.keyboard, 'us');
    assert.equal(v.keyboardLayout, 'us');
    assert.equal(v.keyboardVariant, '');
    assert.deepEqual([v.dnsServers, v.dnsSearch, v.ntpServers, v.sshKeys, v.packages], [[], [], [], [], []]);
    assert.equal(v.installDisk, '', "the family's first-disk rule");
    assert.equal(v.proxy, undefined);
    assert.equal(v.rootPasswordHash, HASH);
    assert.equal(v.mediaHost, '10.99.0.1:8080');
    assert.equal(v.mediaPath, '/media/debian-12.5-amd64');
    assert.equal(v.urls, urls);
    assert.equal(v.media, media);
  });

  test('everything set: static IPv4, names, lists, keys, disk, proxy, packages', () => {
    const v = vars(
      {
        'net.boot.hwaddr': '52:54:00:aa:bb:cc',
        'net.boot.ipv4_address': '10.0.0.13/20',
        'net.boot.ipv4_gateway': '10.0.0.254',
        'net.boot.hostname': 'r3u12,r3u12.cluster.example.org',
        'dns.domain': 'cluster.example.org',
        'dns.servers': '10.0.0.1, 10.0.0.2',
        'dns.search': 'cluster.example.org example.org',
        'ntp.servers': '10.0.0.1,ntp.example.org',
        timezone: 'Europe/Berlin',
        locale: 'de_DE.UTF-8',
        keyboard: 'de-nodeadkeys',
        'crypted.rootpassword': HASH,
        'ssh.admin_keys': 'ssh-ed25519 AAAA one@head\n\nssh-ed25519 BBBB two@head;ssh-rsa CCCC three@head',
        'deployment.install_disk': '/dev/disk/by-path/pci-0000:00:1f.2-ata-1',
      },
      { proxy: 'http://10.0.0.1:3142', packages: ['vim'] },
    );
    assert.equal(v.hostname, 'r3u12');
    assert.equal(v.fqdn, 'r3u12.cluster.example.org');
    assert.deepEqual(v.ipv4, { address: '10.0.0.13', prefix: 20, netmask: '255.255.240.0', gateway: '10.0.0.254', cidr: '10.0.0.13/20' });
    assert.deepEqual(v.interface.ipv4, v.ipv4);
    assert.deepEqual(v.dnsServers, ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(v.dnsSearch, ['cluster.example.org', 'example.org']);
    assert.deepEqual(v.ntpServers, ['10.0.0.1', 'ntp.example.org']);
    assert.equal(v.timezone, 'Europe/Berlin');
    assert.equal(v.language, 'de_DE');
    assert.equal(v.keyboardLayout, 'de');
    assert.equal(v.keyboardVariant, 'nodeadkeys');
    assert.deepEqual(v.sshKeys, ['ssh-ed25519 AAAA one@head', 'ssh-ed25519 BBBB two@head', 'ssh-rsa CCCC three@head']);
    assert.equal(v.installDisk, '/dev/disk/by-path/pci-0000:00:1f.2-ata-1');
    assert.equal(v.proxy, 'http://10.0.0.1:3142');
    assert.deepEqual(v.packages, ['vim']);
  });

  test('a host name that is an FQDN gives the domain when dns.domain does not; search defaults to the domain', () => {
    const v = vars({ 'net.boot.hwaddr': '52:54:00:aa:bb:cc', 'net.boot.hostname': 'n3.lab.example.org', 'crypted.rootpassword': HASH });
    assert.deepEqual([v.hostname, v.domain, v.fqdn, v.dnsSearch], ['n3', 'lab.example.org', 'n3.lab.example.org', ['lab.example.org']]);
  });

  test('netmask for every prefix length edge', () => {
    const mask = (prefix: number) => vars({ 'net.boot.hwaddr': '52:54:00:aa:bb:cc', 'net.boot.ipv4_address': `10.0.0.5/${prefix}`, 'crypted.rootpassword': HASH }).ipv4!.netmask;
    assert.deepEqual([0, 1, 8, 24, 31, 32].map(mask), ['0.0.0.0', '128.0.0.0', '255.0.0.0', '255.255.255.0', '255.255.255.254', '255.255.255.255']);
  });

  test('the install interface: the one the node booted from, else the first with a MAC', () => {
    const attrs = {
      'net.ib0.hostname': 'wrong',
      'net.mgmt.hwaddr': '52:54:00:00:00:01',
      'net.boot.hwaddr': '52:54:00:00:00:02',
      'net.boot.hostname': 'n3-boot',
      'net.boot.ipv4_address': '10.0.0.5/24',
      'crypted.rootpassword': HASH,
    };
    const booted = vars(attrs, { interfaces: ['ib0', 'mgmt', 'boot'], bootMac: '52:54:00:00:00:02' });
    assert.equal(booted.interface.name, 'boot');
    assert.equal(booted.hostname, 'n3-boot');
    assert.equal(booted.ipv4?.address, '10.0.0.5');
    assert.deepEqual(booted.interfaces.map((i) => i.name), ['boot', 'mgmt'], 'the install interface first; ib0 has no MAC');
    const first = vars(attrs, { interfaces: ['ib0', 'mgmt', 'boot'] });
    assert.equal(first.interface.name, 'mgmt');
    assert.equal(first.hostname, 'n3');
    assert.equal(first.ipv4, undefined);
    assert.equal(vars(attrs, { interfaces: ['mgmt', 'boot'], bootMac: '52:54:00:99:99:99' }).interface.name, 'mgmt', 'an unknown boot MAC: the first');
  });

  test('every missing attribute of the node at once, each with the command that sets it', () => {
    try {
      vars({ 'net.boot.ipv4_address': '10.0.0.5' }, { interfaces: [] });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'BERTH_CONFIG');
      assert.equal(e.where.node, 'n3');
      assert.match(e.message, /^node n3: no interface has a MAC address.*berth node set n3 net.boot.hwaddr=/);
      assert.match(e.message, /; crypted.rootpassword is not set \(set it: berth node set n3 crypted.rootpassword=\$\(openssl passwd -6\)\)$/);
      assert.deepEqual(e.more.map((m) => m.where.attribute), ['net.<if>.hwaddr', 'crypted.rootpassword']);
    }
    assert.throws(
      () => vars({ 'net.boot.hwaddr': '52:54:00:aa:bb:cc' }),
      (e: unknown) => e instanceof BerthError && e.message === 'node n3: crypted.rootpassword is not set (set it: berth node set n3 crypted.rootpassword=$(openssl passwd -6))' && e.more.length === 0,
    );
    assert.throws(
      () => vars({ 'net.boot.hwaddr': '52:54:00:aa:bb:cc', 'net.boot.ipv4_address': '10.0.0.300/24', 'crypted.rootpassword': HASH }),
      /node n3: net.boot.ipv4_address=10.0.0.300\/24 is not an address with a prefix length/,
    );
  });

  test('the sample fills every optional value, for checking templates', () => {
    const sample = sampleInstallVars(media, urls);
    assert.ok(sample.ipv4 && sample.proxy && sample.sshKeys.length > 0 && sample.ntpServers.length > 0 && sample.installDisk && sample.packages.length > 0);
  });
});
