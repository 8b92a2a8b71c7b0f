import type { Command } from './command';
import { compileCommand } from './compile';
import { explainCommand } from './explain';
import { learnCommand } from './learn';
import { preloadPathCommand } from './preload-path';
import { probeCommand } from './probe';
import { runCommand } from './run';

/** Every subcommand the CLI lists; only ones that work are here. */
export const commands: Command[] = [runCommand, learnCommand, probeCommand, compileCommand, explainCommand, preloadPathCommand];
