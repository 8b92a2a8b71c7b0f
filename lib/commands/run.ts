import os from 'node:os';
import { ShortcutError, shortcutPolicy } from '../policy-shortcuts';
import { spawn } from '../spawn';
import { type Command, UsageError } from './command';
import { parseArgs } from './args';
import { explainRun, printChanges, printUnshown, printViolations, RUN_EXTRAS_HELP, takeCowFlag } from './run-extras';

/** The policy the flags describe: the given one (or `default`) with the flags on top (policy-shortcuts.ts, shared with the API). */
export function runPolicy(
  base: string | undefined,
  flags: {
    ro: string[];
    rw: string[];
    exec?: string[];
    net?: string;
    unix?: string[];
    allowHost?: string[];
    env: string[];
    memory?: string;
    pids?: string;
    timeout?: string;
  },
): string {
  const setEnv: Record<string, string> = {};
  for (const kv of flags.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`run: --env expects NAME=VALUE, not '${kv}'`);
    setEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (flags.pids !== undefined && !/^\d+$/.test(flags.pids)) throw new UsageError(`run: --pids expects a number, not '${flags.pids}'`);
  try {
    return shortcutPolicy(
      base,
      {
        ro: flags.ro,
        rw: flags.rw,
        exec: flags.exec,
        net: flags.net as 'none' | 'host' | undefined,
        unix: flags.unix,
        hosts: flags.allowHost,
        setEnv,
        limits: { memory: flags.memory, pids: flags.pids === undefined ? undefined : Number(flags.pids), timeout: flags.timeout },
      },
      { cwd: process.cwd(), names: 'flags' },
    );
  } catch (e) {
    if (e instanceof ShortcutError) throw new UsageError(`run: ${e.message}`);
    throw e;
  }
}

/** Like GNU timeout: the wall-clock limit (--timeout, limits.wallTime) killed the command. */
export const EXIT_TIMEOUT = 124;
/** Another limit killed it: the memory limit's OOM kill, or limits.cpuTime. */
export const EXIT_LIMIT = 123;
/** `--cow=apply`: the command ended, but applying its changes stopped part-way (or could not read them). */
export const EXIT_COW_APPLY = 122;

const SIGNALS: Record<string, number> = os.constants.signals as unknown as Record<string, number>;

