/*
 * One false positive of GCC 12's -fanalyzer (test/analyzer.test.ts), and
 * the narrow way it is silenced.
 *
 * The analyzer loses a pointer stored into an element of a heap array as
 * soon as the surrounding code calls a function it does not model (stat,
 * snprintf, realloc of the array, sbx_notebuf_add): it treats the call as
 * overwriting the array and reports the earlier allocation as leaked. The
 * stored objects belong to the array, which its owner frees with them. Only
 * that warning is silenced, only around such stores (clang, which builds
 * the fuzzers, does not know the warning's name).
 */
#ifndef SBX_ANALYZER_H
#define SBX_ANALYZER_H

#if defined(__GNUC__) && !defined(__clang__)
#define ANALYZER_STORED_IN_ARRAY_BEGIN                                       \
	_Pragma("GCC diagnostic push")                                       \
	_Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define ANALYZER_STORED_IN_ARRAY_END _Pragma("GCC diagnostic pop")
/* The native CLI front end (launcher/cli_*.c) builds one policy text and
 * then execs the launch or Node, or exits: what it allocates lives until
 * then by design, like a compiler's. Leaks matter in the processes that
 * stay (the spawn server, supervisors, the preload door), and every other
 * file keeps the warning. */
#define ANALYZER_UNTIL_EXEC_BEGIN                                            \
	_Pragma("GCC diagnostic push")                                       \
	_Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define ANALYZER_UNTIL_EXEC_END _Pragma("GCC diagnostic pop")
#else
#define ANALYZER_UNTIL_EXEC_BEGIN
#define ANALYZER_UNTIL_EXEC_END
#define ANALYZER_STORED_IN_ARRAY_BEGIN
#define ANALYZER_STORED_IN_ARRAY_END
#endif

#endif
