/*
 * Syscall tables, groups, argument widths and constants.
 *
 * The numbers are checked against independent sources: facts from the
 * kernel's tables quoted here, the Linux 6.1 uapi headers of this machine
 * (<asm/unistd_64.h> on x86_64: every name they know must have their number),
 * libc/uapi headers for the constants of the native arch, and, where the
 * running kernel is new enough and no seccomp filter is in the way, the
 * running kernel itself for the syscalls added after 6.1.
 */
#include "t.h"
#include "syscalls.h"

#include <errno.h>
#include <stdint.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/audit.h>

/* Constants of the native arch, from libc and uapi headers. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <linux/netlink.h>
#include <linux/memfd.h>
#include <linux/sched.h>

#if defined(__x86_64__)
#include <asm/unistd_64.h>
#endif

static const enum sbx_arch arches[] = { SBX_ARCH_X86_64, SBX_ARCH_AARCH64 };

TEST(x86_64_spot_checks)
{
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "read"), 0);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "write"), 1);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "open"), 2);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "execve"), 59);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "clone3"), 435);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "openat2"), 437);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "landlock_restrict_self"), 446);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "mseal"), 462);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "uretprobe"), 335);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "file_setattr"), 469);
	CHECK_STR(sbx_syscall_name(SBX_ARCH_X86_64, 59), "execve");
	CHECK_STR(sbx_syscall_name(SBX_ARCH_X86_64, 0), "read");
	/* 337..423 are unassigned on x86_64; 512+ are x32 and not in the table. */
	CHECK(sbx_syscall_name(SBX_ARCH_X86_64, 400) == NULL);
	CHECK(sbx_syscall_name(SBX_ARCH_X86_64, 512) == NULL);
	CHECK(sbx_syscall_name(SBX_ARCH_X86_64, -1) == NULL);
	CHECK(sbx_syscall_name(SBX_ARCH_X86_64, 100000) == NULL);
}

TEST(aarch64_spot_checks)
{
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "io_setup"), 0);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "openat"), 56);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "read"), 63);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "execve"), 221);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "clone"), 220);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "clone3"), 435);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "mseal"), 462);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "memfd_secret"), 447);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "renameat"), 38);
	CHECK_STR(sbx_syscall_name(SBX_ARCH_AARCH64, 221), "execve");
	/* 244-259 are reserved for arch-specific calls; arm64 has none. */
	CHECK(sbx_syscall_name(SBX_ARCH_AARCH64, 250) == NULL);
}

TEST(missing_on_arch_vs_unknown)
{
	static const char *const x86_only[] = { "open", "stat", "fork", "vfork", "pipe",
		"poll", "select", "dup2", "access", "arch_prctl", "uretprobe", "uprobe",
		"nfsservctl", "epoll_wait", "time", NULL };

	for (int i = 0; x86_only[i]; i++) {
		CHECK(sbx_syscall_lookup(SBX_ARCH_X86_64, x86_only[i]) >= 0);
		if (sbx_syscall_lookup(SBX_ARCH_AARCH64, x86_only[i]) != -ENOSYS)
			T_FAIL("%s on aarch64: want -ENOSYS", x86_only[i]);
	}
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "frobnicate"), -ENOENT);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_AARCH64, "frobnicate"), -ENOENT);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, ""), -ENOENT);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "@system-service"), -ENOENT);
	/* Names are exact: no case folding, no "sys_" prefix. */
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "READ"), -ENOENT);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, "sys_read"), -ENOENT);
	CHECK_EQ_INT(sbx_syscall_lookup(SBX_ARCH_X86_64, NULL), -EINVAL);
	CHECK_EQ_INT(sbx_syscall_lookup((enum sbx_arch)7, "read"), -EINVAL);
	CHECK(sbx_syscall_name((enum sbx_arch)7, 0) == NULL);
}

/* Name -> number -> name is the identity, numbers and names are unique,
 * and every name in the union resolves somewhere. */
TEST(tables_consistent_no_duplicates)
{
	size_t n = sbx_syscall_all_count();
	const char *all[1024];

	CHECK(n > 380 && n <= sizeof(all) / sizeof(all[0]));
	if (n > sizeof(all) / sizeof(all[0]))
		return;
	for (size_t i = 0; i < n; i++) {
		all[i] = sbx_syscall_all_name(i);
		if (!all[i] || !all[i][0])
			T_FAIL("all_name(%zu) is %s", i, all[i] ? "empty" : "NULL");
	}
	CHECK(sbx_syscall_all_name(n) == NULL);
	CHECK(sbx_syscall_all_name((size_t)-1) == NULL);
	for (size_t i = 1; i < n; i++)
		if (all[i - 1] && all[i] && strcmp(all[i - 1], all[i]) >= 0)
			T_FAIL("all_names not sorted/unique at %s, %s", all[i - 1], all[i]);

	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		const struct sbx_arch_info *info = sbx_arch_info(arches[a]);
		static unsigned char seen[4096];
		size_t by_nr = 0, by_name = 0;
		int highest = -1;

		memset(seen, 0, sizeof(seen));
		CHECK(info != NULL);
		if (!info)
			continue;
		CHECK(info->max_nr > 0 && info->max_nr < 4096);
		for (int nr = 0; nr <= info->max_nr; nr++) {
			const char *name = sbx_syscall_name(arches[a], nr);
			if (!name)
				continue;
			by_nr++;
			highest = nr;
			if (sbx_syscall_lookup(arches[a], name) != nr)
				T_FAIL("%s: %s has %d, lookup says %d", info->name, name, nr,
				       sbx_syscall_lookup(arches[a], name));
		}
		CHECK_EQ_INT(highest, info->max_nr);
		CHECK(sbx_syscall_name(arches[a], info->max_nr + 1) == NULL);
		for (size_t i = 0; i < n; i++) {
			int nr = sbx_syscall_lookup(arches[a], all[i]);
			if (nr == -ENOSYS)
				continue;
			if (nr < 0 || nr > info->max_nr) {
				T_FAIL("%s: %s -> %d", info->name, all[i], nr);
				continue;
			}
			by_name++;
			if (seen[nr]++)
				T_FAIL("%s: number %d used twice (%s)", info->name, nr, all[i]);
			CHECK_STR(sbx_syscall_name(arches[a], nr), all[i]);
		}
		CHECK_EQ_INT(by_name, by_nr);
	}
}

