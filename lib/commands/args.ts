import { UsageError } from './command';

/**
 * A small strict parser for `--flag value` / `--flag=value` / `--switch` and
 * positionals. Unknown flags are usage errors, never ignored.
 */
export function parseArgs(
  cmd: string,
  args: string[],
  spec: { values?: string[]; switches?: string[]; repeatable?: string[] },
): { values: Map<string, string[]>; switches: Set<string>; positionals: string[] } {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  const takesValue = new Set([...(spec.values ?? []), ...(spec.repeatable ?? [])]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (takesValue.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`${cmd}: ${name} needs a value`);
      const list = values.get(name) ?? [];
      if (list.length && !(spec.repeatable ?? []).includes(name)) throw new UsageError(`${cmd}: ${name} given twice`);
      values.set(name, [...list, v]);
    } else if ((spec.switches ?? []).includes(name) && eq < 0) {
      switches.add(name);
    } else {
      throw new UsageError(`${cmd}: unknown option '${a}' (see sbx ${cmd} --help)`);
    }
  }
  return { values, switches, positionals };
}
