/*
 * Class: setuid_exec — gain privilege by executing a setuid-root binary.
 * Source: issue 4 ("a setuid binary (no privilege gained)"); no_new_privs,
 * nosuid mounts and user namespaces each make setuid bits inert; without them
 * a sandboxed process regains root through any setuid program (CVE-2021-4034
 * pkexec, CVE-2023-4911 ld.so "Looney Tunables").
 * Usage: setuid_exec PATH   PATH is a setuid-root copy OF THIS PROGRAM that the
 * runner prepared (owner root, mode 4755). It is run as `PATH --report` and
 * prints its effective uid and effective capabilities, which are compared with
 * ours.
 * BLOCKED: the exec is refused, or the child has no more privilege than we do
 * (same euid, no extra capability). ESCAPED: euid 0 gained, or capabilities
 * gained. ERROR: PATH is not a setuid-root file.
 */
#define ESCAPE_CLASS "setuid_exec"
#include "escape.h"
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static uint64_t cap_effective(void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &h, d)) return 0;
  return (uint64_t)d[0].effective | ((uint64_t)d[1].effective << 32);
}

int main(int argc, char **argv)
{
  if (argc > 1 && !strcmp(argv[1], "--report")) {
    printf("%u %" PRIx64 "\n", (unsigned)geteuid(), cap_effective());
    return 0;
  }
  if (argc < 2) escape_error("usage: setuid_exec PATH");
  const char *path = argv[1];
  struct stat sb;
  if (stat(path, &sb)) escape_error("stat(%s) = -1 %s", path, escape_errname(errno));
  if (!(sb.st_mode & S_ISUID) || sb.st_uid != 0) escape_error("%s is not setuid-root (mode %o, uid %u)", path,
                                                              (unsigned)sb.st_mode & 07777, (unsigned)sb.st_uid);
  unsigned my_euid = (unsigned)geteuid();
  uint64_t my_caps = cap_effective();
  int out[2], ep[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) escape_error("pipe2 = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    dup2(out[1], STDOUT_FILENO);
    char *const av[] = { (char *)path, "--report", NULL };
    execv(path, av);
    int e = errno;
    ssize_t w = write(ep[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(out[1]);
  close(ep[1]);
  int e = 0;
  ssize_t er = read(ep[0], &e, sizeof e);
  char buf[128] = "";
  ssize_t n = read(out[0], buf, sizeof buf - 1);
  int st;
  waitpid(c, &st, 0);
  if (er == (ssize_t)sizeof e) escape_blocked("execve(%s) = -1 %s", path, escape_errname(e));
  if (WIFSIGNALED(st)) escape_blocked("setuid child killed by signal %d", WTERMSIG(st));
  unsigned ch_euid;
  uint64_t ch_caps;
  if (n <= 0 || sscanf(buf, "%u %" SCNx64, &ch_euid, &ch_caps) != 2)
    escape_error("the setuid child did not report (is %s a copy of setuid_exec?)", path);
  uint64_t gained = ch_caps & ~my_caps;
  if ((ch_euid == 0 && my_euid != 0) || gained)
    escape_escaped("exec of setuid-root %s: euid %u -> %u, capabilities %#" PRIx64 " -> %#" PRIx64, path, my_euid,
                   ch_euid, my_caps, ch_caps);
  escape_blocked("exec of setuid-root %s gained nothing: euid %u -> %u, capabilities %#" PRIx64 " -> %#" PRIx64, path,
                 my_euid, ch_euid, my_caps, ch_caps);
}