export const runCommand: Command = {
  name: 'run',
  usage: 'run [options] -- CMD [ARGS...]',
  summary: 'run a command in a sandbox (spawn door)',
  help: [
    'Runs CMD in a new sandbox: namespaces the host allows, a read-only view of the host',
    'with the working directory writable, then Landlock and seccomp from the policy.',
    '',
    '  --policy P          preset name, policy file or inline JSON (default: default)',
    '  --ro PATH           bind PATH read-only into the sandbox and allow reading and',
    '                      executing it (a toolchain: --ro ~/tools; repeatable)',
    '  --rw PATH           bind PATH writable and allow reading and writing it (repeatable)',
    '  --exec PATH         allow executing files beneath PATH (what a build wrote in a',
    '                      --rw directory; fs.exec; repeatable)',
    '  --net none|host     none: own network namespace with loopback only (default);',
    '                      host: the host network (inet and netlink sockets); unix',
    '                      sockets reach only the sandbox\'s own and those of --unix',
    '  --unix PATH         the command may connect to this unix socket (docker.sock,',
    '                      an ssh-agent...; net.unixPaths; repeatable). Any other',
    '                      socket outside the sandbox is refused (EACCES)',
    '  --allow-host PATTERN  the command may reach this host through sbx\'s egress path',
    '                      (net.hosts; repeatable): a name, *.example.com, an IP or a',
    '                      CIDR range, with :PORT (default 80 and 443) or :* for any.',
    '                      Proxy-aware programs get HTTP_PROXY; others\' TCP connects go',
    '                      through it too; DNS answers allowed names only',
    '  --env NAME=VALUE    set a variable in the sandbox (repeatable)',
    '  --memory SIZE       memory limit of the whole sandbox (limits.memory: 512M, 2G)',
    '  --pids N            at most N processes in the sandbox (limits.pids)',
    '  --timeout DURATION  kill the whole sandbox after DURATION (limits.wallTime: 30s,',
    '                      500ms, 2m; a bare number is seconds)',
    '  --verbose           say which layers the host could not provide, one line each',
    '  --quiet             no line on stderr when the host refuses a layer (a user or',
    '                      mount namespace...; by default one line says which, why and',
    '                      what still holds)',
    ...RUN_EXTRAS_HELP,
    '',
    'Exit status: the command\'s own; 125 the sandbox could not be set up; 126 the',
    'command cannot be executed; 127 not found; 124 the wall-clock limit (--timeout)',
    'killed it; 123 another limit killed it (memory, limits.cpuTime); killed by signal N:',
    'sbx dies of the same signal (a shell shows 128+N).',
  ].join('\n'),
  run(argsIn) {
    const { args, cow } = takeCowFlag(argsIn); // run-extras.ts
    const { values, switches, positionals } = parseArgs('run', args, {
      values: ['--policy', '--net', '--memory', '--pids', '--timeout'],
      repeatable: ['--ro', '--rw', '--exec', '--env', '--unix', '--allow-host'],
      switches: ['--verbose', '--quiet', '--report', '--explain'],
    });
    if (!positionals.length && !switches.has('--explain')) throw new UsageError('run: no command given (sbx run [options] -- CMD [ARGS...])');
    const policy = runPolicy(values.get('--policy')?.[0], {
      ro: values.get('--ro') ?? [],
      rw: values.get('--rw') ?? [],
      exec: values.get('--exec') ?? [],
      net: values.get('--net')?.[0],
      unix: values.get('--unix') ?? [],
      allowHost: values.get('--allow-host') ?? [],
      env: values.get('--env') ?? [],
      memory: values.get('--memory')?.[0],
      pids: values.get('--pids')?.[0],
      timeout: values.get('--timeout')?.[0],
    });
    const report = switches.has('--report');
    if (switches.has('--explain')) return explainRun(policy, { cow, report }, positionals);
    const [cmd, ...rest] = positionals;
    const child = spawn(cmd, rest, { policy, stdio: 'inherit', verbose: switches.has('--verbose'), notice: switches.has('--quiet') ? 'none' : 'stderr', cow, report, server: false });
    if (report) printViolations(child); // run-extras.ts
    // The terminal's signals reach us and the launcher alike; the launcher
    // forwards to the program. Here they must not end the CLI first.
    const forward = (s: NodeJS.Signals) => () => child.kill(s);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    return new Promise<number>((resolve) => {
      child.once('error', (e) => {
        process.stderr.write(`sbx: run: cannot start the launcher: ${e.message}\n`);
        resolve(125);
      });
      child.once('close', async (code, signal) => {
        for (const [s, h] of handlers) process.off(s, h);
        if (report) await printUnshown(child); // run-extras.ts
        const changes = await printChanges(child); // --cow: run-extras.ts
        // The host holds only part of the changes: the program's own code
        // would hide that from a script (`sbx run --cow=apply -- make && ...`).
        if (cow === 'apply' && changes && (changes.applied === false || changes.error)) {
          const how = signal ? `was killed by ${signal}` : `exited with ${code ?? 'no code'}`;
          process.stderr.write(`sbx: cow: the changes were not all applied (see above); the command ${how}\n`);
          resolve(EXIT_COW_APPLY);
          return;
        }
        // ---- limits: a limit's kill has its own exit code ----
        const end = await child.ended;
        if (signal && end?.reason) {
          resolve(end.reason === 'timeout' ? EXIT_TIMEOUT : EXIT_LIMIT);
          return;
        }
        // ---- end limits ----
        if (signal) {
          // Die of the same signal, as the launcher does: the caller (a
          // shell shows 128+N) sees what happened to the program.
          process.kill(process.pid, signal);
          setTimeout(() => resolve(128 + (SIGNALS[signal] ?? 0)), 100);
          return;
        }
        resolve(code ?? 125);
      });
    });
  },
};
