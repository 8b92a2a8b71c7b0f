/*
 * Class: sigurg_fsetown — make the kernel signal a process outside the sandbox
 * through an fd's owner (F_SETOWN + O_ASYNC, F_SETSIG).
 * Source: issue 8 ("SIGURG via F_SETOWN set before lockdown"). Landlock's
 * signal scope (ABI 6) judges a SIGIO/SIGURG by the domain of whoever called
 * F_SETOWN, so an fd whose owner was set before the sandbox existed still
 * signals out; F_SETSIG can then pick the signal (even SIGKILL). Also tried:
 * F_SETOWN to the outside pid from inside (must be stopped by the same scope).
 *
 * Two stages, because the fd must be prepared unconfined:
 *   sigurg_fsetown [-- INNER-CMD...]     outer stage, run UNCONFINED. It forks
 *       a target process T (waits for SIGURG/SIGWINCH), makes a pipe whose read
 *       end is owned by T (F_SETOWN T, F_SETSIG SIGURG, O_ASYNC) at fds 3 (read)
 *       and 4 (write), runs INNER-CMD with "--rfd 3 --wfd 4 --pid T" appended
 *       (INNER-CMD is the confined command that ends in `sigurg_fsetown --inner`;
 *       default: this program itself, unconfined), and prints the verdict.
 *   sigurg_fsetown --inner --rfd R --wfd W --pid T   inner stage (confined):
 *       F_SETSIG(R, SIGURG) + write(W) [inherited fd]; then a fresh pipe with
 *       F_SETOWN(T), F_SETSIG(SIGWINCH), O_ASYNC + write [fresh fd]. Reports
 *       what each call returned on stdout (read by the outer stage).
 * BLOCKED: T received neither signal. ESCAPED: T received SIGURG (inherited
 * fd) and/or SIGWINCH (fresh F_SETOWN). ERROR: the inner stage never ran.
 * The outer stage keeps a write end of the owned pipe open throughout, so that
 * only a write (not the pipe's EOF when fds are closed) can raise the signal.
 */
#define ESCAPE_CLASS "sigurg_fsetown"
#include "escape.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

static void say(char *out, size_t len, const char *what, int r)
{
  size_t l = strlen(out);
  snprintf(out + l, len - l, "%s%s=%s", l ? " " : "", what, r < 0 ? escape_errname(errno) : "ok");
}

static int inner(int argc, char **argv)
{
  long rfd = -1, wfd = -1, pid = -1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--rfd")) rfd = escape_arg_long(argv[i + 1], "--rfd");
    else if (!strcmp(argv[i], "--wfd")) wfd = escape_arg_long(argv[i + 1], "--wfd");
    else if (!strcmp(argv[i], "--pid")) pid = escape_arg_long(argv[i + 1], "--pid");
  }
  char out[512] = "";
  say(out, sizeof out, "inherited:F_SETSIG", fcntl((int)rfd, F_SETSIG, SIGURG));
  say(out, sizeof out, "write", (int)write((int)wfd, "u", 1));
  int q[2];
  if (pipe2(q, O_CLOEXEC)) {
    say(out, sizeof out, "fresh:pipe", -1);
  } else {
    int r = fcntl(q[0], F_SETOWN, (int)pid);
    say(out, sizeof out, "fresh:F_SETOWN", r);
    if (r == 0) {
      say(out, sizeof out, "F_SETSIG", fcntl(q[0], F_SETSIG, SIGWINCH));
      say(out, sizeof out, "O_ASYNC", fcntl(q[0], F_SETFL, O_ASYNC));
      say(out, sizeof out, "write", (int)write(q[1], "w", 1));
    }
  }
  strcat(out, "\n");
  ssize_t w = write(STDOUT_FILENO, out, strlen(out));
  (void)w;
  return 0;
}

/* T: reports each SIGURG/SIGWINCH it receives as one byte on `rep`. */
static void target(int rep)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGURG);
  sigaddset(&s, SIGWINCH);
  struct timespec ts = { 30, 0 };
  for (;;) {
    int sig = sigtimedwait(&s, NULL, &ts);
    if (sig < 0 && errno == EINTR) continue;
    if (sig < 0) _exit(0);
    char c = sig == SIGURG ? 'U' : 'W';
    if (write(rep, &c, 1) != 1) _exit(0);
  }
}

