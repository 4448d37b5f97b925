/**
 * Which firmware or loader is asking, from option 93 (RFC 4578 client
 * architecture), 60 (vendor class) and 77/175 (iPXE). The kind decides the
 * boot answer (boot-file.ts).
 */
import type { ClientKind } from '../boot-target.ts';

export interface KindSignals {
  /** Option 93 values. */
  arch: readonly number[];
  vendorClass?: string;
  /** Option 77 entries. */
  userClass: readonly string[];
  /** Option 175 present. */
  ipxeOptions: boolean;
}

/** RFC 4578 / IANA processor architecture types berth boots. */
const BIOS_X86 = 0;
const EFI_X64 = 7;
const EFI_BC = 9;
const EFI_X64_HTTP = 16;

export function clientKind(s: KindSignals): ClientKind | undefined {
  // iPXE first, whatever else it claims: iPXE also sends option 93 and
  // PXEClient, and answering it with the loader again is the endless
  // chainload loop of warewulf#1146.
  if (s.ipxeOptions || s.userClass.includes('iPXE')) return 'ipxe';
  const arch = s.arch[0] ?? archFromVendorClass(s.vendorClass);
  if (arch === EFI_X64_HTTP || s.vendorClass?.startsWith('HTTPClient')) return 'uefi-http';
  if (arch === BIOS_X86) return 'bios-pxe';
  if (arch === EFI_X64 || arch === EFI_BC) return 'uefi-pxe';
  return undefined;
}

/** Is this a network boot client at all (PXE spec §2.2: vendor class PXEClient; UEFI HTTP boot: HTTPClient)? */
export function isNetbootClient(s: KindSignals): boolean {
  return s.ipxeOptions || s.userClass.includes('iPXE') || !!s.vendorClass?.startsWith('PXEClient') || !!s.vendorClass?.startsWith('HTTPClient');
}

/** PXE spec §2.2.1: `PXEClient:Arch:xxxxx:UNDI:yyyzzz`; for ROMs that omit option 93. */
function archFromVendorClass(vendorClass: string | undefined): number | undefined {
  const m = vendorClass && /^(?:PXE|HTTP)Client:Arch:(\d{5})/.exec(vendorClass);
  return m ? Number(m[1]) : undefined;
}
