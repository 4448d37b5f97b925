/**
 * The one error the codec throws. `reason` is a short stable word used as
 * the drop counter (`events.countDropped('dhcp', reason)`), so operators see
 * *why* packets were refused; `offset` is the byte where decoding stopped.
 */
import { BerthError } from '../../errors.ts';

export class DhcpParseError extends BerthError {
  readonly reason: string;
  readonly offset: number;

  constructor(reason: string, message: string, offset: number) {
    // No stack trace: a bad packet is input, not a bug, and capturing the
    // stack was most of the cost of refusing one (measured with the fuzzer).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    // `column` is 1-based like every other parse error of berth; here it counts bytes.
    super('BERTH_BAD_INPUT', `DHCP packet: ${message} (byte ${offset})`, { column: offset + 1 });
    Error.stackTraceLimit = limit;
    this.name = 'DhcpParseError';
    this.reason = reason;
    this.offset = offset;
  }
}
