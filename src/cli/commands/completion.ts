import { BerthError } from '../../errors.ts';
import { attributeSchema } from '../../inventory/schema/index.ts';
import type { CommandContext } from '../command.ts';
import { COMMANDS } from '../commands.ts';

/**
 * Bash completion: nouns and verbs from the command table, attribute names
 * (with `=`) from the schema, and node and group names asked of the server
 * at completion time.
 */
export async function run(context: CommandContext): Promise<void> {
  const [shell] = context.positionals;
  if (shell !== 'bash') throw new BerthError('BERTH_BAD_INPUT', 'usage: berth completion bash   (only bash is supported)');
  const nouns = [...new Set(COMMANDS.map((c) => c.path[0]))].join(' ');
  const verbs = [...new Set(COMMANDS.map((c) => c.path[0]))]
    .map((noun) => `    ${noun}) verbs="${COMMANDS.filter((c) => c.path[0] === noun && c.path[1]).map((c) => c.path[1]).join(' ')}" ;;`)
    .join('\n');
  const attributes = attributeSchema.map((a) => a.name.replace('<if>', 'mgmt').replace(/\*$/, '')).join(' ');
  process.stdout.write(`# berth bash completion: eval "$(berth completion bash)" or save under /etc/bash_completion.d/berth
_berth() {
  local cur=\${COMP_WORDS[COMP_CWORD]} noun=\${COMP_WORDS[1]} verbs=""
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${nouns} help --version" -- "$cur")); return; fi
  case "$noun" in
${verbs}
  esac
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$verbs" ]; then COMPREPLY=($(compgen -W "$verbs" -- "$cur")); return; fi
  case "$cur" in
    --*) COMPREPLY=($(compgen -W "--json --provenance --names --compress --force --merge --format --output --csv --description --expires --server --token --ca --socket --state-dir --help" -- "$cur")); return ;;
  esac
  if [ "$COMP_CWORD" -eq 3 ] || [ "$noun" = attributes ]; then
    case "$noun" in
      node) COMPREPLY=($(compgen -W "$(berth node list --names 2>/dev/null) $(berth group list --json 2>/dev/null | sed -n 's/^ *\\"name\\": \\"\\(.*\\)\\",$/\\1/p')" -- "$cur")); return ;;
      group) COMPREPLY=($(compgen -W "$(berth group list --json 2>/dev/null | sed -n 's/^ *\\"name\\": \\"\\(.*\\)\\",$/\\1/p')" -- "$cur")); return ;;
    esac
  fi
  compopt -o nospace 2>/dev/null
  COMPREPLY=($(compgen -W "groups= ${attributes.split(' ').map((a) => (a.endsWith('.') ? a : a + '=')).join(' ')}" -- "$cur"))
}
complete -F _berth berth
`);
}