/* Every name the 6.1 uapi header <asm/unistd_64.h> knows, with its number
 * from that header: the headers are a second source for the old part. */
#define X86_64_HEADER_NAMES \
	X(_sysctl) X(accept) X(accept4) X(access) X(acct) X(add_key) \
	X(adjtimex) X(afs_syscall) X(alarm) X(arch_prctl) X(bind) X(bpf) \
	X(brk) X(capget) X(capset) X(chdir) X(chmod) X(chown) \
	X(chroot) X(clock_adjtime) X(clock_getres) X(clock_gettime) X(clock_nanosleep) X(clock_settime) \
	X(clone) X(clone3) X(close) X(close_range) X(connect) X(copy_file_range) \
	X(creat) X(create_module) X(delete_module) X(dup) X(dup2) X(dup3) \
	X(epoll_create) X(epoll_create1) X(epoll_ctl) X(epoll_ctl_old) X(epoll_pwait) X(epoll_pwait2) \
	X(epoll_wait) X(epoll_wait_old) X(eventfd) X(eventfd2) X(execve) X(execveat) \
	X(exit) X(exit_group) X(faccessat) X(faccessat2) X(fadvise64) X(fallocate) \
	X(fanotify_init) X(fanotify_mark) X(fchdir) X(fchmod) X(fchmodat) X(fchown) \
	X(fchownat) X(fcntl) X(fdatasync) X(fgetxattr) X(finit_module) X(flistxattr) \
	X(flock) X(fork) X(fremovexattr) X(fsconfig) X(fsetxattr) X(fsmount) \
	X(fsopen) X(fspick) X(fstat) X(fstatfs) X(fsync) X(ftruncate) \
	X(futex) X(futex_waitv) X(futimesat) X(get_kernel_syms) X(get_mempolicy) X(get_robust_list) \
	X(get_thread_area) X(getcpu) X(getcwd) X(getdents) X(getdents64) X(getegid) \
	X(geteuid) X(getgid) X(getgroups) X(getitimer) X(getpeername) X(getpgid) \
	X(getpgrp) X(getpid) X(getpmsg) X(getppid) X(getpriority) X(getrandom) \
	X(getresgid) X(getresuid) X(getrlimit) X(getrusage) X(getsid) X(getsockname) \
	X(getsockopt) X(gettid) X(gettimeofday) X(getuid) X(getxattr) X(init_module) \
	X(inotify_add_watch) X(inotify_init) X(inotify_init1) X(inotify_rm_watch) X(io_cancel) X(io_destroy) \
	X(io_getevents) X(io_pgetevents) X(io_setup) X(io_submit) X(io_uring_enter) X(io_uring_register) \
	X(io_uring_setup) X(ioctl) X(ioperm) X(iopl) X(ioprio_get) X(ioprio_set) \
	X(kcmp) X(kexec_file_load) X(kexec_load) X(keyctl) X(kill) X(landlock_add_rule) \
	X(landlock_create_ruleset) X(landlock_restrict_self) X(lchown) X(lgetxattr) X(link) X(linkat) \
	X(listen) X(listxattr) X(llistxattr) X(lookup_dcookie) X(lremovexattr) X(lseek) \
	X(lsetxattr) X(lstat) X(madvise) X(mbind) X(membarrier) X(memfd_create) \
	X(memfd_secret) X(migrate_pages) X(mincore) X(mkdir) X(mkdirat) X(mknod) \
	X(mknodat) X(mlock) X(mlock2) X(mlockall) X(mmap) X(modify_ldt) \
	X(mount) X(mount_setattr) X(move_mount) X(move_pages) X(mprotect) X(mq_getsetattr) \
	X(mq_notify) X(mq_open) X(mq_timedreceive) X(mq_timedsend) X(mq_unlink) X(mremap) \
	X(msgctl) X(msgget) X(msgrcv) X(msgsnd) X(msync) X(munlock) \
	X(munlockall) X(munmap) X(name_to_handle_at) X(nanosleep) X(newfstatat) X(nfsservctl) \
	X(open) X(open_by_handle_at) X(open_tree) X(openat) X(openat2) X(pause) \
	X(perf_event_open) X(personality) X(pidfd_getfd) X(pidfd_open) X(pidfd_send_signal) X(pipe) \
	X(pipe2) X(pivot_root) X(pkey_alloc) X(pkey_free) X(pkey_mprotect) X(poll) \
	X(ppoll) X(prctl) X(pread64) X(preadv) X(preadv2) X(prlimit64) \
	X(process_madvise) X(process_mrelease) X(process_vm_readv) X(process_vm_writev) X(pselect6) X(ptrace) \
	X(putpmsg) X(pwrite64) X(pwritev) X(pwritev2) X(query_module) X(quotactl) \
	X(quotactl_fd) X(read) X(readahead) X(readlink) X(readlinkat) X(readv) \
	X(reboot) X(recvfrom) X(recvmmsg) X(recvmsg) X(remap_file_pages) X(removexattr) \
	X(rename) X(renameat) X(renameat2) X(request_key) X(restart_syscall) X(rmdir) \
	X(rseq) X(rt_sigaction) X(rt_sigpending) X(rt_sigprocmask) X(rt_sigqueueinfo) X(rt_sigreturn) \
	X(rt_sigsuspend) X(rt_sigtimedwait) X(rt_tgsigqueueinfo) X(sched_get_priority_max) X(sched_get_priority_min) X(sched_getaffinity) \
	X(sched_getattr) X(sched_getparam) X(sched_getscheduler) X(sched_rr_get_interval) X(sched_setaffinity) X(sched_setattr) \
	X(sched_setparam) X(sched_setscheduler) X(sched_yield) X(seccomp) X(security) X(select) \
	X(semctl) X(semget) X(semop) X(semtimedop) X(sendfile) X(sendmmsg) \
	X(sendmsg) X(sendto) X(set_mempolicy) X(set_mempolicy_home_node) X(set_robust_list) X(set_thread_area) \
	X(set_tid_address) X(setdomainname) X(setfsgid) X(setfsuid) X(setgid) X(setgroups) \
	X(sethostname) X(setitimer) X(setns) X(setpgid) X(setpriority) X(setregid) \
	X(setresgid) X(setresuid) X(setreuid) X(setrlimit) X(setsid) X(setsockopt) \
	X(settimeofday) X(setuid) X(setxattr) X(shmat) X(shmctl) X(shmdt) \
	X(shmget) X(shutdown) X(sigaltstack) X(signalfd) X(signalfd4) X(socket) \
	X(socketpair) X(splice) X(stat) X(statfs) X(statx) X(swapoff) \
	X(swapon) X(symlink) X(symlinkat) X(sync) X(sync_file_range) X(syncfs) \
	X(sysfs) X(sysinfo) X(syslog) X(tee) X(tgkill) X(time) \
	X(timer_create) X(timer_delete) X(timer_getoverrun) X(timer_gettime) X(timer_settime) X(timerfd_create) \
	X(timerfd_gettime) X(timerfd_settime) X(times) X(tkill) X(truncate) X(tuxcall) \
	X(umask) X(umount2) X(uname) X(unlink) X(unlinkat) X(unshare) \
	X(uselib) X(userfaultfd) X(ustat) X(utime) X(utimensat) X(utimes) \
	X(vfork) X(vhangup) X(vmsplice) X(vserver) X(wait4) X(waitid) \
	X(write) X(writev)

/* Added to x86_64 after 6.1 (syscall_64.tbl in 6.18); no header here has them. */
static const char *const x86_64_since_6_1[] = {
	"uretprobe", "uprobe", "cachestat", "fchmodat2", "map_shadow_stack",
	"futex_wake", "futex_wait", "futex_requeue", "statmount", "listmount",
	"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
	"setxattrat", "getxattrat", "listxattrat", "removexattrat",
	"open_tree_attr", "file_getattr", "file_setattr", NULL
};

TEST(x86_64_matches_linux_6_1_headers)
{
#if defined(__x86_64__)
	size_t header_count = 0, new_count = 0, table_count = 0;
	const struct sbx_arch_info *info = sbx_arch_info(SBX_ARCH_X86_64);

#define X(name) \
	do { \
		header_count++; \
		if (sbx_syscall_lookup(SBX_ARCH_X86_64, #name) != __NR_##name) \
			T_FAIL("%s: table %d, header %d", #name, \
			       sbx_syscall_lookup(SBX_ARCH_X86_64, #name), __NR_##name); \
	} while (0);
	X86_64_HEADER_NAMES
#undef X
	for (int i = 0; x86_64_since_6_1[i]; i++) {
		new_count++;
		if (sbx_syscall_lookup(SBX_ARCH_X86_64, x86_64_since_6_1[i]) < 0)
			T_FAIL("%s missing on x86_64", x86_64_since_6_1[i]);
	}
	for (int nr = 0; nr <= info->max_nr; nr++)
		table_count += sbx_syscall_name(SBX_ARCH_X86_64, nr) != NULL;
	/* Nothing in the table that neither source accounts for. */
	CHECK_EQ_INT(table_count, header_count + new_count);
	CHECK_EQ_INT(header_count, 362);
#else
	printf("# not an x86_64 build: <asm/unistd_64.h> not available\n");
#endif
}

/* The running kernel is a third source for the calls added after 6.1: each
 * is called with arguments it must reject (an invalid flag word, checked
 * before anything else) and must answer EINVAL, not ENOSYS. This proves the
 * number is implemented here; it cannot tell two neighbours apart (they
 * reject the same garbage), which the kernel tables quoted in README.md do.
 * Skipped where the kernel is older than the call, or where a seccomp filter
 * may answer for the kernel. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 100 + minor;
}

static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

TEST(native_new_syscalls_exist_in_running_kernel)
{
	struct probe {
		const char *name;
		int since;   /* major * 100 + minor */
		long a[6];
	};
	/* Every call below validates its flag argument before touching the
	 * others; flags of all ones are invalid for each of them. */
	const long bad = -1;
	const struct probe probes[] = {
		{ "fchmodat2", 606, { -1, 0, 0, bad, 0, 0 } },
		{ "futex_wake", 607, { 0, 0, 0, bad, 0, 0 } },
		{ "statmount", 608, { 0, 0, 0, bad, 0, 0 } },
		{ "listmount", 608, { 0, 0, 0, bad, 0, 0 } },
		{ "mseal", 610, { 0, 0, bad, 0, 0, 0 } },
		{ "setxattrat", 613, { -1, 0, bad, 0, 0, 0 } },
		{ "getxattrat", 613, { -1, 0, bad, 0, 0, 0 } },
		{ "listxattrat", 613, { -1, 0, bad, 0, 0, 0 } },
		{ "removexattrat", 613, { -1, 0, bad, 0, 0, 0 } },
		{ "open_tree_attr", 615, { -1, 0, bad, 0, 0, 0 } },
		{ "file_getattr", 617, { -1, 0, 0, 0, bad, 0 } },
		{ "file_setattr", 617, { -1, 0, 0, 0, bad, 0 } },
	};
	int kv = kernel_version();
	int checked = 0;

	if (seccomp_mode() != 0) {
		printf("# a seccomp filter is active here; skipping the kernel probe\n");
		return;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];
		int nr = sbx_syscall_lookup(sbx_arch_native(), p->name);
		long r;

		if (nr < 0) {
			T_FAIL("%s not in the native table", p->name);
			continue;
		}
		if (kv < p->since)
			continue;
		errno = 0;
		r = syscall(nr, p->a[0], p->a[1], p->a[2], p->a[3], p->a[4], p->a[5]);
		if (r != -1 || errno != EINVAL)
			T_FAIL("%s (%d): want EINVAL, got %ld errno %d", p->name, nr, r, errno);
		checked++;
	}
	printf("# kernel %d.%02d: %d new syscalls probed\n", kv / 100, kv % 100, checked);

	/* Completeness: up to 6.18 (the version the tables describe) the first
	 * number after the table is unassigned. Newer kernels may use it. */
	if (kv > 0 && kv <= 618) {
		int next = sbx_arch_info(sbx_arch_native())->max_nr + 1;
		errno = 0;
		CHECK(syscall(next, -1L, 0L, -1L, -1L, -1L, 0L) == -1 && errno == ENOSYS);
	}
}

TEST(arch_info)
{
	const struct sbx_arch_info *x = sbx_arch_info(SBX_ARCH_X86_64);
	const struct sbx_arch_info *a = sbx_arch_info(SBX_ARCH_AARCH64);

	CHECK(x && a);
	if (!x || !a)
		return;
	CHECK_STR(x->name, "x86_64");
	CHECK_STR(a->name, "aarch64");
	CHECK_EQ_INT(x->audit_arch, AUDIT_ARCH_X86_64);
	CHECK_EQ_INT(a->audit_arch, AUDIT_ARCH_AARCH64);
	CHECK_EQ_INT(x->audit_arch, 0xc000003e);
	CHECK_EQ_INT(a->audit_arch, 0xc00000b7);
	CHECK_EQ_INT(x->x32_bit, 0x40000000);
#if defined(__x86_64__) && defined(__X32_SYSCALL_BIT)
	CHECK_EQ_INT(x->x32_bit, __X32_SYSCALL_BIT);
#endif
	CHECK_EQ_INT(a->x32_bit, 0);
	CHECK_EQ_INT(x->max_nr, 469);
	CHECK_EQ_INT(a->max_nr, 469);
	CHECK(sbx_arch_info((enum sbx_arch)2) == NULL);
	CHECK(sbx_arch_info((enum sbx_arch)-1) == NULL);

	CHECK_EQ_INT(sbx_arch_from_name("x86_64"), SBX_ARCH_X86_64);
	CHECK_EQ_INT(sbx_arch_from_name("amd64"), SBX_ARCH_X86_64);
	CHECK_EQ_INT(sbx_arch_from_name("aarch64"), SBX_ARCH_AARCH64);
	CHECK_EQ_INT(sbx_arch_from_name("arm64"), SBX_ARCH_AARCH64);
	CHECK_EQ_INT(sbx_arch_from_name("i386"), -1);
	CHECK_EQ_INT(sbx_arch_from_name(NULL), -1);
#if defined(__x86_64__)
	CHECK_EQ_INT(sbx_arch_native(), SBX_ARCH_X86_64);
#elif defined(__aarch64__)
	CHECK_EQ_INT(sbx_arch_native(), SBX_ARCH_AARCH64);
#endif
}

static bool resolves_somewhere(const char *name)
{
	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++)
		if (sbx_syscall_lookup(arches[a], name) >= 0)
			return true;
	return false;
}

