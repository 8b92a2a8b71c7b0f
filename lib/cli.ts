#!/usr/bin/env node
/**
 * The `sbx` command. Each subcommand lives in lib/commands/; this file only
 * dispatches and turns errors into one line and an exit code.
 */
import { SbxError } from './errors';
import { commands } from './commands';
import { UsageError } from './commands/command';

const USAGE_EXIT = 2;

function usage(): string {
  const lines = [
    'usage: sbx <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.usage.padEnd(28)} ${c.summary}`),
    '',
    'options:',
    '  -h, --help                   show this help',
    '  -V, --version                print the version of sbx',
    '',
    'Docs: docs/architecture.md, docs/probe.md in the package.',
  ];
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(usage());
    return first === undefined ? USAGE_EXIT : 0;
  }
  if (first === '-V' || first === '--version') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(`sbx ${(require('../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === first);
  if (!cmd) {
    process.stderr.write(`sbx: unknown command '${first}' (see sbx --help)\n`);
    return USAGE_EXIT;
  }
  // `--help` asks for help only before `--` (after it, it belongs to the program: `sbx run -- ls --help`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('-h') || own.includes('--help')) {
    process.stdout.write(`usage: sbx ${cmd.usage}\n\n${cmd.help}\n`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof SbxError) {
      const where = e.pointer ? ` (${e.pointer})` : '';
      process.stderr.write(`sbx: ${e.message}${where} [${e.code}]\n`);
    } else if (e instanceof UsageError) {
      process.stderr.write(`sbx: ${e.message}\n`);
      process.exitCode = USAGE_EXIT;
      return;
    } else {
      process.stderr.write(`sbx: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    }
    process.exitCode = 1;
  },
);
