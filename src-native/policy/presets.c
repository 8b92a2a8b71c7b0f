/*
 * Built-in presets, as policy JSON compiled into the core so that every door
 * (including libsbx.so, which has no files of its own) sees the same ones.
 * What each allows and denies, and why, is in docs/policy.md ("Presets");
 * test_policy.c loads each one.
 *
 * The seccomp part is an allowlist (default errno:EPERM) built from the
 * syscall groups, broad enough for coreutils, sh, python3, node, git, gcc and
 * make, followed by explicit denials that hold even if a group grows later.
 */
#include "policy.h"

#include <string.h>

/* System directories: read and exec. Everything but /usr and /etc is
 * optional because distributions differ (usrmerge, multilib, no /opt). */
#define SYS_EXEC_DIRS                                                          \
	"\"/usr\", {\"path\": \"/bin\", \"optional\": true},"                     \
	"{\"path\": \"/sbin\", \"optional\": true},"                              \
	"{\"path\": \"/lib\", \"optional\": true},"                               \
	"{\"path\": \"/lib64\", \"optional\": true},"                             \
	"{\"path\": \"/lib32\", \"optional\": true},"                             \
	"{\"path\": \"/libx32\", \"optional\": true},"                            \
	"{\"path\": \"/opt\", \"optional\": true}"

/* Devices one by one, not /dev: as root, the owner of /dev/sda may read it
 * even without capabilities, and that is every file on the disk. */
#define SYS_READ                                                               \
	SYS_EXEC_DIRS ", \"/etc\", \"/proc\","                                    \
	"\"/dev/null\", \"/dev/zero\", \"/dev/full\", \"/dev/random\", \"/dev/urandom\"," \
	"{\"path\": \"/dev/tty\", \"optional\": true},"                           \
	"{\"path\": \"/dev/pts\", \"optional\": true},"                           \
	"{\"path\": \"/dev/shm\", \"optional\": true},"                           \
	"{\"path\": \"/sys/devices/system/cpu\", \"optional\": true},"            \
	"{\"path\": \"/sys/fs/cgroup\", \"optional\": true}"

#define DEV_WRITE                                                              \
	"\"/dev/null\", \"/dev/zero\", \"/dev/full\","                            \
	"{\"path\": \"/dev/tty\", \"optional\": true},"                           \
	"{\"path\": \"/dev/shm\", \"optional\": true}"

/* No socket of any family, except socketpair(). */
#define NO_NETWORK                                                             \
	"\"net\": {\"inet\": false, \"netlink\": false, \"other\": false,"        \
	"         \"unix\": \"socketpair\"}"

#define SECCOMP_ALLOW "\"allow\": [\"@system-service\", \"@sandbox\"]"

/* Denied even though a group above may contain them. */
#define SECCOMP_DENY                                                           \
	"\"@debug\", \"@mount\", \"@module\", \"@reboot\", \"@swap\", \"@clock\","  \
	"\"@keyring\", \"@raw-io\", \"bpf\", \"userfaultfd\", \"unshare\", \"setns\"," \
	"\"open_by_handle_at\", \"io_uring_setup\", \"io_uring_enter\","           \
	"\"io_uring_register\", \"acct\", \"quotactl\", \"quotactl_fd\", \"syslog\"," \
	"\"vhangup\", \"fanotify_init\", \"personality\", \"clone\", \"memfd_create\""

#define CLONE_NS_FLAGS                                                         \
	"CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|"     \
	"CLONE_NEWPID|CLONE_NEWNET"

/* No setuid or setgid file, whatever the door: under a root caller (a CI
 * runner, a container) a `chmod 4755` in the writable working directory
 * leaves a setuid-root program on the host, and for any uid such a file is
 * a way back in as that user or group (no_new_privs and the spawn door's
 * nosuid view make the bit inert only inside). So every call that sets a
 * mode fails with EPERM when the mode has S_ISUID or S_ISGID: the chmod
 * family, and creation with O_CREAT or O_TMPFILE, creat, mknod (the mode is
 * only read when the call creates). Masked tests on single bits: modes are
 * umode_t, compared on their low 32 bits (arg32.tsv), and callers pass type
 * bits too (Node's fchmod passes 0100644). The filter cannot tell a
 * directory from a file, so `chmod g+s DIR` fails too; mkdir strips both
 * bits itself, and a directory still inherits S_ISGID from its parent. The
 * calls the arm64 ABI lacks are limited to x86_64 (no note on arm64).
 * openat2's mode is in a struct behind a pointer: ENOSYS, on which its
 * callers fall back to openat (glibc, coreutils, python3, node and git never
 * call it). */
