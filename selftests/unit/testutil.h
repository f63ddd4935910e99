/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the cmocka unit tests (header only: every test file is
 * its own program). */
#ifndef TENET_TESTUTIL_H
#define TENET_TESTUTIL_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int tu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string. */
static inline char *tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *dir;

	if (asprintf(&dir, "%s/tenet-test-XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static inline void tu_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
