import type { Command } from './command';
import { compileCommand } from './compile';
import { explainCommand } from './explain';
import { preloadPathCommand } from './preload-path';
import { probeCommand } from './probe';

/** Every subcommand the CLI lists; only ones that work are here. */
export const commands: Command[] = [probeCommand, compileCommand, explainCommand, preloadPathCommand];