#define X86_ONLY " \"arch\": [\"x86_64\"],"
#define SETID_RULE(names, arch, when)                                          \
	"{\"syscall\": [" names "]," arch " \"when\": \"" when "\","                 \
	" \"action\": \"errno:EPERM\", \"comment\": \"no setuid/setgid files\"},"
#define NO_SETID_RULES                                                         \
	SETID_RULE("\"fchmod\"", "", "arg1 & S_ISUID == S_ISUID")                 \
	SETID_RULE("\"fchmod\"", "", "arg1 & S_ISGID == S_ISGID")                 \
	SETID_RULE("\"chmod\", \"creat\", \"mknod\"", X86_ONLY,                  \
		   "arg1 & S_ISUID == S_ISUID")                                     \
	SETID_RULE("\"chmod\", \"creat\", \"mknod\"", X86_ONLY,                  \
		   "arg1 & S_ISGID == S_ISGID")                                     \
	SETID_RULE("\"fchmodat\", \"fchmodat2\", \"mknodat\"", "",               \
		   "arg2 & S_ISUID == S_ISUID")                                     \
	SETID_RULE("\"fchmodat\", \"fchmodat2\", \"mknodat\"", "",               \
		   "arg2 & S_ISGID == S_ISGID")                                     \
	SETID_RULE("\"openat\"", "", "arg2 & O_CREAT == O_CREAT && arg3 & S_ISUID == S_ISUID") \
	SETID_RULE("\"openat\"", "", "arg2 & O_CREAT == O_CREAT && arg3 & S_ISGID == S_ISGID") \
	SETID_RULE("\"openat\"", "", "arg2 & O_TMPFILE == O_TMPFILE && arg3 & S_ISUID == S_ISUID") \
	SETID_RULE("\"openat\"", "", "arg2 & O_TMPFILE == O_TMPFILE && arg3 & S_ISGID == S_ISGID") \
	SETID_RULE("\"open\"", X86_ONLY, "arg1 & O_CREAT == O_CREAT && arg2 & S_ISUID == S_ISUID") \
	SETID_RULE("\"open\"", X86_ONLY, "arg1 & O_CREAT == O_CREAT && arg2 & S_ISGID == S_ISGID") \
	SETID_RULE("\"open\"", X86_ONLY, "arg1 & O_TMPFILE == O_TMPFILE && arg2 & S_ISUID == S_ISUID") \
	SETID_RULE("\"open\"", X86_ONLY, "arg1 & O_TMPFILE == O_TMPFILE && arg2 & S_ISGID == S_ISGID") \
	"{\"syscall\": \"openat2\", \"action\": \"errno:ENOSYS\","                \
	" \"comment\": \"its mode is behind a pointer: callers fall back to openat\"}"

/* clone() keeps working without namespace flags (CLONE_NEWTIME is not
 * among them: for clone() that bit is part of the exit signal). clone3's
 * flags are behind a pointer, so it gets ENOSYS and libc falls back to
 * clone(). A memfd lives on an internal mount that Landlock does not
 * govern, so an executable memfd would let a program run code it wrote
 * (fexecve) although `exec` allows only system directories: memfd_create
 * is allowed only with MFD_NOEXEC_SEAL (Linux 6.3+). TIOCEXCL would leave
 * the caller's terminal exclusive after the program ends (the shell could
 * no longer open /dev/tty). */
