/* SPDX-License-Identifier: GPL-2.0 */
/* The tenet command line as a function, so tests can run it and capture
 * what it prints. */
#ifndef TENET_CLI_H
#define TENET_CLI_H

#include <stdio.h>

/* Exit codes. */
#define TENET_EXIT_OK 0
#define TENET_EXIT_RUNTIME 1    /* a well-formed command failed or was refused */
#define TENET_EXIT_USAGE 2      /* the command line itself is wrong */

/* Runs `tenet argv[1] ...`; argv[0] is the program name. Output goes to
 * out, the one-line error (if any) to err. Returns the exit code. */
int tenet_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif
