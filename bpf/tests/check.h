/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP-style checker for the bpf/ unit tests: "ok N - what" or
 * "not ok N - what" per check, and "N passed, N failed[, N skipped]" at the
 * end, the closing line the project's runners read.
 */
#ifndef META_CHECK_H
#define META_CHECK_H

#include <stdarg.h>
#include <stdio.h>

#define __check_printf(a, b)	__attribute__((format(printf, a, b), unused))

static int check_passed, check_failed, check_skipped;

static int __check_printf(2, 3) check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ",
	       check_passed + check_failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (cond)
		check_passed++;
	else
		check_failed++;
	return cond;
}

static void __check_printf(1, 2) skip(const char *fmt, ...)
{
	va_list ap;

	fputs("# skip: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	check_skipped++;
}

static int __attribute__((unused)) check_done(void)
{
	printf("%d passed, %d failed", check_passed, check_failed);
	if (check_skipped)
		printf(", %d skipped", check_skipped);
	putchar('\n');
	return check_failed ? 1 : 0;
}

#endif /* META_CHECK_H */