/* Depth of nesting below a group; -1 on a cycle or a missing group. */
static int group_depth(const struct sbx_syscall_group *g, int budget)
{
	int deepest = 0;

	if (budget == 0)
		return -1;
	for (size_t i = 0; i < sbx_syscall_group_size(g); i++) {
		const char *member = sbx_syscall_group_member(g, i);
		const struct sbx_syscall_group *sub;
		int d;

		if (member[0] != '@')
			continue;
		sub = sbx_syscall_group_find(member);
		if (!sub)
			return -1;
		d = group_depth(sub, budget - 1);
		if (d < 0)
			return -1;
		if (d + 1 > deepest)
			deepest = d + 1;
	}
	return deepest;
}

TEST(groups_well_formed)
{
	static const char *const required[] = { "@aio", "@basic-io", "@chown", "@clock",
		"@cpu-emulation", "@debug", "@file-system", "@io-event", "@ipc", "@keyring",
		"@memlock", "@module", "@mount", "@network-io", "@obsolete", "@pkey",
		"@privileged", "@process", "@raw-io", "@reboot", "@resources", "@sandbox",
		"@setuid", "@signal", "@swap", "@sync", "@system-service", "@timer", NULL };
	size_t n = sbx_syscall_group_count();

	for (int i = 0; required[i]; i++)
		if (!sbx_syscall_group_find(required[i]))
			T_FAIL("group %s missing", required[i]);
	CHECK(sbx_syscall_group_find("@nope") == NULL);
	CHECK(sbx_syscall_group_find("system-service") == NULL);
	CHECK(sbx_syscall_group_find(NULL) == NULL);
	CHECK(n >= 28);
	CHECK(sbx_syscall_group_at(n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct sbx_syscall_group *g = sbx_syscall_group_at(i);
		const char *gname = g ? sbx_syscall_group_name(g) : NULL;
		const char *desc = g ? sbx_syscall_group_description(g) : NULL;
		size_t size = g ? sbx_syscall_group_size(g) : 0;

		CHECK(g != NULL);
		if (!g)
			continue;
		CHECK(gname[0] == '@');
		CHECK(desc && desc[0]);
		CHECK(sbx_syscall_group_find(gname) == g);
		if (i > 0 && strcmp(sbx_syscall_group_name(sbx_syscall_group_at(i - 1)), gname) >= 0)
			T_FAIL("groups not sorted at %s", gname);
		for (size_t m = 0; m < size; m++) {
			const char *name = sbx_syscall_group_member(g, m);

			if (m > 0 && strcmp(sbx_syscall_group_member(g, m - 1), name) >= 0)
				T_FAIL("%s: members not sorted/unique at %s", gname, name);
			if (name[0] == '@') {
				if (!sbx_syscall_group_find(name))
					T_FAIL("%s: unknown group %s", gname, name);
			} else if (!resolves_somewhere(name)) {
				T_FAIL("%s: %s resolves on no arch", gname, name);
			}
		}
		CHECK(sbx_syscall_group_member(g, size) == NULL);
		CHECK_EQ_INT(sbx_syscall_group_member_nr(g, SBX_ARCH_X86_64, size),
			     SBX_GROUP_NR_ABSENT);
		if (size == 0)
			T_FAIL("group %s is empty", gname);
		if (group_depth(g, 16) < 0)
			T_FAIL("group %s: cycle or dangling reference", gname);
	}
}

/* The generator resolves each group member's number per arch
 * (member_nr), which the compiler uses instead of a name search: it must be
 * exactly what a lookup by name gives. */
TEST(group_member_numbers_match_lookup)
{
	size_t n = sbx_syscall_group_count();
	int checked = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sbx_syscall_group *g = sbx_syscall_group_at(i);
		const char *gname = sbx_syscall_group_name(g);

		for (int a = 0; a < SBX_ARCH_COUNT; a++) {
			for (size_t m = 0; m < sbx_syscall_group_size(g); m++) {
				const char *name = sbx_syscall_group_member(g, m);
				int want, got = sbx_syscall_group_member_nr(g, (enum sbx_arch)a, m);

				if (name[0] == '@') {
					if (got != SBX_GROUP_NR_GROUP)
						T_FAIL("%s/%d: %s is a group, got %d",
						       gname, a, name, got);
					continue;
				}
				want = sbx_syscall_lookup((enum sbx_arch)a, name);
				if (want == -ENOSYS)
					want = SBX_GROUP_NR_ABSENT;
				if (got != want)
					T_FAIL("%s/%d: %s: table says %d, lookup %d",
					       gname, a, name, got, want);
				checked++;
			}
		}
		CHECK_EQ_INT(sbx_syscall_group_member_nr(g, (enum sbx_arch)SBX_ARCH_COUNT, 0),
			     SBX_GROUP_NR_ABSENT);
	}
	CHECK(checked > 500);
}

