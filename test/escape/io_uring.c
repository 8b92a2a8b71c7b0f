/*
 * Class: io_uring — create an io_uring instance with io_uring_setup.
 * Source: issue 4 ("io_uring"); io_uring performs I/O from kernel workers that
 * seccomp never sees (the reason Google disabled it in ChromeOS, Android and
 * production: https://security.googleblog.com/2023/06/learnings-from-kctf-vrps-42-linux.html).
 * Usage: io_uring   (the ring is created and closed; no operation is submitted)
 * BLOCKED: EPERM/EACCES/ENOSYS (policy, kernel.io_uring_disabled).
 * ESCAPED: a ring fd was returned.
 */
#define ESCAPE_CLASS "io_uring"
#include "escape.h"
#include <linux/io_uring.h>
#include <sys/syscall.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

int main(void)
{
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  long fd = syscall(__NR_io_uring_setup, 4, &p);
  escape_verdict_call("io_uring_setup(4)", fd, errno);
}
