/**
 * The control run of the attack programs (test/escape/): each one UNCONFINED,
 * as root and as uid 65534, against real targets. The expected verdict of each
 * is written out below, per user, from what this host's kernel allows (facts
 * read here by independent means: sysctls, /proc/config.gz, util-linux).
 * Most attacks must ESCAPE here: that is what makes a BLOCKED under a door
 * mean something. The ones the kernel itself refuses to an unprivileged user
 * must be BLOCKED with the kernel's errno. A few negative controls (rlimits,
 * a chroot, an extra fd) show each program can also say BLOCKED/ESCAPED for the
 * other reason.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createEscapeFixtures,
  escapeArgs,
  escapeBinary,
  escapeNames,
  runEscape,
  type EscapeFixtures,
  type EscapeOptions,
  type EscapeResult,
  type Verdict,
} from './helpers/escape';
import { repoRoot } from './helpers/paths';
import { UNPRIV_UID, isRoot } from './helpers/unpriv';

// ---- host facts -------------------------------------------------------------

let kconfigText: string | null | undefined;
/** 'y' | 'm' | 'n' from /proc/config.gz, or null when the config is not available. */
function kconfig(name: string): 'y' | 'm' | 'n' | null {
  if (kconfigText === undefined) {
    try {
      kconfigText = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
    } catch {
      kconfigText = null;
    }
  }
  if (kconfigText === null) return null;
  const m = new RegExp(`^CONFIG_${name}=([ym])$`, 'm').exec(kconfigText);
  return m ? (m[1] as 'y' | 'm') : 'n';
}

function sysctl(p: string, dflt: number): number {
  try {
    return Number(fs.readFileSync(path.join('/proc/sys', p), 'utf8').trim());
  } catch {
    return dflt;
  }
}

