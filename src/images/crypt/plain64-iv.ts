/**
 * dm-crypt's `plain64` IV: the sector number as a 64-bit little-endian integer,
 * zero-padded to the cipher's IV size (16 bytes for AES-XTS).
 *
 * Which sector number is the subtle part (Documentation/admin-guide/
 * device-mapper/dm-crypt.rst, `iv_large_sectors`): dm-crypt counts 512-byte
 * units whatever its `sector_size`, unless `iv_large_sectors` is set, when it
 * counts `sector_size` units. With 4096-byte sectors the second sector's IV is
 * 8 without the flag and 1 with it. Both decrypt without error; only the
 * matching one gives the plaintext back.
 */

export interface Plain64Geometry {
  sectorSize: number;
  ivLargeSectors: boolean;
}

/** The plain64 sector number of the encryption sector starting at `byteOffset`. */
export function plain64SectorNumber(byteOffset: number, geometry: Plain64Geometry): number {
  return byteOffset / (geometry.ivLargeSectors ? geometry.sectorSize : 512);
}

/**
 * The IVs of `count` consecutive sectors, the first starting at `byteOffset`,
 * packed 16 bytes each, ready for one bulk AES call.
 */
export function plain64Ivs(byteOffset: number, count: number, geometry: Plain64Geometry): Buffer {
  const ivs = Buffer.alloc(count * 16);
  const first = plain64SectorNumber(byteOffset, geometry);
  const step = geometry.ivLargeSectors ? 1 : geometry.sectorSize / 512;
  for (let i = 0; i < count; i++) {
    const sector = first + i * step;
    // Split by hand: sector numbers exceed 32 bits on devices past 2 TiB.
    ivs.writeUInt32LE(sector % 0x1_0000_0000, i * 16);
    ivs.writeUInt32LE(Math.floor(sector / 0x1_0000_0000), i * 16 + 4);
  }
  return ivs;
}
