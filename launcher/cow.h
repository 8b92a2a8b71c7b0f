/*
 * Copy-on-write changes: the overlay's upper layer read against the host
 * directory (cow.c), listed (`--cow-diff`) or applied (`--cow-apply`,
 * cow_apply.c). One walk decides what changed; the apply acts on what the
 * walk found, by file descriptor, as it goes.
 *
 * Output: one JSON object per line, names as hex of their bytes (a name is
 * bytes, not text):
 *   {"kind":"created|modified|deleted","type":"file|dir|symlink|other","hex":"..."}
 * and, with --cow-apply, on every change line also
 *   "applied":true            on the host now
 *   "applied":false,"reason":"..."   not: "fifo", "socket", "device", the
 *                             failure that stopped the apply here, or "the
 *                             apply stopped at an earlier change"
 *   "leftover":"<hex>"        a temporary name in the same directory that
 *                             holds what the change displaced and could not
 *                             be removed
 * and one {"event":"abort","hex":"...","reason":"..."} where the apply stopped.
 */
#ifndef SBX_LAUNCHER_COW_H
#define SBX_LAUNCHER_COW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Paths inside the walk are relative to the working directory, as bytes. */
#define LN_COW_REL_MAX 4096

/* ---- overlay reading (cow.c) ---- */

/* A whiteout: character device 0/0 (a deletion). */
bool ln_cow_is_whiteout(const struct stat *st);
/* The directory `name` in `dirfd` is opaque (deleted and made again). */
bool ln_cow_is_opaque(int dirfd, const char *name);
/* The walk: the upper dir `ufd` against the host (lower) dir `lfd`; with
 * `ap` also applied onto it. Returns 0, or -1 if a directory could not be
 * read (diff) or the apply stopped (apply). */
struct ln_cow_apply;
int ln_cow_walk(int ufd, int lfd, struct ln_cow_apply *ap);

/* ---- the apply's steps (cow_apply.c), each on what the walk just found ---- */

/* What happened to one change: the line's "applied", "reason", "leftover". */
struct ln_cow_done {
	bool applied;
	const char *reason;     /* when not applied; static text or ap's buffer */
	char leftover[64];      /* a temporary name left behind, or "" */
};

/* Remove `name` (of type ls) from the host dir `lfd`; a directory with
 * everything in it, by fd, following no symlink. */
void ln_cow_apply_remove(struct ln_cow_apply *ap, int lfd, const char *name,
			 const struct stat *ls, const char *rel, struct ln_cow_done *d);
/* Put the upper's non-directory `name` (us) into `lfd`, replacing `ls`
 * (NULL: nothing there): a new file or symlink made under a temporary name
 * in the same directory and renamed into place. */
void ln_cow_apply_put(struct ln_cow_apply *ap, int ufd, int lfd, const char *name,
		      const struct stat *us, const struct stat *ls, const char *rel,
		      struct ln_cow_done *d);
/* Make the directory `name` in `lfd`, replacing `ls` (NULL: nothing there);
 * returns its fd (the walk goes on in it), or -1. */
int ln_cow_apply_mkdir(struct ln_cow_apply *ap, int lfd, const char *name,
		       const struct stat *ls, const char *rel, struct ln_cow_done *d);
/* Open the host's existing directory `name` (ls) to walk into it; -1 and the
 * apply stops if it is not that directory any more (or a mount point). */
int ln_cow_apply_open_dir(struct ln_cow_apply *ap, int lfd, const char *name,
			  const struct stat *ls, const char *rel);
/* Leaving a directory made or changed: its mode (rwx bits and sticky). */
void ln_cow_apply_dir_mode(struct ln_cow_apply *ap, int dfd, const struct stat *us,
			   const char *rel);
/* A change to be finished on the way out (a directory's mode): applied
 * unless the apply stopped. Returns d->applied. */
bool ln_cow_apply_pending(struct ln_cow_apply *ap, struct ln_cow_done *d);
/* A new apply (--cow-apply), NULL without memory. */
struct ln_cow_apply *ln_cow_apply_new(void);
/* Has the apply stopped? */
bool ln_cow_apply_stopped(const struct ln_cow_apply *ap);
/* Stop the apply at `rel`: `what` failed with errno `err` (0: `what` says
 * it all), and the abort line. */
void ln_cow_apply_stop(struct ln_cow_apply *ap, const char *rel, const char *what, int err);

/* ---- output (cow_emit.c) ---- */

/* One change line; `d` NULL when only listing. */
void ln_cow_emit(const char *kind, const char *rel, mode_t type, const struct ln_cow_done *d);
/* The abort line. */
void ln_cow_emit_abort(const char *rel, const char *reason);

#endif
