/**
 * Profile names. A profile is named by the node attributes
 * `deployment.pending_profile` and `deployment.profile`, so the rule is the
 * attribute's own (inventory/schema/validators/names.ts), applied exactly:
 * a profile berth accepts is always one a node can name, and the name is safe
 * as a folder name and as a boot URL segment.
 */
import { BerthError } from '../errors.ts';
import { normalizeProfileName } from '../inventory/schema/validators/names.ts';
import { ValueRejected } from '../inventory/schema/validators/rejection.ts';

export function profileNameProblem(name: string): string | undefined {
  try {
    // The attribute validator trims; a profile folder name must be exact.
    return normalizeProfileName(name) === name ? undefined : `'${name}' is not a profile name: no spaces around it`;
  } catch (e) {
    if (e instanceof ValueRejected) return e.message;
    throw e;
  }
}

export function requireProfileName(name: string): string {
  const problem = profileNameProblem(name);
  if (problem) throw new BerthError('BERTH_BAD_INPUT', problem);
  return name;
}