#define SECCOMP_RULES                                                          \
	"\"rules\": ["                                                              \
	"{\"syscall\": \"clone\", \"when\": \"arg0 & (" CLONE_NS_FLAGS ") == 0\","  \
	" \"action\": \"allow\"},"                                                  \
	"{\"syscall\": \"clone3\", \"action\": \"errno:ENOSYS\"},"                  \
	"{\"syscall\": \"personality\", \"when\": \"arg0 == 0xffffffff\","          \
	" \"action\": \"allow\", \"comment\": \"query only\"},"                     \
	"{\"syscall\": \"ioctl\", \"when\": \"arg1 in [TIOCSTI, TIOCLINUX, TIOCEXCL]\"," \
	" \"action\": \"errno:EPERM\"},"                                            \
	"{\"syscall\": \"memfd_create\","                                          \
	" \"when\": \"arg1 & MFD_NOEXEC_SEAL == MFD_NOEXEC_SEAL\","                 \
	" \"action\": \"allow\", \"comment\": \"never executable\"},"              \
	NO_SETID_RULES                                                          \
	"]"

static const char preset_strict[] =
	"{\"version\": 1,"
	"\"description\": \"Untrusted program in the working directory: read the system and the "
	"working directory, write the working directory and tmp, exec only system programs, "
	"no network, no capabilities.\","
	"\"fs\": {"
	"  \"read\": [" SYS_READ ", \"$CWD\", \"$TMPDIR\"],"
	"  \"write\": [\"$CWD\", \"$TMPDIR\", " DEV_WRITE "],"
	"  \"exec\": [" SYS_EXEC_DIRS "],"
	"  \"ioctlDev\": [{\"path\": \"/dev/tty\", \"optional\": true},"
	"               {\"path\": \"/dev/pts\", \"optional\": true}]"
	"},"
	NO_NETWORK ","
	"\"scope\": {\"abstractUnix\": true, \"signals\": true},"
	"\"seccomp\": {\"default\": \"errno:EPERM\", " SECCOMP_ALLOW ","
	"  \"deny\": [" SECCOMP_DENY "], " SECCOMP_RULES "},"
	"\"capabilities\": {\"keep\": []},"
	"\"rlimits\": {\"core\": 0}"
	"}";

/* What the host runs later without being asked to run the project: kept
 * read-only inside every writable directory (fs.protect; docs/policy.md).
 * Relative entries are taken beneath each writable root (and a root that
 * lies inside one of them, e.g. a working directory inside .git, gets its
 * part). Git: hooks, the config (core.fsmonitor, core.hooksPath, aliases,
 * filters...), submodules' repositories (their hooks and config), and, when
 * `.git` is a file (a worktree), that file. Editor and hook-manager
 * configuration that runs commands. sbx itself when installed in the
 * project. A missing entry that is not optional gets an empty read-only
 * directory in the spawn door, so that it cannot be made; optional ones are
 * protected only when present (an empty `.vscode` or `.bash_profile` would
 * change what the host does). With a writable home, the shell's and other
 * tools' start-up files ($HOME entries: skipped where $HOME is not set). */
#define OPT(p) "{\"path\": \"" p "\", \"optional\": true}"
#define PROTECT                                                                \
	"\".git/hooks\", \".git/modules\", " OPT(".git/config") ","                 \
	OPT(".git/config.worktree") "," OPT(".vscode") "," OPT(".idea") ","       \
	OPT(".husky") "," OPT(".pre-commit-config.yaml") "," OPT("lefthook.yml") "," \
	OPT(".lefthook.yml") "," OPT("node_modules/sbx") "," OPT("node_modules/.bin/sbx") "," \
	OPT("$HOME/.bashrc") "," OPT("$HOME/.bash_profile") "," OPT("$HOME/.bash_login") "," \
	OPT("$HOME/.bash_logout") "," OPT("$HOME/.profile") "," OPT("$HOME/.zshrc") "," \
	OPT("$HOME/.zshenv") "," OPT("$HOME/.zprofile") "," OPT("$HOME/.zlogin") ","  \
	OPT("$HOME/.config/fish") "," OPT("$HOME/.ssh") "," OPT("$HOME/.gitconfig") "," \
	OPT("$HOME/.config/git") "," OPT("$HOME/.npmrc") "," OPT("$HOME/.config/autostart") "," \
	OPT("$HOME/.config/systemd")

