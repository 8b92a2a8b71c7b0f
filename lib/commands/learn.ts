import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SbxError } from '../errors';
import { learn } from '../learn';
import { ShortcutError } from '../policy-shortcuts';
import { type Command, UsageError } from './command';
import { parseArgs } from './args';

const SIGNALS = os.constants.signals as unknown as Record<string, number>;

export const learnCommand: Command = {
  name: 'learn',
  usage: 'learn -o FILE [options] -- CMD [ARGS...]',
  summary: 'run a command under observation and write the policy it needs',
  help: [
    'Runs CMD in the spawn sandbox with its denials reported, grants what each denial',
    'needs (the file, not its directory; a listing as names only), and runs it again,',
    'until a round meets no new denial. Writes the base policy plus those additions.',
    'CMD runs once per round (at most --rounds): learn commands whose repeated runs',
    'are harmless. Credentials sbx hides, fs.hide paths and sbx\'s own files are never',
    'granted (named on stderr). See docs/learn.md.',
    '',
    '  -o, --output FILE   where to write the policy (- for stdout: the command\'s',
    '                      stdout then goes to stderr)',
    '  --force             overwrite FILE if it exists',
    '  --rounds N          run CMD at most N times (default 5)',
    '  --learn-hosts       grant the hosts the command connected to (net.hosts: the',
    '                      sandbox reaches the network through sbx\'s egress path, each',
    '                      new host from the next round on); without it none is granted',
    '  --policy P, --ro, --rw, --exec, --net, --unix, --allow-host, --env, --memory,',
    '  --pids, --timeout, --verbose, --quiet',
    '                      as for sbx run; part of the learned policy as given',
    '',
    'Exit status: the command\'s own in the last round; 125 the sandbox could not be',
    'set up (nothing written); 1 the policy could not be written; 2 usage.',
  ].join('\n'),
  async run(argsIn) {
    // -o is the one short flag (parseArgs knows long ones only).
    const dd = argsIn.indexOf('--');
    const own = dd < 0 ? argsIn : argsIn.slice(0, dd);
    const args = [...own.map((a) => (a === '-o' ? '--output' : a)), ...(dd < 0 ? [] : argsIn.slice(dd))];
    const { values, switches, positionals } = parseArgs('learn', args, {
      values: ['--output', '--policy', '--net', '--memory', '--pids', '--timeout', '--rounds'],
      repeatable: ['--ro', '--rw', '--exec', '--env', '--unix', '--allow-host'],
      switches: ['--force', '--learn-hosts', '--verbose', '--quiet'],
    });
    const out = values.get('--output')?.[0];
    if (out === undefined) throw new UsageError('learn: -o FILE is required (- for stdout)');
    if (!positionals.length) throw new UsageError('learn: no command given (sbx learn -o FILE [options] -- CMD [ARGS...])');
    const roundsText = values.get('--rounds')?.[0] ?? '5';
    if (!/^[1-9]\d{0,2}$/.test(roundsText)) throw new UsageError(`learn: --rounds expects a number from 1 to 999, not '${roundsText}'`);
    const setEnv: Record<string, string> = {};
    for (const kv of values.get('--env') ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`learn: --env expects NAME=VALUE, not '${kv}'`);
      setEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const pids = values.get('--pids')?.[0];
    if (pids !== undefined && !/^\d+$/.test(pids)) throw new UsageError(`learn: --pids expects a number, not '${pids}'`);
    const force = switches.has('--force');
    let file: OutputFile | undefined;
    try {
      // Refused before the command runs: a learn run can be long, and its side effects are not undone.
      file = out === '-' ? undefined : outputFile(out, force);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST') throw new UsageError(`learn: ${out} exists; give --force to overwrite it`);
      process.stderr.write(`sbx: learn: cannot write ${out}: ${err.message}\n`);
      return 1;
    }
    const [cmd, ...rest] = positionals;
    const log = (l: string) => process.stderr.write(`sbx learn: ${l}\n`);
    let r;
    try {
      r = await learn(cmd, rest, {
        policy: values.get('--policy')?.[0],
        shortcuts: {
          ro: values.get('--ro') ?? [],
          rw: values.get('--rw') ?? [],
          exec: values.get('--exec') ?? [],
          net: values.get('--net')?.[0] as 'none' | 'host' | undefined,
          unix: values.get('--unix') ?? [],
          hosts: values.get('--allow-host') ?? [],
          setEnv,
          limits: { memory: values.get('--memory')?.[0], pids: pids === undefined ? undefined : Number(pids), timeout: values.get('--timeout')?.[0] },
        },
        rounds: Number(roundsText),
        learnHosts: switches.has('--learn-hosts'),
        stdio: file ? 'inherit' : ['inherit', 2, 'inherit'],
        log,
        quiet: switches.has('--quiet'),
        verbose: switches.has('--verbose'),
      });
    } catch (e) {
      file?.drop();
      if (e instanceof ShortcutError) throw new UsageError(`learn: ${e.message.replace(/^ro\b|^rw\b|^exec\b/, (k) => `--${k}`)}`);
      if (e instanceof SbxError) {
        process.stderr.write(`sbx: learn: ${e.message}${e.pointer ? ` (${e.pointer})` : ''} [${e.code}]\n`);
        return 1;
      }
      throw e;
    }
    if (r.error) {
      file?.drop();
      process.stderr.write(`sbx: learn: the sandbox could not be set up, nothing learned: ${r.error.message}\n`);
      return 125;
    }
    for (const x of r.refused) log(`not granted: ${x.what}: ${x.why}`);
    const base = typeof r.policy.extends === 'string' ? `extends ${r.policy.extends}` : 'an inline base';
    const short = [
      r.roundsOut ? 'the last round still met new denials: run again with more --rounds' : '',
      r.unshown ? `${r.unshown} denial${r.unshown === 1 ? ' was' : 's were'} not shown (the report sends at most 100 lines a call in a run): the policy may be incomplete` : '',
    ].filter(Boolean);
    log(`${r.added.length} addition${r.added.length === 1 ? '' : 's'} to ${base} in ${r.rounds} round${r.rounds === 1 ? '' : 's'}${short.length ? ` (${short.join('; ')})` : ''}`);
    if (file) {
      try {
        file.write(r.text);
      } catch (e) {
        process.stderr.write(`sbx: learn: ${out}: ${(e as Error).message}\n`);
        return 1;
      }
      log(`wrote ${out} (check it: sbx explain ${JSON.stringify(file.path)})`);
    } else {
      process.stdout.write(r.text);
    }
    if (r.signal) return 128 + (SIGNALS[r.signal] ?? 0);
    return r.code ?? 1;
  },
};

