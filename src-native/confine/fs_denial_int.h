/*
 * Inside the file-denial model (fs_denial.c, fs_denial_move.c): reading the
 * caller's path, resolving it, and judging one access against the rules.
 */
#ifndef SBX_FS_DENIAL_INT_H
#define SBX_FS_DENIAL_INT_H

#include "fs_denial.h"
#include "landlock_defs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LL(x) LANDLOCK_ACCESS_FS_##x
/* Every right that makes an entry (the kind of file it makes). */
#define FSD_MAKES (LL(MAKE_REG) | LL(MAKE_DIR) | LL(MAKE_SYM) | LL(MAKE_FIFO) | LL(MAKE_SOCK) | \
		   LL(MAKE_CHAR) | LL(MAKE_BLOCK))
/* Not a Landlock right: a change of the file's inode (chmod, chown,
 * utimes) that only a read-only mount refuses. */
#define FSD_METADATA (UINT64_C(1) << 63)

/* The caller's NUL-terminated string at addr; 0 or -1. */
int fsd_read_string(pid_t pid, uint64_t addr, char *buf, size_t size);
/* `name` made absolute against dirfd (AT_FDCWD: the cwd) of `pid`. */
int fsd_absolute(pid_t pid, int dirfd, const char *name, char *out, size_t size);
/* `path` split into its resolved directory and its last name. */
int fsd_parent_of(const char *path, char *dir, char *last, size_t size);
/* The rights the rules grant on `path` (resolved). */
uint64_t fsd_granted(const struct sbx_prepared *pp, const char *path);
/* 1 with *out filled when `need` on `obj`, ruled by the rules of `ruled`
 * (the file, or its directory), is refused by Landlock or a read-only mount. */
int fsd_judge(const struct sbx_prepared *pp, const char *obj, const char *ruled,
	      uint64_t need, struct sbx_fs_denial *out);

/* A call on one entry of a directory (mkdir, unlink, symlink...): `need` on
 * the directory that holds `name`; the entry must exist or must not. */
int fsd_check_entry(const struct sbx_prepared *pp, pid_t pid, int dirfd, uint64_t name,
		    uint64_t need, bool must_exist, struct sbx_fs_denial *out);

/* rename, link, symlink, mknod, and the metadata calls (fs_denial_move.c);
 * 0 when `name` is none of them. */
int fsd_check_more(const struct sbx_prepared *pp, pid_t pid, const char *name,
		   const uint64_t args[6], struct sbx_fs_denial *out);

#endif
