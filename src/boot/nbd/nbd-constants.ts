/**
 * The numbers of the NBD protocol that berth's server speaks, named as in
 * the NBD project's doc/proto.md ("The NBD protocol"), plus the limits berth
 * chooses where the specification leaves the choice to the server.
 *
 * All values travel big-endian ("network byte order", proto.md §Conventions).
 */

/** "NBDMAGIC": first 8 bytes the server sends (proto.md §Newstyle negotiation). */
export const NBD_INIT_PASSWD = 0x4e42444d41474943n;
/** "IHAVEOPT": second 8 bytes of the greeting, and the magic that starts every client option. */
export const NBD_OPTS_MAGIC = 0x49484156454f5054n;
/** Starts every option reply in fixed newstyle. */
export const NBD_REP_MAGIC = 0x3e889045565a9n;
/** Starts every transmission request. */
export const NBD_REQUEST_MAGIC = 0x25609513;
/** Starts every simple reply (the only kind berth sends: it never agrees to structured replies). */
export const NBD_SIMPLE_REPLY_MAGIC = 0x67446698;

/** Handshake flags (16 bits, server → client). */
export const handshakeFlags = {
  FIXED_NEWSTYLE: 1 << 0,
  NO_ZEROES: 1 << 1,
} as const;

/** Client flags (32 bits, client → server); any other bit makes the server drop the connection. */
export const clientFlags = {
  FIXED_NEWSTYLE: 1 << 0,
  NO_ZEROES: 1 << 1,
} as const;

/** Transmission flags (16 bits, per export). */
export const transmissionFlags = {
  HAS_FLAGS: 1 << 0,
  READ_ONLY: 1 << 1,
  SEND_FLUSH: 1 << 2,
  SEND_FUA: 1 << 3,
  ROTATIONAL: 1 << 4,
  SEND_TRIM: 1 << 5,
  SEND_WRITE_ZEROES: 1 << 6,
  SEND_DF: 1 << 7,
  CAN_MULTI_CONN: 1 << 8,
  SEND_RESIZE: 1 << 9,
  SEND_CACHE: 1 << 10,
  SEND_FAST_ZERO: 1 << 11,
} as const;

/**
 * What berth advertises for every export: read-only, and safe to use over
 * several connections at once (the data never changes, so every connection
 * sees the same bytes: exactly what CAN_MULTI_CONN promises, and what lets a
 * client such as nbdcopy open several connections).
 *
 * SEND_FLUSH is deliberately absent. It only exposes NBD_CMD_FLUSH, whose
 * meaning is "writes you have replied to are on stable storage"; a read-only
 * export has no writes, so there is nothing to expose. Advertising it would
 * also make the Linux nbd driver declare a volatile write cache on the
 * device. A FLUSH that arrives anyway is answered with success (see
 * transmission.ts).
 */
export const exportTransmissionFlags = transmissionFlags.HAS_FLAGS | transmissionFlags.READ_ONLY | transmissionFlags.CAN_MULTI_CONN;

/** Option types (client → server during option haggling). */
export const options = {
  EXPORT_NAME: 1,
  ABORT: 2,
  LIST: 3,
  PEEK_EXPORT: 4,
  STARTTLS: 5,
  INFO: 6,
  GO: 7,
  STRUCTURED_REPLY: 8,
  LIST_META_CONTEXT: 9,
  SET_META_CONTEXT: 10,
  EXTENDED_HEADERS: 11,
} as const;

/** Option reply types; errors have bit 31 set. */
export const replies = {
  ACK: 1,
  SERVER: 2,
  INFO: 3,
  META_CONTEXT: 4,
  ERR_UNSUP: 0x80000001,
  ERR_POLICY: 0x80000002,
  ERR_INVALID: 0x80000003,
  ERR_PLATFORM: 0x80000004,
  ERR_TLS_REQD: 0x80000005,
  ERR_UNKNOWN: 0x80000006,
  ERR_SHUTDOWN: 0x80000007,
  ERR_BLOCK_SIZE_REQD: 0x80000008,
  ERR_TOO_BIG: 0x80000009,
} as const;

/** Information types inside NBD_REP_INFO (answers to NBD_OPT_INFO / NBD_OPT_GO). */
export const infoTypes = {
  EXPORT: 0,
  NAME: 1,
  DESCRIPTION: 2,
  BLOCK_SIZE: 3,
} as const;

/** Request types (transmission phase). */
export const commands = {
  READ: 0,
  WRITE: 1,
  DISC: 2,
  FLUSH: 3,
  TRIM: 4,
  CACHE: 5,
  WRITE_ZEROES: 6,
  BLOCK_STATUS: 7,
  RESIZE: 8,
} as const;

/** Command flags (16 bits in each request). */
export const commandFlags = {
  FUA: 1 << 0,
  NO_HOLE: 1 << 1,
  DF: 1 << 2,
  REQ_ONE: 1 << 3,
  FAST_ZERO: 1 << 4,
} as const;