static bool group_has(const char *group, const char *member)
{
	const struct sbx_syscall_group *g = sbx_syscall_group_find(group);

	for (size_t i = 0; g && i < sbx_syscall_group_size(g); i++)
		if (!strcmp(sbx_syscall_group_member(g, i), member))
			return true;
	return false;
}

TEST(group_contents_spot_checks)
{
	CHECK(group_has("@mount", "mount"));
	CHECK(group_has("@mount", "fsmount"));
	CHECK(group_has("@mount", "open_tree_attr"));
	CHECK(group_has("@sandbox", "landlock_restrict_self"));
	CHECK(group_has("@debug", "ptrace"));
	CHECK(group_has("@network-io", "socket"));
	CHECK(group_has("@file-system", "openat"));
	CHECK(group_has("@file-system", "file_setattr"));
	CHECK(group_has("@system-service", "@file-system"));
	CHECK(group_has("@privileged", "@mount"));
	/* The dangerous ones stay out of the service set. */
	CHECK(!group_has("@system-service", "@mount"));
	CHECK(!group_has("@system-service", "@debug"));
	CHECK(!group_has("@system-service", "ptrace"));
	CHECK(!group_has("@system-service", "userfaultfd"));
}

TEST(arg32_masks)
{
	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		enum sbx_arch arch = arches[a];
#define MASK(name) sbx_syscall_arg32_mask(arch, sbx_syscall_lookup(arch, name))
		CHECK_EQ_INT(MASK("ioctl"), 0x3);       /* fd, cmd */
		CHECK_EQ_INT(MASK("socket"), 0x7);
		CHECK_EQ_INT(MASK("socketpair"), 0x7);
		CHECK_EQ_INT(MASK("personality"), 0x1);
		CHECK_EQ_INT(MASK("prctl"), 0x1);
		CHECK_EQ_INT(MASK("fcntl"), 0x3);
		CHECK_EQ_INT(MASK("kill"), 0x3);
		CHECK_EQ_INT(MASK("tgkill"), 0x7);
		CHECK_EQ_INT(MASK("setsockopt"), 0x17);  /* fd, level, optname, optlen */
		CHECK_EQ_INT(MASK("getsockopt"), 0x7);
		CHECK_EQ_INT(MASK("openat"), 0xd);       /* dfd, flags, mode */
		CHECK_EQ_INT(MASK("setns"), 0x3);
		CHECK_EQ_INT(MASK("clone"), 0x1);        /* lower_32_bits(clone_flags) */
		/* 64-bit in the kernel: the whole value must be compared. */
		CHECK_EQ_INT(MASK("unshare"), 0);
		CHECK_EQ_INT(MASK("mmap"), 0);
		CHECK_EQ_INT(MASK("mprotect"), 0);
		CHECK_EQ_INT(MASK("ptrace"), 0);
		CHECK_EQ_INT(MASK("clone3"), 0);
		CHECK_EQ_INT(MASK("execve"), 0);
#undef MASK
		CHECK_EQ_INT(sbx_syscall_arg32_mask(arch, -1), 0);
		CHECK_EQ_INT(sbx_syscall_arg32_mask(arch, 100000), 0);
	}
	CHECK_EQ_INT(sbx_syscall_arg32_mask(SBX_ARCH_X86_64,
					    sbx_syscall_lookup(SBX_ARCH_X86_64, "open")), 0x6);
	CHECK_EQ_INT(sbx_syscall_arg32_mask((enum sbx_arch)9, 16), 0);
	/* Same call, different numbers: the mask follows the name. */
	CHECK_EQ_INT(sbx_syscall_arg32_mask(SBX_ARCH_X86_64, 16), 0x3);   /* ioctl */
	CHECK_EQ_INT(sbx_syscall_arg32_mask(SBX_ARCH_AARCH64, 29), 0x3);  /* ioctl */
	CHECK_EQ_INT(sbx_syscall_arg32_mask(SBX_ARCH_AARCH64, 16), 0);    /* fremovexattr */
}

static uint64_t cval(enum sbx_arch arch, const char *name)
{
	uint64_t v = 0xdeadbeef;

	if (sbx_const_lookup(arch, name, &v) != 0)
		T_FAIL("constant %s missing", name);
	return v;
}