/* One sandbox must not take the host down: a fork bomb would fill the pid
 * table (32768 entries on many hosts), a memory hog the host's memory (a
 * private tmpfs is charged to whoever holds it). Enforced by the spawn door
 * with a cgroup where it can make one (pids also by RLIMIT_NPROC, counted in
 * the sandbox's user namespace); best-effort, so a host without a writable
 * cgroup still runs the command, and says so in `skipped`. The memory share
 * is never turned into RLIMIT_AS. The other doors skip the section. */
#define DEFAULT_LIMITS                                                         \
	"\"limits\": {\"pids\": 4096, \"memory\": \"50%\", \"compat\": \"best-effort\"}"

static const char preset_workspace[] =
	"{\"version\": 1, \"extends\": \"strict\","
	"\"description\": \"strict, and programs in the working directory may be executed "
	"(./configure, make && ./a.out, npm test); what the host runs later (git hooks and "
	"config, editor configuration, sbx itself, shell start-up files) stays read-only; "
	"at most 4096 processes and half the host's memory (spawn door).\","
	"\"fs\": {\"exec\": [\"$CWD\"], \"protect\": [" PROTECT "]},"
	DEFAULT_LIMITS
	"}";

/* The spawn door's default. Its filesystem view is already curated (home
 * and /tmp are private tmpfs there), so directory names may be listed
 * everywhere (`sbx run -- ls /`); file contents stay limited to workspace's
 * read list. A developer's machine: the private home is writable (caches),
 * the toolchains under $HOME run read-only, credentials stay hidden, and
 * from a subdirectory of a repository git works (docs/policy.md, "home and
 * git"). The other doors skip both keys (they only shape the view). */
static const char preset_default[] =
	"{\"version\": 1, \"extends\": \"workspace\","
	"\"description\": \"The spawn door's default: workspace, directory names may be "
	"listed everywhere, toolchains under $HOME run read-only in a writable private home "
	"(credentials hidden), and git works from a subdirectory of a repository.\","
	"\"fs\": {\"list\": [\"/\"]},"
	"\"home\": \"toolchains\", \"git\": true"
	"}";

static const char preset_node_service[] =
	"{\"version\": 1,"
	"\"description\": \"A network service after start-up: read the system and the working "
	"directory, write only tmp, execute nothing, network on.\","
	"\"fs\": {"
	"  \"read\": [" SYS_READ ", \"$CWD\", \"$TMPDIR\"],"
	"  \"write\": [\"$TMPDIR\", " DEV_WRITE "],"
	"  \"exec\": []"
	"},"
	"\"net\": {\"inet\": true, \"netlink\": true, \"other\": false, \"unix\": \"all\"},"
	"\"scope\": {\"abstractUnix\": true, \"signals\": true},"
	"\"seccomp\": {\"default\": \"errno:EPERM\", " SECCOMP_ALLOW ","
	"  \"deny\": [" SECCOMP_DENY ", \"execve\", \"execveat\"], " SECCOMP_RULES "},"
	"\"capabilities\": {\"keep\": []},"
	"\"rlimits\": {\"core\": 0}"
	"}";

static const char preset_no_network[] =
	"{\"version\": 1,"
	"\"description\": \"No network of any kind; nothing else restricted. Combine it: "
	"\\\"extends\\\": [\\\"my-policy.json\\\", \\\"no-network\\\"].\","
	NO_NETWORK ","
	"\"scope\": {\"abstractUnix\": true}"
	"}";

static const struct {
	const char *name;
	const char *text;
} presets[] = {
	{ "strict", preset_strict },
	{ "workspace", preset_workspace },
	{ "default", preset_default },
	{ "node-service", preset_node_service },
	{ "no-network", preset_no_network },
};

static const char *const preset_name_list[] = {
	"strict", "workspace", "default", "node-service", "no-network", NULL,
};

const char *const *sbx_preset_names(void)
{
	return preset_name_list;
}

size_t sbx_preset_count(void)
{
	return sizeof(presets) / sizeof(presets[0]);
}

const char *sbx_preset_text(const char *name)
{
	for (size_t i = 0; name && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcmp(presets[i].name, name))
			return presets[i].text;
	return NULL;
}
