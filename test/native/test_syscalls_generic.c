/*
 * The aarch64 table against a second source: the Linux 6.1 uapi header
 * <asm-generic/unistd.h> on this machine, configured as arm64's
 * <asm/unistd.h> configures it (the same __ARCH_WANT_* switches). Every name
 * it defines must have its number in sbx's table, which was taken from the
 * 6.18 scripts/syscall.tbl; the table may only add the calls listed below.
 * This file includes no other syscall header, so the generic numbers cannot
 * clash with the host's.
 */
#define __ARCH_WANT_RENAMEAT
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_SYS_CLONE3
#define __ARCH_WANT_MEMFD_SECRET
#include <asm-generic/unistd.h>

#include "t.h"
#include "syscalls.h"

#include <errno.h>

#define GENERIC_HEADER_NAMES \
	X(accept) X(accept4) X(acct) X(add_key) X(adjtimex) X(bind) \
	X(bpf) X(brk) X(capget) X(capset) X(chdir) X(chroot) \
	X(clock_adjtime) X(clock_getres) X(clock_gettime) X(clock_nanosleep) X(clock_settime) X(clone) \
	X(clone3) X(close) X(close_range) X(connect) X(copy_file_range) X(delete_module) \
	X(dup) X(dup3) X(epoll_create1) X(epoll_ctl) X(epoll_pwait) X(epoll_pwait2) \
	X(eventfd2) X(execve) X(execveat) X(exit) X(exit_group) X(faccessat) \
	X(faccessat2) X(fadvise64) X(fallocate) X(fanotify_init) X(fanotify_mark) X(fchdir) \
	X(fchmod) X(fchmodat) X(fchown) X(fchownat) X(fcntl) X(fdatasync) \
	X(fgetxattr) X(finit_module) X(flistxattr) X(flock) X(fremovexattr) X(fsconfig) \
	X(fsetxattr) X(fsmount) X(fsopen) X(fspick) X(fstat) X(fstatfs) \
	X(fsync) X(ftruncate) X(futex) X(futex_waitv) X(get_mempolicy) X(get_robust_list) \
	X(getcpu) X(getcwd) X(getdents64) X(getegid) X(geteuid) X(getgid) \
	X(getgroups) X(getitimer) X(getpeername) X(getpgid) X(getpid) X(getppid) \
	X(getpriority) X(getrandom) X(getresgid) X(getresuid) X(getrlimit) X(getrusage) \
	X(getsid) X(getsockname) X(getsockopt) X(gettid) X(gettimeofday) X(getuid) \
	X(getxattr) X(init_module) X(inotify_add_watch) X(inotify_init1) X(inotify_rm_watch) X(io_cancel) \
	X(io_destroy) X(io_getevents) X(io_pgetevents) X(io_setup) X(io_submit) X(io_uring_enter) \
	X(io_uring_register) X(io_uring_setup) X(ioctl) X(ioprio_get) X(ioprio_set) X(kcmp) \
	X(kexec_file_load) X(kexec_load) X(keyctl) X(kill) X(landlock_add_rule) X(landlock_create_ruleset) \
	X(landlock_restrict_self) X(lgetxattr) X(linkat) X(listen) X(listxattr) X(llistxattr) \
	X(lookup_dcookie) X(lremovexattr) X(lseek) X(lsetxattr) X(madvise) X(mbind) \
	X(membarrier) X(memfd_create) X(memfd_secret) X(migrate_pages) X(mincore) X(mkdirat) \
	X(mknodat) X(mlock) X(mlock2) X(mlockall) X(mmap) X(mount) \
	X(mount_setattr) X(move_mount) X(move_pages) X(mprotect) X(mq_getsetattr) X(mq_notify) \
	X(mq_open) X(mq_timedreceive) X(mq_timedsend) X(mq_unlink) X(mremap) X(msgctl) \
	X(msgget) X(msgrcv) X(msgsnd) X(msync) X(munlock) X(munlockall) \
	X(munmap) X(name_to_handle_at) X(nanosleep) X(newfstatat) X(open_by_handle_at) X(open_tree) \
	X(openat) X(openat2) X(perf_event_open) X(personality) X(pidfd_getfd) X(pidfd_open) \
	X(pidfd_send_signal) X(pipe2) X(pivot_root) X(pkey_alloc) X(pkey_free) X(pkey_mprotect) \
	X(ppoll) X(prctl) X(pread64) X(preadv) X(preadv2) X(prlimit64) \
	X(process_madvise) X(process_mrelease) X(process_vm_readv) X(process_vm_writev) X(pselect6) X(ptrace) \
	X(pwrite64) X(pwritev) X(pwritev2) X(quotactl) X(quotactl_fd) X(read) \
	X(readahead) X(readlinkat) X(readv) X(reboot) X(recvfrom) X(recvmmsg) \
	X(recvmsg) X(remap_file_pages) X(removexattr) X(renameat) X(renameat2) X(request_key) \
	X(restart_syscall) X(rseq) X(rt_sigaction) X(rt_sigpending) X(rt_sigprocmask) X(rt_sigqueueinfo) \
	X(rt_sigreturn) X(rt_sigsuspend) X(rt_sigtimedwait) X(rt_tgsigqueueinfo) X(sched_get_priority_max) X(sched_get_priority_min) \
	X(sched_getaffinity) X(sched_getattr) X(sched_getparam) X(sched_getscheduler) X(sched_rr_get_interval) X(sched_setaffinity) \
	X(sched_setattr) X(sched_setparam) X(sched_setscheduler) X(sched_yield) X(seccomp) X(semctl) \
	X(semget) X(semop) X(semtimedop) X(sendfile) X(sendmmsg) X(sendmsg) \
	X(sendto) X(set_mempolicy) X(set_mempolicy_home_node) X(set_robust_list) X(set_tid_address) X(setdomainname) \
	X(setfsgid) X(setfsuid) X(setgid) X(setgroups) X(sethostname) X(setitimer) \
	X(setns) X(setpgid) X(setpriority) X(setregid) X(setresgid) X(setresuid) \
	X(setreuid) X(setrlimit) X(setsid) X(setsockopt) X(settimeofday) X(setuid) \
	X(setxattr) X(shmat) X(shmctl) X(shmdt) X(shmget) X(shutdown) \
	X(sigaltstack) X(signalfd4) X(socket) X(socketpair) X(splice) X(statfs) \
	X(statx) X(swapoff) X(swapon) X(symlinkat) X(sync) X(sync_file_range) \
	X(syncfs) X(sysinfo) X(syslog) X(tee) X(tgkill) X(timer_create) \
	X(timer_delete) X(timer_getoverrun) X(timer_gettime) X(timer_settime) X(timerfd_create) X(timerfd_gettime) \
	X(timerfd_settime) X(times) X(tkill) X(truncate) X(umask) X(umount2) \
	X(uname) X(unlinkat) X(unshare) X(userfaultfd) X(utimensat) X(vhangup) \
	X(vmsplice) X(wait4) X(waitid) X(write) X(writev)

