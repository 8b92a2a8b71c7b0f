import { formatProbe, probe } from '../probe';
import { type Command, onlyFlags } from './command';

export const probeCommand: Command = {
  name: 'probe',
  usage: 'probe [--json]',
  summary: 'report what this kernel and process can enforce',
  help:
    'Measures (does not guess) Landlock, seccomp actions and flags, user namespaces (as root and\n' +
    'unprivileged), cgroups, container and the current process. --json prints the stable JSON\n' +
    'document described in docs/probe.md.',
  run(args) {
    const flags = onlyFlags('probe', args, ['--json']);
    const report = probe();
    process.stdout.write(flags.has('--json') ? JSON.stringify(report, null, 2) + '\n' : formatProbe(report));
    return 0;
  },
};
