/**
 * The scripted-install families by name; one folder each beside this file.
 */
import { BerthError } from '../../errors.ts';
import type { InstallFamily } from '../../media/media.ts';
import type { InstallFamilyModule } from '../install-family.ts';
import { agama } from './agama/index.ts';
import { autoinstall } from './autoinstall/index.ts';
import { autoyast } from './autoyast/index.ts';
import { esxi } from './esxi/index.ts';
import { kickstart } from './kickstart/index.ts';
import { preseed } from './preseed/index.ts';

const MODULES: Record<InstallFamily, InstallFamilyModule> = { kickstart, autoinstall, autoyast, agama, preseed, esxi };

export function familyModule(family: InstallFamily): InstallFamilyModule {
  const module = MODULES[family];
  if (!module) throw new BerthError('BERTH_CORRUPT', `unknown install family '${String(family)}' in a media record (known: ${Object.keys(MODULES).join(', ')})`);
  return module;
}
