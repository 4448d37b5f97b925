/**
 * What each kind of client is told to load. PXE ROMs get an iPXE build over
 * TFTP; UEFI HTTP boot gets iPXE over HTTP; iPXE itself gets its per-node
 * script, never the loader again (that would loop).
 */
import type { ClientKind } from '../boot-target.ts';

export type UefiLoader = 'snponly.efi' | 'ipxe.efi';

export interface BootAnswer {
  /** The `file` field: a TFTP path or an HTTP URL. */
  file: string;
  /**
   * Option 60 to send back. The UEFI spec (§24.7.2, HTTP boot) requires the
   * offer of an HTTP boot URL to carry vendor class `HTTPClient`, or the
   * firmware ignores it.
   */
  vendorClass?: 'HTTPClient';
}

export interface BootFileSettings {
  serverAddress: string;
  httpPort: number;
  uefiLoader: UefiLoader;
  /** The client's MAC in colon form, for the per-node script URL. */
  mac: string;
}

export function bootAnswer(kind: ClientKind, s: BootFileSettings): BootAnswer {
  const http = `http://${s.serverAddress}:${s.httpPort}`;
  switch (kind) {
    case 'bios-pxe':
      // UNDI-only iPXE: reuses the ROM's driver, so it works on any NIC.
      return { file: 'undionly.kpxe' };
    case 'uefi-pxe':
      return { file: s.uefiLoader };
    case 'uefi-http':
      return { file: `${http}/boot/loader/ipxe.efi`, vendorClass: 'HTTPClient' };
    case 'ipxe':
      return { file: `${http}/boot/ipxe/${s.mac}` };
  }
}
