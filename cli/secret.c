// SPDX-License-Identifier: GPL-2.0
/* Secrets the gateway commands store (S2S pre-shared keys and EAP
 * passwords, RADIUS secrets): read from a file or standard input, never
 * from the command line (where ps and shell history would show them),
 * held in sodium memory, and sealed to the gateway host's published key
 * before they reach the store (lib/secret). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli_gw.h"
#include "kinds/registry.h"
#include "policy/policy.h"
#include "secret/secret.h"

/* Reads one line (without its newline) from fd into s, at most max
 * bytes: -E2BIG if longer, -ENODATA if empty. s is sodium memory. */
static int read_line_fd(int fd, unsigned char *s, size_t max, size_t *len)
{
	size_t n = 0;
	char ch;
	ssize_t r;

	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n') {
		if (n == max) {
			sodium_memzero(&ch, 1);
			/* drain the line: it is not kept anywhere */
			while (read(fd, &ch, 1) == 1 && ch != '\n')
				;
			sodium_memzero(&ch, 1);
			return -E2BIG;
		}
		s[n++] = (unsigned char)ch;
	}
	sodium_memzero(&ch, 1);
	if (r < 0)
		return -errno;
	if (n && s[n - 1] == '\r')
		n--;
	*len = n;
	return n ? 0 : -ENODATA;
}

int cli_seal_secret(struct cli *c, const char *host, const char *what, const char *name,
		    const char *file, const char *ctx, size_t max, char *out, size_t outlen)
{
	struct tenet_record_list keys = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	unsigned char *buf = NULL;
	struct termios old, quiet;
	bool tty = false;
	char *sealed = NULL;
	size_t len = 0;
	int fd = STDIN_FILENO, ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_PUBKEY, host, &keys, &err) < 0)
		return cli_lib_fail(c, &err);
	if (!keys.n) {
		tenet_record_list_free(&keys);
		return cli_fail(c, "host %s: no host key published (start tenetd on %s first: the %s is "
				"sealed to its key)", host, host, what);
	}
	if (sodium_init() < 0 || !(buf = sodium_malloc(max + 1))) {
		ret = cli_fail(c, "cannot allocate secure memory for the %s", what);
		goto out;
	}
	if (file && strcmp(file, "-")) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = cli_fail(c, "secret-file %s: %s", file, strerror(errno));
			goto out;
		}
	} else if (isatty(fd) && tcgetattr(fd, &old) == 0) {
		fprintf(c->err, "%s for %s: ", what, name);
		fflush(c->err);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tty = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	ret = read_line_fd(fd, buf, max, &len);
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', c->err);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret == -E2BIG) {
		ret = cli_fail(c, "%s: longer than %zu bytes", what, max);
		goto out;
	}
	if (ret < 0) {
		ret = cli_fail(c, "%s: %s", what, ret == -ENODATA ? "empty (give it on standard "
			       "input or with secret-file FILE)" : strerror(-ret));
		goto out;
	}
	if (tenet_secret_seal(keys.recs[0].pubkey.pubkey, ctx, buf, len, &sealed, &err) < 0) {
		ret = cli_lib_fail(c, &err);
		goto out;
	}
	if (strlen(sealed) >= outlen) {
		ret = cli_fail(c, "%s: too long to store sealed", what);
		goto out;
	}
	strcpy(out, sealed);
	ret = 0;
out:
	free(sealed);
	if (buf)
		sodium_free(buf);
	tenet_record_list_free(&keys);
	return ret;
}
