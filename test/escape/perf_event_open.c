/*
 * Class: perf_event_open — open a performance counter.
 * Source: issue 4 (@debug syscalls); perf events are a large kernel surface
 * (CVE-2013-2094, CVE-2023-6931) and a side channel; Docker's default profile
 * denies perf_event_open.
 * Usage: perf_event_open   (a software task-clock counter on this process only,
 * user space only, so kernel.perf_event_paranoid <= 2 allows it to anyone)
 * BLOCKED: EPERM/EACCES/ENOSYS. ESCAPED: a counter fd was returned.
 */
#define ESCAPE_CLASS "perf_event_open"
#include "escape.h"
#include <linux/perf_event.h>
#include <sys/syscall.h>

int main(void)
{
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.disabled = 1;
  long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0UL);
  escape_verdict_call("perf_event_open(task-clock, self)", fd, errno);
}
