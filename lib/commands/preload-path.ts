import { artifactPaths } from '../native';
import { type Command, onlyFlags } from './command';

export const preloadPathCommand: Command = {
  name: 'preload-path',
  usage: 'preload-path',
  summary: 'print the absolute path of libsbx.so',
  help: 'For the preload door: LD_PRELOAD=$(npx --no-install sbx preload-path) app',
  run(args) {
    onlyFlags('preload-path', args, []);
    process.stdout.write(artifactPaths().preload + '\n');
    return 0;
  },
};
