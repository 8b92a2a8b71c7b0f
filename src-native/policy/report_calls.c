/* The calls `report` watches for file denials (see report_calls.h). */
#include "report_calls.h"

const char *const sbx_report_fs_calls[] = {
	/* open, exec, create */
	"open", "openat", "openat2", "creat", "execve", "execveat",
	"mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat",
	/* remove, move, link */
	"unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat",
	/* change a file in place: Landlock's truncate; the read-only view refuses the rest */
	"truncate", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchown",
	"fchownat", "utime", "utimes", "futimesat", "utimensat",
};
const size_t sbx_report_fs_ncalls = sizeof(sbx_report_fs_calls) / sizeof(sbx_report_fs_calls[0]);

const char sbx_report_fs_unseen[] =
	"ioctl on a device and ftruncate (Landlock fixes those rights when the file is opened, and "
	"a descriptor from before the sandbox has them all: the supervisor cannot tell which), "
	"device nodes made by mknod (no policy key grants them), extended attributes, and file "
	"operations submitted through io_uring where the policy allows it (the presets deny "
	"io_uring_setup: that is a reported system call)";
