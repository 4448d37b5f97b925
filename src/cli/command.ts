/** What every CLI command module exports, and what it gets to work with. */
import type { ApiClient } from './client.ts';
import type { Flags, Parsed } from './args.ts';

export interface CommandContext extends Parsed {
  json: boolean;
  /** The local server's state dir (--state-dir, BERTH_STATE_DIR, or /var/lib/berth), for commands that work on its files. */
  stateDir: string;
  client(): ApiClient;
}

export interface CommandModule {
  /** Its flags, declared once: they parse its arguments and make the flag lines of its --help. */
  options?: Flags;
  /** The `key=value` words it takes in place of flags (`profile set kernel_args=...`), for the hint when a flag is tried instead. */
  assignments?: readonly string[];
  /** Returns the exit code (0 when omitted). */
  run(context: CommandContext): Promise<number | void>;
}