/* In scripts/syscall.tbl (6.18) but not in the 6.1 header. */
static const char *const since_6_1[] = {
	"cachestat", "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait",
	"futex_requeue", "statmount", "listmount", "lsm_get_self_attr",
	"lsm_set_self_attr", "lsm_list_modules", "mseal", "setxattrat",
	"getxattrat", "listxattrat", "removexattrat", "open_tree_attr",
	"file_getattr", "file_setattr", NULL
};

TEST(aarch64_matches_linux_6_1_generic_header)
{
	size_t header_count = 0, new_count = 0, table_count = 0;
	const struct sbx_arch_info *info = sbx_arch_info(SBX_ARCH_AARCH64);

#define X(name) \
	do { \
		header_count++; \
		if (sbx_syscall_lookup(SBX_ARCH_AARCH64, #name) != __NR_##name) \
			T_FAIL("%s: table %d, header %d", #name, \
			       sbx_syscall_lookup(SBX_ARCH_AARCH64, #name), __NR_##name); \
	} while (0);
	GENERIC_HEADER_NAMES
#undef X
	for (int i = 0; since_6_1[i]; i++) {
		new_count++;
		if (sbx_syscall_lookup(SBX_ARCH_AARCH64, since_6_1[i]) < 0)
			T_FAIL("%s missing on aarch64", since_6_1[i]);
	}
	for (int nr = 0; nr <= info->max_nr; nr++)
		table_count += sbx_syscall_name(SBX_ARCH_AARCH64, nr) != NULL;
	CHECK_EQ_INT(table_count, header_count + new_count);
	CHECK_EQ_INT(header_count, 305);
}

/* The 6.1 header still names nfsservctl (42, wired to sys_ni_syscall); the
 * generated table of 6.18 no longer lists it, and neither does sbx. On
 * aarch64 it is therefore "exists elsewhere" (x86_64 has 180). */
TEST(aarch64_nfsservctl_dropped)
{
	CHECK_EQ_INT(__NR_nfsservctl, 42);
	CHECK(sbx_syscall_name(SBX_ARCH_AARCH64, 42) == NULL);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "nfsservctl"), -ENOSYS);
}

/* Calls that arm64 never had: the generic header does not define them. */
TEST(aarch64_has_no_legacy_calls)
{
#if defined(__NR_open) || defined(__NR_fork) || defined(__NR_stat) || defined(__NR_pipe)
	T_FAIL("the generic header unexpectedly defines a legacy call");
#endif
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "open"), -ENOSYS);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "fork"), -ENOSYS);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "stat"), -ENOSYS);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "pipe"), -ENOSYS);
}

int main(void)
{
	return t_run();
}