TEST(constants_per_arch)
{
	uint64_t v;

	/* arm64 overrides four open flags (arch/arm64/include/uapi/asm/fcntl.h). */
	CHECK_EQ_INT(cval(SBX_ARCH_X86_64, "O_DIRECTORY"), 0200000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_DIRECTORY"), 040000);
	CHECK_EQ_INT(cval(SBX_ARCH_X86_64, "O_NOFOLLOW"), 0400000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_NOFOLLOW"), 0100000);
	CHECK_EQ_INT(cval(SBX_ARCH_X86_64, "O_DIRECT"), 040000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_DIRECT"), 0200000);
	CHECK_EQ_INT(cval(SBX_ARCH_X86_64, "O_LARGEFILE"), 0100000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_LARGEFILE"), 0400000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_TMPFILE"), 020000000 | 040000);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "O_CLOEXEC"), 02000000);
	/* Present on one arch only. */
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_AARCH64, "MAP_32BIT", &v), -ENOENT);
	CHECK_EQ_INT(cval(SBX_ARCH_X86_64, "MAP_32BIT"), 0x40);
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_X86_64, "PROT_BTI", &v), -ENOENT);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "PROT_BTI"), 0x10);
	/* Same on both. */
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "TIOCSTI"), 0x5412);
	CHECK_EQ_INT(cval(SBX_ARCH_AARCH64, "CLONE_NEWUSER"), 0x10000000);
	CHECK(cval(SBX_ARCH_X86_64, "CLONE_INTO_CGROUP") == 0x200000000ULL);
	CHECK(cval(SBX_ARCH_X86_64, "AT_FDCWD") == (uint64_t)(int64_t)-100);
	/* Unknown, bad arguments. */
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_X86_64, "AF_NOPE", &v), -ENOENT);
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_X86_64, "af_unix", &v), -ENOENT);
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_X86_64, NULL, &v), -EINVAL);
	CHECK_EQ_INT(sbx_const_lookup(SBX_ARCH_X86_64, "AF_UNIX", NULL), -EINVAL);
	CHECK_EQ_INT(sbx_const_lookup((enum sbx_arch)5, "AF_UNIX", &v), -EINVAL);
}

/* The native arch's values against libc and uapi headers, name by name.
 * O_LARGEFILE is left out: glibc defines it as 0 on 64-bit targets, the
 * kernel's value is what a filter sees. */