static int move_to(int fd, int want)
{
  if (fd == want) return fcntl(fd, F_SETFD, 0);
  return dup2(fd, want) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
  if (argc > 1 && !strcmp(argv[1], "--inner")) return inner(argc, argv);
  int cmd0 = 0;
  if (argc > 1 && !strcmp(argv[1], "--")) cmd0 = 2;
  else if (argc > 1) escape_error("usage: sigurg_fsetown [-- INNER-CMD...] | --inner --rfd R --wfd W --pid T");
  if (cmd0 && cmd0 >= argc) escape_error("empty INNER-CMD after --");

  sigset_t s, old;
  sigemptyset(&s);
  sigaddset(&s, SIGURG);
  sigaddset(&s, SIGWINCH);
  sigprocmask(SIG_BLOCK, &s, &old);
  /* High fds, so that moving the owned pipe to 3/4 cannot clobber them. The
   * target is forked before the other pipes exist: it must not hold their ends. */
  int rep[2], outp[2], pp[2];
  int hi[6];
  if (pipe2(rep, O_CLOEXEC)) escape_error("pipe2 = -1 %s", escape_errname(errno));
  hi[0] = fcntl(rep[0], F_DUPFD_CLOEXEC, 64);
  hi[1] = fcntl(rep[1], F_DUPFD_CLOEXEC, 64);
  close(rep[0]);
  close(rep[1]);
  pid_t t = fork();
  if (t < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (t == 0) {
    close(hi[0]);
    target(hi[1]);
  }
  close(hi[1]);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (pipe2(outp, O_CLOEXEC) || pipe2(pp, O_CLOEXEC)) escape_error("pipe2 = -1 %s", escape_errname(errno));
  int lo[4] = { outp[0], outp[1], pp[0], pp[1] };
  for (int i = 0; i < 4; i++) {
    hi[2 + i] = fcntl(lo[i], F_DUPFD_CLOEXEC, 64);
    close(lo[i]);
  }

  int rfd = hi[4], wfd = hi[5];
  if (fcntl(rfd, F_SETOWN, t) || fcntl(rfd, F_SETSIG, SIGURG) || fcntl(rfd, F_SETFL, O_ASYNC))
    escape_error("preparing the owned fd failed: %s", escape_errname(errno));

  char pidbuf[16];
  snprintf(pidbuf, sizeof pidbuf, "%d", (int)t);
  int n = cmd0 ? argc - cmd0 : 2;
  char **av = calloc((size_t)n + 7, sizeof *av);
  if (!av) escape_error("out of memory");
  if (cmd0) for (int i = 0; i < n; i++) av[i] = argv[cmd0 + i];
  else { av[0] = "/proc/self/exe"; av[1] = "--inner"; }
  char *extra[] = { "--rfd", "3", "--wfd", "4", "--pid", pidbuf };
  for (int i = 0; i < 6; i++) av[n + i] = extra[i];

  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    if (move_to(rfd, 3) || move_to(wfd, 4) || dup2(hi[3], STDOUT_FILENO) < 0) _exit(125);
    execvp(av[0], av);
    _exit(127);
  }
  /* Keep our write end open until T is gone: closing the last one would
   * itself signal T (pipe EOF raises SIGIO), whoever closes it (a launcher
   * closing inherited fds, or the inner stage exiting). Only a write counts. */
  close(hi[3]);
  char inner_out[512] = "";
  size_t got = 0;
  ssize_t r;
  while (got < sizeof inner_out - 1 && (r = read(hi[2], inner_out + got, sizeof inner_out - 1 - got)) > 0)
    got += (size_t)r;
  inner_out[got] = 0;
  char *nl = strchr(inner_out, '\n');
  if (nl) *nl = 0;
  int st;
  waitpid(c, &st, 0);

  /* Signals are queued to T at write() time; give T a moment to report. */
  int saw_urg = 0, saw_winch = 0;
  struct pollfd pfd = { .fd = hi[0], .events = POLLIN };
  while (poll(&pfd, 1, 300) > 0) {
    char ch;
    if (read(hi[0], &ch, 1) != 1) break;
    if (ch == 'U') saw_urg = 1;
    if (ch == 'W') saw_winch = 1;
  }
  if (kill(t, SIGKILL) == 0) waitpid(t, NULL, 0); /* else PR_SET_PDEATHSIG ends it */

  if (saw_urg || saw_winch)
    escape_escaped("outside pid %d received%s%s [%s]", (int)t, saw_urg ? " SIGURG (inherited F_SETOWN fd)" : "",
                   saw_winch ? " SIGWINCH (fresh F_SETOWN)" : "", inner_out);
  if (WIFSIGNALED(st))
    escape_blocked("inner stage killed by signal %d [%s]", WTERMSIG(st), inner_out);
  if (!got)
    escape_error("the inner stage never reported (exit status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  escape_blocked("outside pid %d received no signal [%s]", (int)t, inner_out);
}
