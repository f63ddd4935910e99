// SPDX-License-Identifier: GPL-2.0
/* The agent's status record in the store (status.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

void status_init(struct agent_status *st, const char *host)
{
	memset(st, 0, sizeof(*st));
	tenet_status_key(host, st->key, sizeof(st->key));
	st->live = true;
	st->dirty = true;
}

void status_reset(struct agent_status *st)
{
	st->lease = 0;
	st->no_leases = false;
	st->dirty = true;
	st->write_at = 0;
}

void status_applied(struct agent_status *st, int64_t rev)
{
	if (rev > st->applied) {
		st->applied = rev;
		st->dirty = true;
	}
}

void status_error(struct agent_status *st, const char *msg)
{
	if (strcmp(st->error, msg)) {
		snprintf(st->error, sizeof(st->error), "%s", msg);
		st->dirty = true;
	}
}

void status_live(struct agent_status *st, bool live)
{
	if (live && !st->live)
		st->dirty = true;       /* say what happened meanwhile */
	st->live = live;
}

static int write_record(struct agent_status *st, struct tenet_store *s, struct tenet_err *err)
{
	struct tenet_agent_status rec = {
		.applied_revision = st->applied,
		.heartbeat = time(NULL),
		.store_available = st->live,
		.lease_ttl = st->lease ? STATUS_TTL_S : 0,
	};
	struct tenet_txn *t = tenet_txn_new();
	json_t *j;
	char *text = NULL;
	int ret = -ENOMEM;

	snprintf(rec.host, sizeof(rec.host), "%s", st->key + strlen(TENET_STATUS_PREFIX));
	snprintf(rec.last_error, sizeof(rec.last_error), "%s", st->error);
	j = tenet_status_to_json(&rec);
	if (j)
		text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!t || !text)
		goto out;
	ret = st->lease ? tenet_txn_put_lease(t, st->key, text, st->lease)
			: tenet_txn_put(t, st->key, text);
	if (ret == 0)
		ret = tenet_store_commit(s, t, NULL, err);
out:
	if (ret == -ENOMEM && err && !err->msg[0])
		tenet_err_set(err, -ENOMEM, "out of memory");
	json_decref(j);
	free(text);
	tenet_txn_free(t);
	return ret;
}

int status_tick(struct agent_status *st, struct tenet_store *s, uint64_t now,
		struct tenet_err *err)
{
	int ret;

	/* Nothing reaches a store that is not followed; the record says
	 * what happened once it is back. */
	if (!s || !st->live)
		return 0;
	if (st->lease && now >= st->refresh_at) {
		ret = tenet_store_lease_keepalive(s, st->lease, NULL, err);
		if (ret == -ENOENT) {
			/* Expired (the store was away too long): the record
			 * went with it. Again, under a new lease. */
			st->lease = 0;
			st->dirty = true;
		} else if (ret < 0) {
			st->refresh_at = now + STATUS_KEEPALIVE_MS;
			return ret;
		} else {
			st->refresh_at = now + STATUS_KEEPALIVE_MS;
		}
	}
	if (st->no_leases && now >= st->refresh_at)
		st->dirty = true;
	if (!st->dirty || now < st->write_at)
		return 0;
	if (!st->lease && !st->no_leases) {
		ret = tenet_store_lease_grant(s, STATUS_TTL_S, &st->lease, err);
		if (ret == -EOPNOTSUPP) {
			st->no_leases = true;
		} else if (ret < 0) {
			st->write_at = now + STATUS_MIN_MS;
			return ret;
		}
	}
	ret = write_record(st, s, err);
	st->write_at = now + STATUS_MIN_MS;
	if (ret < 0)
		return ret;
	st->dirty = false;
	st->written = st->applied;
	snprintf(st->written_error, sizeof(st->written_error), "%s", st->error);
	st->refresh_at = now + (st->no_leases ? TENET_STATUS_REFRESH_S * 1000 : STATUS_KEEPALIVE_MS);
	return 0;
}

uint64_t status_due(const struct agent_status *st, uint64_t now)
{
	uint64_t at = st->refresh_at;

	if (!st->live)
		return UINT64_MAX;
	if (st->dirty && (!at || st->write_at < at))
		at = st->write_at;
	if (!st->lease && !st->no_leases && !st->dirty)
		return UINT64_MAX;
	return at <= now ? 0 : at - now;
}

void status_drop(struct agent_status *st, struct tenet_store *s)
{
	struct tenet_txn *t;

	if (!s)
		return;
	if (st->lease) {
		tenet_store_lease_revoke(s, st->lease, NULL);
		st->lease = 0;
		return;
	}
	t = tenet_txn_new();
	if (t && tenet_txn_delete(t, st->key) == 0)
		tenet_store_commit(s, t, NULL, NULL);
	tenet_txn_free(t);
}