#define NATIVE_HEADER_CONSTANTS \
	X(AF_UNSPEC) X(AF_UNIX) X(AF_LOCAL) X(AF_INET) \
	X(AF_AX25) X(AF_IPX) X(AF_APPLETALK) X(AF_NETROM) \
	X(AF_BRIDGE) X(AF_ATMPVC) X(AF_X25) X(AF_INET6) \
	X(AF_ROSE) X(AF_DECnet) X(AF_NETBEUI) X(AF_SECURITY) \
	X(AF_KEY) X(AF_NETLINK) X(AF_ROUTE) X(AF_PACKET) \
	X(AF_ASH) X(AF_ECONET) X(AF_ATMSVC) X(AF_RDS) \
	X(AF_SNA) X(AF_IRDA) X(AF_PPPOX) X(AF_WANPIPE) \
	X(AF_LLC) X(AF_IB) X(AF_MPLS) X(AF_CAN) \
	X(AF_TIPC) X(AF_BLUETOOTH) X(AF_IUCV) X(AF_RXRPC) \
	X(AF_ISDN) X(AF_PHONET) X(AF_IEEE802154) X(AF_CAIF) \
	X(AF_ALG) X(AF_NFC) X(AF_VSOCK) X(AF_KCM) \
	X(AF_QIPCRTR) X(AF_SMC) X(AF_XDP) X(AF_MCTP) \
	X(SOCK_STREAM) X(SOCK_DGRAM) X(SOCK_RAW) X(SOCK_RDM) \
	X(SOCK_SEQPACKET) X(SOCK_DCCP) X(SOCK_PACKET) X(SOCK_NONBLOCK) \
	X(SOCK_CLOEXEC) X(IPPROTO_IP) X(IPPROTO_ICMP) X(IPPROTO_TCP) \
	X(IPPROTO_UDP) X(IPPROTO_IPV6) X(IPPROTO_ICMPV6) X(IPPROTO_SCTP) \
	X(IPPROTO_UDPLITE) X(IPPROTO_RAW) X(IPPROTO_MPTCP) X(SOL_IP) \
	X(SOL_SOCKET) X(SOL_IPV6) X(SOL_RAW) X(SOL_PACKET) \
	X(SOL_NETLINK) X(SO_DEBUG) X(SO_REUSEADDR) X(SO_BROADCAST) \
	X(SO_KEEPALIVE) X(SO_REUSEPORT) X(SO_PEERCRED) X(SO_BINDTODEVICE) \
	X(SO_ATTACH_FILTER) X(SO_DETACH_FILTER) X(SO_MARK) X(SO_ATTACH_BPF) \
	X(NETLINK_ROUTE) X(NETLINK_USERSOCK) X(NETLINK_FIREWALL) X(NETLINK_SOCK_DIAG) \
	X(NETLINK_NFLOG) X(NETLINK_XFRM) X(NETLINK_SELINUX) X(NETLINK_ISCSI) \
	X(NETLINK_AUDIT) X(NETLINK_FIB_LOOKUP) X(NETLINK_CONNECTOR) X(NETLINK_NETFILTER) \
	X(NETLINK_IP6_FW) X(NETLINK_DNRTMSG) X(NETLINK_KOBJECT_UEVENT) X(NETLINK_GENERIC) \
	X(NETLINK_SCSITRANSPORT) X(NETLINK_ECRYPTFS) X(NETLINK_RDMA) X(NETLINK_CRYPTO) \
	X(NETLINK_SMC) X(CSIGNAL) X(CLONE_NEWTIME) X(CLONE_VM) \
	X(CLONE_FS) X(CLONE_FILES) X(CLONE_SIGHAND) X(CLONE_PIDFD) \
	X(CLONE_PTRACE) X(CLONE_VFORK) X(CLONE_PARENT) X(CLONE_THREAD) \
	X(CLONE_NEWNS) X(CLONE_SYSVSEM) X(CLONE_SETTLS) X(CLONE_PARENT_SETTID) \
	X(CLONE_CHILD_CLEARTID) X(CLONE_DETACHED) X(CLONE_UNTRACED) X(CLONE_CHILD_SETTID) \
	X(CLONE_NEWCGROUP) X(CLONE_NEWUTS) X(CLONE_NEWIPC) X(CLONE_NEWUSER) \
	X(CLONE_NEWPID) X(CLONE_NEWNET) X(CLONE_IO) X(CLONE_CLEAR_SIGHAND) \
	X(CLONE_INTO_CGROUP) X(PROT_NONE) X(PROT_READ) X(PROT_WRITE) \
	X(PROT_EXEC) X(PROT_GROWSDOWN) X(PROT_GROWSUP) X(MAP_SHARED) \
	X(MAP_PRIVATE) X(MAP_SHARED_VALIDATE) X(MAP_TYPE) X(MAP_FIXED) \
	X(MAP_ANONYMOUS) X(MAP_ANON) X(MAP_GROWSDOWN) X(MAP_DENYWRITE) \
	X(MAP_EXECUTABLE) X(MAP_LOCKED) X(MAP_NORESERVE) X(MAP_POPULATE) \
	X(MAP_NONBLOCK) X(MAP_STACK) X(MAP_HUGETLB) X(MAP_SYNC) \
	X(MAP_FIXED_NOREPLACE) X(O_RDONLY) X(O_WRONLY) X(O_RDWR) \
	X(O_ACCMODE) X(O_CREAT) X(O_EXCL) X(O_NOCTTY) \
	X(O_TRUNC) X(O_APPEND) X(O_NONBLOCK) X(O_NDELAY) \
	X(O_DSYNC) X(FASYNC) X(O_DIRECT) X(O_DIRECTORY) \
	X(O_NOFOLLOW) X(O_NOATIME) X(O_CLOEXEC) X(O_SYNC) \
	X(O_RSYNC) X(O_PATH) X(O_TMPFILE) X(AT_FDCWD) \
	X(AT_SYMLINK_NOFOLLOW) X(AT_EACCESS) X(AT_REMOVEDIR) X(AT_SYMLINK_FOLLOW) \
	X(AT_NO_AUTOMOUNT) X(AT_EMPTY_PATH) X(AT_RECURSIVE) X(F_DUPFD) \
	X(F_GETFD) X(F_SETFD) X(F_GETFL) X(F_SETFL) \
	X(F_GETLK) X(F_SETLK) X(F_SETLKW) X(F_SETOWN) \
	X(F_GETOWN) X(F_SETSIG) X(F_GETSIG) X(F_SETOWN_EX) \
	X(F_GETOWN_EX) X(F_OFD_GETLK) X(F_OFD_SETLK) X(F_OFD_SETLKW) \
	X(F_SETLEASE) X(F_GETLEASE) X(F_NOTIFY) X(F_DUPFD_CLOEXEC) \
	X(F_SETPIPE_SZ) X(F_GETPIPE_SZ) X(F_ADD_SEALS) X(F_GET_SEALS) \
	X(F_GET_RW_HINT) X(F_SET_RW_HINT) X(F_GET_FILE_RW_HINT) X(F_SET_FILE_RW_HINT) \
	X(FD_CLOEXEC) X(F_SEAL_SEAL) X(F_SEAL_SHRINK) X(F_SEAL_GROW) \
	X(F_SEAL_WRITE) X(F_SEAL_FUTURE_WRITE) X(MFD_CLOEXEC) X(MFD_ALLOW_SEALING) \
	X(MFD_HUGETLB) X(TCGETS) X(TCSETS) X(TCSETSW) \
	X(TCSETSF) X(TIOCEXCL) X(TIOCNXCL) X(TIOCSCTTY) \
	X(TIOCGPGRP) X(TIOCSPGRP) X(TIOCOUTQ) X(TIOCSTI) \
	X(TIOCGWINSZ) X(TIOCSWINSZ) X(TIOCMGET) X(TIOCMSET) \
	X(FIONREAD) X(TIOCINQ) X(TIOCLINUX) X(TIOCCONS) \
	X(FIONBIO) X(TIOCNOTTY) X(TIOCSETD) X(TIOCGETD) \
	X(TIOCSBRK) X(TIOCCBRK) X(TIOCGSID) X(TIOCGPTN) \
	X(TIOCSPTLCK) X(TIOCSIG) X(TIOCVHANGUP) X(TIOCGPTPEER) \
	X(FIONCLEX) X(FIOCLEX) X(FIOASYNC) X(PR_SET_PDEATHSIG) \
	X(PR_GET_PDEATHSIG) X(PR_GET_DUMPABLE) X(PR_SET_DUMPABLE) X(PR_GET_UNALIGN) \
	X(PR_SET_UNALIGN) X(PR_GET_KEEPCAPS) X(PR_SET_KEEPCAPS) X(PR_GET_FPEMU) \
	X(PR_SET_FPEMU) X(PR_GET_FPEXC) X(PR_SET_FPEXC) X(PR_GET_TIMING) \
	X(PR_SET_TIMING) X(PR_SET_NAME) X(PR_GET_NAME) X(PR_GET_ENDIAN) \
	X(PR_SET_ENDIAN) X(PR_GET_SECCOMP) X(PR_SET_SECCOMP) X(PR_CAPBSET_READ) \
	X(PR_CAPBSET_DROP) X(PR_GET_TSC) X(PR_SET_TSC) X(PR_GET_SECUREBITS) \
	X(PR_SET_SECUREBITS) X(PR_SET_TIMERSLACK) X(PR_GET_TIMERSLACK) X(PR_TASK_PERF_EVENTS_DISABLE) \
	X(PR_TASK_PERF_EVENTS_ENABLE) X(PR_MCE_KILL) X(PR_MCE_KILL_GET) X(PR_SET_MM) \
	X(PR_SET_CHILD_SUBREAPER) X(PR_GET_CHILD_SUBREAPER) X(PR_SET_NO_NEW_PRIVS) X(PR_GET_NO_NEW_PRIVS) \
	X(PR_GET_TID_ADDRESS) X(PR_SET_THP_DISABLE) X(PR_GET_THP_DISABLE) X(PR_SET_FP_MODE) \
	X(PR_GET_FP_MODE) X(PR_CAP_AMBIENT) X(PR_SVE_SET_VL) X(PR_SVE_GET_VL) \
	X(PR_GET_SPECULATION_CTRL) X(PR_SET_SPECULATION_CTRL) X(PR_PAC_RESET_KEYS) X(PR_SET_TAGGED_ADDR_CTRL) \
	X(PR_GET_TAGGED_ADDR_CTRL) X(PR_SET_IO_FLUSHER) X(PR_GET_IO_FLUSHER) X(PR_SET_SYSCALL_USER_DISPATCH) \
	X(PR_PAC_SET_ENABLED_KEYS) X(PR_PAC_GET_ENABLED_KEYS) X(PR_SCHED_CORE) X(PR_SME_SET_VL) \
	X(PR_SME_GET_VL) X(PR_SET_PTRACER) X(PR_SET_VMA) X(PER_LINUX) \
	X(PER_LINUX_32BIT) X(PER_LINUX_FDPIC) X(PER_LINUX32) X(PER_LINUX32_3GB) \
	X(PER_MASK) X(UNAME26) X(ADDR_NO_RANDOMIZE) X(FDPIC_FUNCPTRS) \
	X(MMAP_PAGE_ZERO) X(ADDR_COMPAT_LAYOUT) X(READ_IMPLIES_EXEC) X(ADDR_LIMIT_32BIT) \
	X(SHORT_INODE) X(WHOLE_SECONDS) X(STICKY_TIMEOUTS) X(ADDR_LIMIT_3GB) \
	X(SIGHUP) X(SIGINT) X(SIGQUIT) X(SIGILL) \
	X(SIGTRAP) X(SIGABRT) X(SIGIOT) X(SIGBUS) \
	X(SIGFPE) X(SIGKILL) X(SIGUSR1) X(SIGSEGV) \
	X(SIGUSR2) X(SIGPIPE) X(SIGALRM) X(SIGTERM) \
	X(SIGSTKFLT) X(SIGCHLD) X(SIGCONT) X(SIGSTOP) \
	X(SIGTSTP) X(SIGTTIN) X(SIGTTOU) X(SIGURG) \
	X(SIGXCPU) X(SIGXFSZ) X(SIGVTALRM) X(SIGPROF) \
	X(SIGWINCH) X(SIGIO) X(SIGPOLL) X(SIGPWR) \
	X(SIGSYS) X(PTRACE_TRACEME) X(PTRACE_PEEKTEXT) X(PTRACE_PEEKDATA) \
	X(PTRACE_POKETEXT) X(PTRACE_POKEDATA) X(PTRACE_CONT) X(PTRACE_KILL) \
	X(PTRACE_SINGLESTEP) X(PTRACE_ATTACH) X(PTRACE_DETACH) X(PTRACE_SYSCALL) \
	X(PTRACE_SETOPTIONS) X(PTRACE_GETEVENTMSG) X(PTRACE_GETSIGINFO) X(PTRACE_SETSIGINFO) \
	X(PTRACE_GETREGSET) X(PTRACE_SETREGSET) X(PTRACE_SEIZE) X(PTRACE_INTERRUPT) \
	X(PTRACE_LISTEN) X(PTRACE_PEEKSIGINFO) X(PTRACE_GETSIGMASK) X(PTRACE_SETSIGMASK) \
	X(PTRACE_SECCOMP_GET_FILTER) X(PTRACE_SECCOMP_GET_METADATA) X(PTRACE_GET_SYSCALL_INFO) X(PTRACE_GET_RSEQ_CONFIGURATION) \
	X(RLIMIT_CPU) X(RLIMIT_FSIZE) X(RLIMIT_DATA) X(RLIMIT_STACK) \
	X(RLIMIT_CORE) X(RLIMIT_RSS) X(RLIMIT_NPROC) X(RLIMIT_NOFILE) \
	X(RLIMIT_MEMLOCK) X(RLIMIT_AS) X(RLIMIT_LOCKS) X(RLIMIT_SIGPENDING) \
	X(RLIMIT_MSGQUEUE) X(RLIMIT_NICE) X(RLIMIT_RTPRIO) X(RLIMIT_RTTIME) \
	X(PTRACE_PEEKUSER) X(PTRACE_POKEUSER) X(S_ISUID) X(S_ISGID) \
	X(S_ISVTX)

