/** One CLI subcommand. `run` returns the process exit code. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  help: string;
  run(args: string[]): number | Promise<number>;
}

/** Bad command-line usage: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/** Reject any argument not in `allowed` (flags only; no positionals). */
export function onlyFlags(cmd: string, args: string[], allowed: string[]): Set<string> {
  for (const a of args) {
    if (!allowed.includes(a)) throw new UsageError(`${cmd}: unexpected argument '${a}' (see sbx ${cmd} --help)`);
  }
  return new Set(args);
}