interface OutputFile {
  path: string;
  /** Writes the policy in place of whatever is at the name now (a link there is replaced, never followed). */
  write(text: string): void;
  /** Takes back the empty file made to reserve the name (without --force), when nothing is written. */
  drop(): void;
}

/**
 * The -o file, its directory resolved before the command runs. The command may write in that directory
 * (the working directory is writable in the sandbox), and may leave a link at the name or in place of the
 * directory: learn writes a new file beside the name (O_EXCL: never through a link) and renames it over
 * the name, in the directory resolved at the start, and writes nothing if that directory now resolves
 * elsewhere. No sandbox process is left when it writes (the rounds are over, their pid namespaces gone).
 */
function outputFile(out: string, force: boolean): OutputFile {
  const dir = realpathSync(path.dirname(path.resolve(out)));
  const name = path.basename(path.resolve(out));
  const at = path.join(dir, name);
  if (!force) writeFileSync(at, '', { flag: 'wx' });
  const unchanged = () => {
    let now = '';
    try {
      now = realpathSync(path.dirname(path.resolve(out)));
    } catch {
      /* gone */
    }
    if (now !== dir) throw new Error(`its directory changed while the command ran (${dir} now resolves to ${now || 'nothing'}): not written`);
  };
  return {
    path: at,
    write(text) {
      unchanged();
      const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
      try {
        renameSync(tmp, at);
      } catch (e) {
        unlinkSync(tmp);
        throw e;
      }
    },
    drop() {
      if (force) return;
      try {
        unchanged();
        unlinkSync(at);
      } catch {
        /* already gone, or no longer ours to remove */
      }
    },
  };
}