/** Error values of a simple reply (proto.md §Error values: errno numbers, fixed by the protocol). */
export const errors = {
  OK: 0,
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ESHUTDOWN: 108,
} as const;
export type NbdError = (typeof errors)[keyof typeof errors];

/**
 * Block size constraints berth advertises with NBD_INFO_BLOCK_SIZE
 * (proto.md §Block size constraints). Minimum 1: a regular file can be read
 * at any offset. Preferred 4096: the page size, and the dm-crypt/verity
 * sector size of berth's images. Maximum 32 MiB (2^25): the largest read the
 * specification says a server SHOULD NOT treat as an attack, and the bound
 * on what one request can make the server allocate.
 */
export const blockSize = {
  minimum: 1,
  preferred: 4096,
  maximum: 32 * 1024 * 1024,
} as const;

/**
 * Longest option payload berth reads into memory. proto.md caps strings
 * (export names, messages) at 4096 bytes, so no option berth understands
 * needs more; longer payloads are skipped without being stored and answered
 * with NBD_REP_ERR_TOO_BIG.
 */
export const maxOptionLength = 4096;

/** Longest string berth puts in a reply (proto.md: strings MUST be no longer than 4096 bytes). */
export const maxStringBytes = 4096;

/**
 * Largest piece of a READ reply read into one buffer. A READ of up to
 * blockSize.maximum is read and sent in pieces of this size, each taken from
 * the connection's and the server's reply budgets on its own, so what a
 * connection holds is bounded by its budget, not by the size of the reads it
 * asks for. 1 MiB: above the Linux nbd driver's usual request and
 * nbdcopy's, so nearly every READ is one piece.
 */
export const replyPieceBytes = 1024 * 1024;

/** Sizes of the fixed parts of the wire format. */
export const wire = {
  greeting: 18, // NBDMAGIC, IHAVEOPT, handshake flags
  clientFlags: 4,
  optionHeader: 16, // IHAVEOPT, option, length
  optionReplyHeader: 20, // reply magic, option, reply type, length
  exportNameReply: 10, // size, transmission flags (+124 zero bytes unless NO_ZEROES)
  exportNameZeroes: 124,
  request: 28, // magic, flags, type, handle, offset, length
  simpleReply: 16, // magic, error, handle
} as const;

/**
 * Why berth refused something, as counted in NbdServer.stats().refused. The
 * strings are stable: dashboards and tests match on them.
 */
export const refusalReasons = [
  // connection level
  'max-connections', // more clients than maxConnections: closed before the greeting
  'max-connections-per-address', // more clients from one address than maxConnectionsPerAddress: closed before the greeting
  'drain-timeout', // replies waited in the socket and none was taken by the client for drainTimeoutMs: closed
  'handshake-timeout', // no transmission phase within handshakeTimeoutMs
  'not-fixed-newstyle', // client did not set NBD_FLAG_C_FIXED_NEWSTYLE (plain newstyle)
  'unknown-client-flags', // client set flags berth does not know or did not offer
  'bad-option-magic', // an option did not start with IHAVEOPT (e.g. an oldstyle or non-NBD client)
  'too-many-options', // option haggling went on beyond any sane client
  // option level (an error reply; the client may try again)
  'option-too-large', // payload above maxOptionLength: skipped, NBD_REP_ERR_TOO_BIG (EXPORT_NAME: closed)
  'invalid-option', // malformed payload: NBD_REP_ERR_INVALID
  'unsupported-option', // STRUCTURED_REPLY, STARTTLS, meta contexts...: NBD_REP_ERR_UNSUP
  'list-disabled', // NBD_OPT_LIST without listExports: NBD_REP_ERR_POLICY
  'list-failed', // listExports threw: NBD_REP_ERR_POLICY
  'unknown-export', // no such export: NBD_REP_ERR_UNKNOWN (EXPORT_NAME: closed)
  'export-unavailable', // the export exists but its file cannot be served: NBD_REP_ERR_UNKNOWN
  // transmission level
  'bad-request-magic', // a request did not start with NBD_REQUEST_MAGIC: hard disconnect
  'write-too-large', // a WRITE whose payload is above blockSize.maximum: hard disconnect
  'read-only', // WRITE, TRIM, WRITE_ZEROES: EPERM
  'bad-length', // READ of 0 bytes or more than blockSize.maximum: EINVAL
  'out-of-range', // READ past the end of the export: EINVAL
  'bad-command-flags', // flags not valid for the command: EINVAL
  'unknown-command', // CACHE, BLOCK_STATUS, anything else: EINVAL
  'read-failed', // the file could not be read (I/O error, truncated): EIO; closed when part of the reply was already sent
] as const;
export type RefusalReason = (typeof refusalReasons)[number];
