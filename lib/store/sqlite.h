/* SPDX-License-Identifier: GPL-2.0 */
/* What the SQLite backend shows of itself, for the tests that check its
 * query plans (EXPLAIN QUERY PLAN): a range read must use both bounds of
 * the key index. Callers use store.h only. */
#ifndef TENET_STORE_SQLITE_H
#define TENET_STORE_SQLITE_H

/* A prefix range [?1, ?2), and the open-ended one [?1, ...) used only for
 * prefixes without an end (the empty prefix). */
extern const char tenet_sqlite_range_sql[];
extern const char tenet_sqlite_range_open_sql[];
/* The keys of a prefix range, read by a prefix delete. */
extern const char tenet_sqlite_keys_sql[];

#endif
