/** Asks the local server which nodes use each version; undefined when it is not running. */
import { BerthError } from '../../../errors.ts';
import type { VersionUsers } from '../../../deploy/version-usage.ts';
import type { CommandContext } from '../../command.ts';

export async function usageOf(context: CommandContext, name: string): Promise<Record<number, VersionUsers> | undefined> {
  try {
    return await context.client().get(`/api/v1/images/${encodeURIComponent(name)}/usage`);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_UNAVAILABLE') return undefined;
    throw e;
  }
}
