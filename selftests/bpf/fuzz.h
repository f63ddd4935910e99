/* SPDX-License-Identifier: GPL-2.0 */
/* The randomized isolation test (fuzz.c), run as `pkt_test --fuzz`. */
#ifndef TENET_TEST_FUZZ_H
#define TENET_TEST_FUZZ_H

int fuzz_main(int argc, char **argv);

#endif