TEST(native_constants_match_headers)
{
	enum sbx_arch arch = sbx_arch_native();
	int checked = 0;
	uint64_t v;

#define X(name) \
	do { \
		checked++; \
		if (sbx_const_lookup(arch, #name, &v) != 0) \
			T_FAIL("%s missing", #name); \
		else if (v != (uint64_t)(long long)(name)) \
			T_FAIL("%s: table 0x%llx, header 0x%llx", #name, \
			       (unsigned long long)v, (unsigned long long)(long long)(name)); \
	} while (0);
	NATIVE_HEADER_CONSTANTS
#ifdef MAP_32BIT
	X(MAP_32BIT)
#endif
#undef X
	CHECK(checked > 400);
}

TEST(suggestions)
{
	CHECK_STR(sbx_syscall_suggest("exceve"), "execve");
	CHECK_STR(sbx_syscall_suggest("@sytem-service"), "@system-service");
	CHECK_STR(sbx_syscall_suggest("@file-sytem"), "@file-system");
	CHECK_STR(sbx_syscall_suggest("landlock_restict_self"), "landlock_restrict_self");
	CHECK_STR(sbx_syscall_suggest("EXECVE"), "execve");
	CHECK_STR(sbx_syscall_suggest("mseal"), "mseal");
	CHECK(sbx_syscall_suggest("completely_unrelated_name") == NULL);
	CHECK(sbx_syscall_suggest("") == NULL);
	CHECK(sbx_syscall_suggest("x") == NULL);
	CHECK(sbx_syscall_suggest(NULL) == NULL);
	{
		char longname[300];
		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK(sbx_syscall_suggest(longname) == NULL);
	}
	CHECK_STR(sbx_const_suggest("af_unix"), "AF_UNIX");
	CHECK_STR(sbx_const_suggest("CLONE_NEWUSR"), "CLONE_NEWUSER");
	CHECK_STR(sbx_const_suggest("TIOCST"), "TIOCSTI");
	CHECK(sbx_const_suggest("NOT_A_CONSTANT_AT_ALL") == NULL);
	CHECK(sbx_const_suggest(NULL) == NULL);
}

int main(void)
{
	return t_run();
}