/** Asked of util-linux's unshare, not of our programs. */
function usernsWorks(unpriv: boolean): boolean {
  const cmd = unpriv
    ? ['setpriv', `--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', 'unshare', '-U', 'true']
    : ['unshare', '-U', 'true'];
  return spawnSync(cmd[0], cmd.slice(1)).status === 0;
}

function anyBlockDevice(): boolean {
  try {
    return fs.readdirSync('/dev').some((f) => {
      try {
        return fs.statSync(path.join('/dev', f)).isBlockDevice();
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

const x64 = process.arch === 'x64';

/**
 * fds this test process itself lets its children inherit (no O_CLOEXEC), e.g.
 * from whatever started vitest: every child gets them, so the unconfined
 * fd_leak control must list them as allowed (under a door they are exactly
 * what fd_leak is there to catch).
 */
function inheritableFds(): number[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      if (fd <= 2) return false;
      try {
        const m = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
        return m !== null && (parseInt(m[1], 8) & 0o2000000) === 0;
      } catch {
        return false;
      }
    });
}
const allowedFds = (extra: number[] = []) => [0, 1, 2, ...extra, ...inheritableFds()].join(',');

// ---- the expected table -----------------------------------------------------

type Want = { v: Verdict | 'EITHER'; re?: RegExp };
const E = (re?: RegExp): Want => ({ v: 'ESCAPED', re });
const B = (re?: RegExp): Want => ({ v: 'BLOCKED', re });
/** Only where the host fact cannot be read (no /proc/config.gz): any real verdict, not ERROR. */
const EITHER: Want = { v: 'EITHER' };
const fromConfig = (name: string, yes: Want, no: Want): Want => {
  const c = kconfig(name);
  return c === null ? EITHER : c === 'n' ? no : yes;
};

const EPERM = /EPERM/;
const userns = { root: usernsWorks(false), unpriv: isRoot() ? usernsWorks(true) : false };
const bpfUnpriv = sysctl('kernel/unprivileged_bpf_disabled', 0);
const ioUring = sysctl('kernel/io_uring_disabled', 0);
const perfParanoid = sysctl('kernel/perf_event_paranoid', 2);
const legacyTiocsti = sysctl('dev/tty/legacy_tiocsti', 1);
const memfdNoexec = sysctl('vm/memfd_noexec', 0);
/** The host fact for int80: a kernel (or hypervisor) without 32-bit emulation
 * answers `int $0x80` with SIGSEGV and runs no 32-bit call, whatever its config
 * says (this VM's kernel has CONFIG_IA32_EMULATION=y and faults). */
const int80Faults = x64 && /raised SIGSEGV/.test(spawnSync(escapeBinary('int80'), [], { encoding: 'utf8' }).stdout ?? '');

interface Row {
  root: Want;
  unpriv: Want;
}

function table(): Record<string, Row> {
  const nsRow = (re: RegExp): Row => ({
    root: userns.root ? E() : B(),
    unpriv: userns.unpriv ? E() : B(re),
  });
  return {
    read_outside: { root: E(/read\(\) = 1 byte/), unpriv: E(/read\(\) = 1 byte/) },
    write_outside: { root: E(/created and wrote/), unpriv: E(/created and wrote/) },
    symlink_swap: { root: E(/read \d+ byte\(s\) of .* through d\//), unpriv: E(/read \d+ byte\(s\) of .* through d\//) },
    // Nothing notifies here: the first race reads the secret (or the second connects).
    notify_toctou: { root: E(/read \d+ byte\(s\) of|reached 127\.0\.0\.1/), unpriv: E(/read \d+ byte\(s\) of|reached 127\.0\.0\.1/) },
    exec_cwd: { root: E(/exited 0/), unpriv: E(/exited 0/) },
    tcp_connect: { root: E(/= 0$/), unpriv: E(/= 0$/) },
    udp_send: { root: E(/echoed/), unpriv: E(/echoed/) },
    netlink_route: { root: E(/\blo\b/), unpriv: E(/\blo\b/) },
    unix_path: { root: E(), unpriv: E() },
    unix_abstract: { root: E(), unpriv: E() },
    af_vsock: {
      root: fromConfig('VSOCKETS', E(), B(/EAFNOSUPPORT/)),
      unpriv: fromConfig('VSOCKETS', E(), B(/EAFNOSUPPORT/)),
    },
    af_alg: {
      root: fromConfig('CRYPTO_USER_API', E(), B(/EAFNOSUPPORT/)),
      unpriv: fromConfig('CRYPTO_USER_API', E(), B(/EAFNOSUPPORT/)),
    },
    ptrace_attach: { root: E(), unpriv: E() },
    ptrace_traceme: { root: E(/PEEKDATA read the child's memory/), unpriv: E(/PEEKDATA read the child's memory/) },
    process_vm_readv: { root: E(/read 16 bytes/), unpriv: E(/read 16 bytes/) },
    proc_mem: { root: E(/read 16 bytes/), unpriv: E(/read 16 bytes/) },
    kill_outside: { root: E(), unpriv: E() },
    sigurg_fsetown: { root: E(/SIGURG .*SIGWINCH/), unpriv: E(/SIGURG .*SIGWINCH/) },
    mount_tmpfs: { root: E(), unpriv: B(EPERM) },
    fsopen: { root: E(), unpriv: B(EPERM) },
    unshare_user: nsRow(/EPERM|EACCES|ENOSPC|EINVAL/),
    setns: { root: E(), unpriv: B(EPERM) },
    clone_newuser: nsRow(/EPERM|EACCES|ENOSPC|EINVAL/),
    clone3_ns: nsRow(/EPERM|EACCES|ENOSPC|EINVAL/),
    bpf_prog_load: { root: E(), unpriv: bpfUnpriv === 0 ? E() : B(EPERM) },
    io_uring: {
      root: ioUring >= 2 ? B(EPERM) : E(),
      unpriv: ioUring >= 1 ? B(EPERM) : E(),
    },
    keyctl: { root: E(), unpriv: E() },
    perf_event_open: { root: E(), unpriv: perfParanoid <= 2 ? E() : B(/EACCES|EPERM/) },
    // flags 0 needs privilege when vm.unprivileged_userfaultfd=0; UFFD_USER_MODE_ONLY never does (5.11+).
    userfaultfd: { root: E(/userfaultfd\(0\) = \d/), unpriv: E(/UFFD_USER_MODE_ONLY\) = \d|userfaultfd\(0\) = \d/) },
    reboot: { root: E(/EINVAL/), unpriv: B(EPERM) },
    kexec_load: {
      root: fs.existsSync('/sys/kernel/kexec_loaded') ? E(/EINVAL/) : B(/ENOSYS/),
      unpriv: fs.existsSync('/sys/kernel/kexec_loaded') ? B(EPERM) : B(/ENOSYS/),
    },
    init_module: {
      root: fs.existsSync('/proc/modules') ? E() : B(/ENOSYS/),
      unpriv: fs.existsSync('/proc/modules') ? B(EPERM) : B(/ENOSYS/),
    },
    clock_settime: { root: E(), unpriv: B(EPERM) },
    personality: { root: E(/in effect/), unpriv: E(/in effect/) },
    tiocsti: { root: E(), unpriv: legacyTiocsti ? E() : B(/EIO/) },
    tiocsti_highbits: { root: E(), unpriv: legacyTiocsti ? E() : B(/EIO/) },
    tioclinux: { root: E(), unpriv: E() },
    int80: x64
      ? int80Faults
        ? { root: B(/raised SIGSEGV/), unpriv: B(/raised SIGSEGV/) }
        : { root: fromConfig('IA32_EMULATION', E(/read back/), B()), unpriv: fromConfig('IA32_EMULATION', E(/read back/), B()) }
      : { root: { v: 'ERROR' }, unpriv: { v: 'ERROR' } },
    x32: x64
      ? { root: fromConfig('X86_X32_ABI', E(), B(/ENOSYS/)), unpriv: fromConfig('X86_X32_ABI', E(), B(/ENOSYS/)) }
      : { root: { v: 'ERROR' }, unpriv: { v: 'ERROR' } },
    // Root gains nothing it did not have; 65534 becomes euid 0.
    setuid_exec: { root: B(/gained nothing: euid 0 -> 0/), unpriv: E(/euid 65534 -> 0/) },
    memfd_exec: { root: memfdNoexec >= 2 ? B() : E(/exit status 0/), unpriv: memfdNoexec >= 2 ? B() : E(/exit status 0/) },
    seccomp_stack: { root: E(/allow-all filter installed; then socket/), unpriv: E(/allow-all filter installed; then socket/) },
    reexec_nopreload: { root: E(/re-executed .*socket/), unpriv: E(/re-executed .*socket/) },
    open_by_handle_at: { root: E(/= \d+$/), unpriv: B(EPERM) },
    fd_leak: { root: B(/only the allowed fds/), unpriv: B(/only the allowed fds/) },
    cwd_leak: { root: B(/lead back to our root/), unpriv: B(/lead back to our root/) },
    write_sbx_binary: { root: E(/open\(O_WRONLY\) = \d/), unpriv: B(/EACCES/) },
    sysrq_trigger: fs.existsSync('/proc/sysrq-trigger')
      ? { root: E(), unpriv: B(/EACCES/) }
      : { root: B(/ENOENT/), unpriv: B(/ENOENT/) },
    proc_sys_write: { root: E(), unpriv: B(/EACCES/) },
    mknod_dev: { root: E(/mknod\(chr 1:3\) = 0/), unpriv: B(EPERM) },
    // Any owner may set both bits on its own file (setgid: a group it is in).
    setuid_create: { root: E(/left by: chmod\(04755\), chmod\(02755\)/), unpriv: E(/left by: chmod\(04755\), chmod\(02755\)/) },
    block_dev_open: anyBlockDevice()
      ? { root: E(), unpriv: B(/EACCES/) }
      : { root: B(/no block device visible/), unpriv: B(/no block device visible/) },
    fork_bomb: { root: E(/forked N=64/), unpriv: E(/forked N=64/) },
    mem_bomb: { root: E(/64 MiB/), unpriv: E(/64 MiB/) },
    disk_fill: { root: E(/wrote 8 MiB/), unpriv: E(/wrote 8 MiB/) },
  };
}

function check(r: EscapeResult, want: Want) {
  const msg = `${r.argv.join(' ')}\n  -> ${r.line}\n  stderr: ${r.stderr.slice(-500)}`;
  if (want.v === 'EITHER') expect(['BLOCKED', 'ESCAPED'], msg).toContain(r.verdict);
  else expect(r.verdict, msg).toBe(want.v);
  if (want.re) expect(r.line, msg).toMatch(want.re);
}

// ---- the runs ---------------------------------------------------------------

const sources = fs
  .readdirSync(path.join(repoRoot, 'test', 'escape'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2))
  .sort();

describe.skipIf(!isRoot())('escape programs, unconfined (control)', () => {
  const rows = table();
  let fx: { root: EscapeFixtures; unpriv: EscapeFixtures };

  beforeAll(async () => {
    fx = { root: await createEscapeFixtures(), unpriv: await createEscapeFixtures({ forUnpriv: true }) };
  });
  afterAll(() => {
    fx?.root.close();
    fx?.unpriv.close();
  });

  test('every program is built and has a row in the expected table', () => {
    expect(escapeNames()).toEqual(sources);
    expect(Object.keys(rows).sort()).toEqual(sources);
  });

  for (const name of sources) {
    for (const user of ['root', 'unpriv'] as const) {
      const row = rows[name];
      const want = row?.[user];
      test(`${name} as ${user}: ${want?.v ?? 'no expectation'}`, () => {
        expect(want, `no row for ${name}`).toBeDefined();
        // setuid_exec always uses the root-prepared copy; everything else aims at the user's own fixtures.
        const args =
          name === 'setuid_exec' ? escapeArgs(name, fx.root)
          : name === 'fd_leak' ? [allowedFds()]
          : escapeArgs(name, fx[user]);
        const opts: EscapeOptions = {
          ...(user === 'unpriv' ? { asUser: 'unpriv' } : {}),
          record: { door: 'unconfined', user: user === 'root' ? 'root' : 'unprivileged' },
        };
        check(runEscape(name, args, opts), want!);
      });
    }
  }

  // ---- negative controls: the same programs must also be able to say the other thing.

  test('read_outside as 65534 of a root-only file: BLOCKED EACCES', () => {
    check(runEscape('read_outside', [fx.root.secretPath], { asUser: 'unpriv' }), B(/EACCES/));
  });

  test('ptrace_attach / process_vm_readv / kill_outside as 65534 on a root process: BLOCKED EPERM', () => {
    for (const name of ['ptrace_attach', 'process_vm_readv', 'kill_outside']) {
      check(runEscape(name, [String(fx.root.targetPid)], { asUser: 'unpriv' }), B(EPERM));
    }
  });

  test('fd_leak names an fd passed beyond the allowed list, and accepts it when listed', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      check(runEscape('fd_leak', [allowedFds()], { extraFds: [fd] }), E(/3->\/dev\/null/));
      check(runEscape('fd_leak', [allowedFds([3])], { extraFds: [fd] }), B(/only the allowed fds/));
    } finally {
      fs.closeSync(fd);
    }
  });

  test('cwd_leak: a chroot that keeps its cwd outside the new root is ESCAPED', () => {
    // A minimal root with the program and its shared libraries; perl's chroot
    // does not chdir, which is exactly the CVE-2024-21626 situation.
    const newroot = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-escape-chroot-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-escape-outside-'));
    try {
      const bin = escapeBinary('cwd_leak');
      fs.copyFileSync(bin, path.join(newroot, 'cwd_leak'));
      fs.chmodSync(path.join(newroot, 'cwd_leak'), 0o755);
      const ldd = spawnSync('ldd', [bin], { encoding: 'utf8' }).stdout;
      for (const m of ldd.matchAll(/(\/\S+) \(0x/g)) {
        const dst = path.join(newroot, m[1]);
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.copyFileSync(m[1], dst);
      }
      const perl = 'chroot(shift) or die "chroot: $!"; exec {$ARGV[0]} @ARGV or die "exec: $!"';
      const r = runEscape('cwd_leak', [], {
        wrap: () => ['perl', ['-e', perl, newroot, '/cwd_leak']],
        cwd: outside,
      });
      check(r, E(/cwd .* is outside our root/));
    } finally {
      fs.rmSync(newroot, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('bombs stop at an rlimit: BLOCKED with the count reached', () => {
    const prlimit = (flag: string) => (c: string, a: string[]): [string, string[]] => ['prlimit', [flag, c, ...a]];
    check(runEscape('mem_bomb', ['512'], { wrap: prlimit('--as=268435456') }), B(/ENOMEM after \d+ MiB/));
    check(runEscape('disk_fill', ['sbx-escape-fill', '8'], { wrap: prlimit('--fsize=1048576') }), B(/EFBIG after 1 MiB/));
    // RLIMIT_NPROC does not bind root (CAP_SYS_ADMIN): as 65534 it does.
    check(runEscape('fork_bomb', ['64'], { wrap: prlimit('--nproc=16'), asUser: 'unpriv' }), B(/EAGAIN after \d+ children/));
  });

  test('a process killed by SIGSYS is BLOCKED, a crash without a verdict is ERROR', () => {
    // The runner's reading of deaths, independent of any door: a shell that
    // dies of SIGSYS stands in for a seccomp kill; exit 126 for a failed setup.
    const sig = runEscape('keyctl', [], { wrap: (c, a) => ['sh', ['-c', 'kill -SYS $$', c, ...a]] });
    expect(sig.signal).toBe('SIGSYS');
    expect(sig.verdict).toBe('BLOCKED');
    const crash = runEscape('keyctl', [], { wrap: () => ['sh', ['-c', 'echo "sbx: setup failed" >&2; exit 126']] });
    expect(crash.verdict).toBe('ERROR');
    expect(crash.line).toMatch(/status 126.*setup failed/);
  });
});
