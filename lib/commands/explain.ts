import { explain } from '../compile';
import { type Command, UsageError } from './command';
import { parseArgs } from './args';

export const explainCommand: Command = {
  name: 'explain',
  usage: 'explain POLICY',
  summary: 'say in plain words what a policy allows and denies',
  help: 'POLICY is a preset name (strict), a file path, or inline JSON text.\n  --no-path-check   do not require the policy\'s paths to exist here',
  run(args) {
    const { switches, positionals } = parseArgs('explain', args, { switches: ['--no-path-check'] });
    if (positionals.length !== 1) throw new UsageError('explain: expected one POLICY');
    const text = explain(positionals[0], { noPathCheck: switches.has('--no-path-check') });
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return 0;
  },
};
