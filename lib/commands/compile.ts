import fs from 'node:fs';
import path from 'node:path';
import { type Arch, compile, resolvePolicy } from '../compile';
import { type Command, UsageError } from './command';
import { parseArgs } from './args';

const FORMATS = ['disasm', 'bpf', 'json'] as const;

function looksLikeJson(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false; // the core names the file and the reason
  }
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const compileCommand: Command = {
  name: 'compile',
  usage: 'compile POLICY [options]',
  summary: 'compile a policy to its seccomp BPF program',
  help: [
    'POLICY is a preset name (strict), a file path, or inline JSON text.',
    '',
    '  --arch x86_64|aarch64        architecture to compile for (default: this machine)',
    '  --format disasm|bpf|json     disasm: readable listing (default); bpf: raw struct sock_filter',
    '                               bytes; json: program (base64), listing, notes and merged policy',
    '  --from-docker FILE           compile a Docker/OCI seccomp profile instead of POLICY',
    '  --from-minijail FILE         compile a minijail seccomp policy (.policy) instead of POLICY',
    '  --cap CAP                    with --from-docker: a capability the container keeps (repeatable;',
    '                               decides the profile\'s capability-dependent rules)',
    '  --no-path-check              do not require the policy\'s paths to exist here',
    '',
    'Notes (what was skipped and why) go to stderr, the program to stdout.',
  ].join('\n'),
  run(args) {
    const { values, switches, positionals } = parseArgs('compile', args, {
      values: ['--arch', '--format', '--from-docker', '--from-minijail'],
      repeatable: ['--cap'],
      switches: ['--no-path-check'],
    });
    const format = values.get('--format')?.[0] ?? 'disasm';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`compile: --format must be one of ${FORMATS.join(', ')}, not '${format}'`);
    }
    const docker = values.get('--from-docker')?.[0];
    const minijail = values.get('--from-minijail')?.[0];
    if (docker && minijail) throw new UsageError('compile: give either --from-docker or --from-minijail, not both');
    const from = docker ? '--from-docker' : '--from-minijail';
    if (docker || minijail ? positionals.length !== 0 : positionals.length !== 1) {
      throw new UsageError(docker || minijail ? `compile: give either POLICY or ${from} FILE, not both` : 'compile: expected one POLICY');
    }
    if (!docker && values.has('--cap')) throw new UsageError('compile: --cap only applies with --from-docker');
    // A minijail policy is told from JSON by its text (the core does the
    // same): a JSON file here is a Docker profile given to the wrong flag.
    if (minijail && looksLikeJson(minijail)) {
      throw new UsageError(`compile: ${minijail} is JSON, not a minijail policy (a Docker profile? use --from-docker)`);
    }
    // A profile or a minijail policy is compiled as a policy whose seccomp
    // section imports it: one path through the core for all of them.
    const imported = docker ?? minijail;
    const policy = imported
      ? JSON.stringify({ seccomp: { import: path.resolve(imported) }, capabilities: { keep: values.get('--cap') ?? [] } })
      : positionals[0];
    const opts = { arch: values.get('--arch')?.[0] as Arch | undefined, noPathCheck: switches.has('--no-path-check') };
    const c = compile(policy, opts);
    for (const n of c.notes) process.stderr.write(`note: ${n}\n`);
    if (format === 'bpf') {
      if (process.stdout.isTTY) throw new UsageError('compile: refusing to write binary BPF to a terminal; redirect it to a file');
      process.stdout.write(c.bpf);
    } else if (format === 'json') {
      const out = {
        arch: c.arch,
        instructions: c.instructions,
        bpf: c.bpf.toString('base64'),
        disassembly: c.disassembly.split('\n').filter(Boolean),
        notes: c.notes,
        policy: resolvePolicy(policy, opts),
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      process.stdout.write(c.instructions ? c.disassembly : '; no seccomp filter: the policy does not restrict system calls\n');
      if (c.disassembly && !c.disassembly.endsWith('\n')) process.stdout.write('\n');
    }
    return 0;
  },
};
