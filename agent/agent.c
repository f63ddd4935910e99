// SPDX-License-Identifier: GPL-2.0
/* The daemon around the reconciler. One thread, one epoll loop: signals,
 * store changes, link events and datapath events each mark what needs
 * doing; after each wake-up the loop does it (store changes are drained
 * and coalesced before one reconcile). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <tenet/limits.h>
#include <tenet/maps.h>

#include "agent.h"
#include "datapath/datapath.h"
#include "kinds/registry.h"
#include "host/attach.h"
#include "host/events.h"
#include "host/learn.h"
#include "host/nexthop.h"
#include "host/objs.h"
#include "log.h"
#include "nl/link.h"
#include "recon/model.h"
#include "recon/names.h"
#include "policy/policy.h"
#include "recon/recon.h"
#include "service.h"
#include "status.h"
#include "secret/secret.h"
#include "store/store.h"
#include "tenet_tc.skel.h"

/* A failed kernel change is retried this often (link and store events
 * retry sooner). */
#define RETRY_MS 5000
/* Store changes are also polled this often: inotify is only a hint. */
#define POLL_MS 1000
/* Dynamic records are checked for aging this often (at most). */
#define AGE_CHECK_MS 5000
/* An unavailable store is tried again after 1 s, then twice as long each
 * time, up to this. */
#define STORE_BACKOFF_MAX_MS 30000
/* Per-entry log lines for bulk maps (lookups, routes) in one reconcile;
 * beyond this a summary line counts them. */
#define BULK_LOG_MAX 32

enum { EP_SIGNAL = 1, EP_LINK, EP_WATCH, EP_EVENTS, EP_RECON /* + registry index */ };

struct agent {
	struct config cfg;
	const struct config_flags *flags;
	char pin_root[PATH_MAX];
	char pin_dir[PATH_MAX];
	struct tenet_datapath_opts dpo;
	struct tenet_datapath dp;
	struct recon *rc;               /* one per registry row, in its order */
	struct recon *host;             /* the datapath's: attached ports */
	int *recon_fd;                  /* each reconciler's polled fd (-1: none) */
	bool *recon_ready;              /* its fd was readable this turn */
	struct tenet_store *store;
	struct tenet_watch *watch;
	int watch_fd;
	struct model model;
	struct name_set names;
	struct htab notes[2];           /* this reconcile's and the last one's */
	int cur;
	struct nl mon;
	struct nexthops nh;             /* tenet_nexthop, from rtnetlink */
	bool nh_pas;                    /* its PAs were taken from the shadow */
	struct ring_buffer *rb;
	struct ev_handler ev;
	struct learn_table learned;     /* when this host's bindings were last seen */
	uint64_t age_at;                /* next aging pass */
	int epfd;
	int sigfd;
	uint32_t xdp_ifindex;           /* underlay with tenet's decap attached */
	enum decap_mode ul_mode;        /* the hook there: DECAP_XDP or DECAP_TC */
	enum decap_mode ul_cfg;         /* the decap setting it was chosen under */
	bool dirty;                     /* reconcile at the next turn */
	bool full;                      /* ... a full round: not store changes alone */
	bool resync;                    /* re-read the whole store */
	bool xdp_check;                 /* look at the underlay attachment */
	bool stop;
	uint64_t retry_at;
	unsigned int nbulk;
	unsigned int nbulk_hidden;
	unsigned int nheld_logged;
	/* The store: whether it is open, why not, when to try again. */
	bool synced;                    /* the model was read from a store */
	int64_t rev;                    /* the store revision the model reflects */
	char store_err[TENET_ERR_LEN];  /* why it is unavailable; "" when it is not */
	bool store_fatal;               /* not retried until a reload */
	uint64_t store_retry_at;        /* next open attempt; 0: none planned */
	unsigned int store_backoff_ms;
	uint64_t check_at;              /* next tenet_store_check */
	/* The mass-deletion guard (docs/agent.md, "Failure behaviour"). */
	struct recon_share share;
	bool guard;                     /* armed: the model was re-read whole */
	int64_t guard_rev;              /* ... at this revision */
	bool accept;                    /* the operator confirmed the deletions */
	bool over;                      /* this round: a reconciler over the share */
	size_t pending_del;             /* this round: deletes asked for */
	char over_what[100];            /* this round: which one, how many */
	char refused[300];              /* what was refused, "" if nothing */
	char reload_err[PATH_MAX + 400]; /* the last reload failed: why ("" ok) */
	size_t nheld;                   /* objects held in the last round */
	/* What other hosts and `tenet --wait` see of us (status.h). */
	struct agent_status status;     /* our record in the store */
	int64_t seen_rev;               /* newest change read into the model: the
					 * applied revision once reconciled */
	bool store_live;                /* the open store's watch follows it */
	bool check_down;                /* a read found it away: only a read says it is back */
	uint64_t store_down_at;
};

/* ---- notes: problems logged once until they go away and come back ---- */

/* The journal fields of a line about a store key: the key, and the VSID
 * or port it names (id: the caller's, the fields point into it). */
static void about_key(struct log_about *ab, const char *key, struct tenet_record *id)
{
	memset(ab, 0, sizeof(*ab));
	if (strncmp(key, TENET_KEY_ROOT, strlen(TENET_KEY_ROOT))) {
		ab->object = key;
		return;
	}
	ab->key = key;
	if (tenet_record_from_key(key, id, NULL) < 0)
		return;
	if (id->kind == TENET_KIND_LOOKUP)
		ab->vsid = id->lookup.vsid;
	else if (id->kind == TENET_KIND_VSUBNET)
		ab->vsid = id->vsubnet.vsid;
	else if (id->kind == TENET_KIND_PORT)
		ab->port = id->port.dev;
}

static void note(void *arg, const char *key, const char *msg)
{
	struct agent *a = arg;
	char line[TENET_KEY_MAX + 300];
	struct tenet_record id;
	struct log_about ab;
	char zero = 0;

	snprintf(line, sizeof(line), "%s: %s", key, msg);
	if (htab_find(&a->notes[a->cur], line))
		return;
	htab_put(&a->notes[a->cur], line, &zero, NULL);
	if (htab_find(&a->notes[!a->cur], line))
		return;
	about_key(&ab, key, &id);
	tlog_about(LOG_LVL_WARN, &ab, "%s", line);
	status_error(&a->status, line);
}

/* Start a new generation of notes; what is not noted again is forgotten. */
static void notes_rotate(struct agent *a)
{
	a->cur = !a->cur;
	htab_free(&a->notes[a->cur]);
	htab_init(&a->notes[a->cur], 0, 1);
}

/* ---- reconcile ---- */

/* The journal fields of a kernel object (port: IF_NAMESIZE bytes). */
static void about_object(struct log_about *ab, const struct recon *rc, unsigned int t,
			 const void *key, const void *val, const char *what, char *port)
{
	uint32_t ifindex = 0;

	memset(ab, 0, sizeof(*ab));
	ab->object = what;
	ab->reconciler = rc->r->name;
	if (rc->r != &host_reconciler)
		return;
	ab->vsid = obj_vsid(t, key, val, &ifindex);
	if (ifindex && if_indextoname(ifindex, port))
		ab->port = port;
}

/* Past the first BULK_LOG_MAX, successful changes of bulk types (lookup
 * and route entries) are only counted: formatting 2M of them costs
 * seconds at a 1M-record start. Quiet types (device settings) are only
 * counted. Failures are noted (logged once until they change), and so
 * are held objects (the first BULK_LOG_MAX of a round). */
static void applied(void *arg, const struct recon *rc, unsigned int t, enum recon_op op,
		    const void *key, const void *val, int err, const char *msg)
{
	const struct recon_type *ty = &rc->r->types[t];
	bool bulk = ty->flags & RECON_T_BULK, quiet = ty->flags & RECON_T_QUIET;
	struct agent *a = arg;
	char what[256], port[IF_NAMESIZE];
	struct log_about ab;

	if (op == RECON_HELD) {
		/* Noted (logged once while it lasts), a few per round. */
		if (a->nheld_logged++ >= BULK_LOG_MAX)
			return;
		ty->describe(key, val, what, sizeof(what));
		note(a, what, "kept: it belongs to a record that cannot be decoded");
		return;
	}
	if (err >= 0 && (quiet || (bulk && a->nbulk >= BULK_LOG_MAX))) {
		a->nbulk_hidden += bulk;
		return;
	}
	ty->describe(key, op == RECON_DELETE ? NULL : val, what, sizeof(what));
	if (err < 0) {
		note(a, what, msg ? msg : strerror(-err));
		return;
	}
	if (bulk && a->nbulk++ >= BULK_LOG_MAX) {
		a->nbulk_hidden++;
		return;
	}
	about_object(&ab, rc, t, key, val, what, port);
	tlog_about(LOG_LVL_INFO, &ab, "%s %s", what, recon_verb(ty, op));
}

static void log_summary(struct agent *a, const struct recon *rc)
{
	const struct recon_stats *st = &rc->st;
	char buf[512];
	size_t n = 0;

	for (unsigned int t = 0; t < rc->r->ntypes && n < sizeof(buf); t++) {
		if (!st->add[t] && !st->upd[t] && !st->del[t])
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s +%u ~%u -%u;",
				      rc->r->types[t].name, st->add[t], st->upd[t], st->del[t]);
	}
	if (st->held) {
		char held[96];

		snprintf(held, sizeof(held), "%u objects kept for records that cannot be decoded",
			 st->held);
		note(a, rc->r->name, held);
	}
	if (n)
		log_info("reconciled %s:%s %u failed", rc->r->name, buf, st->failed);
}

/* The first pass of a guarded round: deletes are counted, none done;
 * the puts go ahead. */
static bool guard_count(void *arg, const struct recon *rc, size_t ndel, size_t total)
{
	struct agent *a = arg;

	a->pending_del += ndel;
	if (!a->over && !recon_allow_share(&a->share, rc, ndel, total)) {
		a->over = true;
		snprintf(a->over_what, sizeof(a->over_what), "%s: %zu of %zu objects",
			 rc->r->name, ndel, total);
	}
	return false;
}

/* Every reconciler in registry order. Returns true when each of them
 * built its desired state (deletes refused or not). */
/* The next-hop table follows the PAs the host datapath's applied state
 * names (local PAs, and the remote PAs of lookup entries). */
static void nexthops_follow(struct agent *a)
{
	const struct recon_stats *st = &a->host->st;

	/* Lookup entries were followed one by one (shadow_changed); a
	 * change of the local PAs is read whole. */
	if (!a->nh_pas || st->add[OBJ_PA] + st->upd[OBJ_PA] + st->del[OBJ_PA])
		a->nh_pas = nexthops_set_pas(&a->nh, &a->host->shadow) == 0;
}

/* The PAs lookup entries name, followed change by change once the
 * next-hop table has them (nexthops_follow). */
static void shadow_changed(void *arg, const struct recon *rc, unsigned int t, const void *key,
			   const void *old, const void *now)
{
	struct agent *a = arg;

	if (rc == a->host && a->nh_pas)
		nexthops_entry_changed(&a->nh, t, old, now);
}

/* changes: an incremental round (recon_env.changes), NULL: a full one.
 * An incremental round keeps the notes and interface names of the last
 * full one: they come from records that did not change. */
static bool round_all(struct agent *a, bool counting, const struct model_log *changes)
{
	struct name_set names;
	struct recon_env env = { .host = a->cfg.host, .no_flowid = !a->cfg.flowid,
				 .strict_source = a->cfg.strict_source, .note = note,
				 .note_arg = a, .names = changes ? NULL : &names,
				 .changes = changes };
	struct recon_hooks hooks = { .applied = applied, .arg = a,
				     .shadow_changed = shadow_changed };
	bool retry = false, complete = true;
	int ret;

	if (counting) {
		hooks.allow_delete = guard_count;
		hooks.guard_arg = a;
		env.cautious = true;
	}
	a->nbulk = a->nbulk_hidden = a->nheld_logged = 0;
	a->nheld = 0;
	if (!changes)
		notes_rotate(a);
	name_set_init(&names);
	for (size_t i = 0; i < recon_registry_len; i++) {
		struct recon *rc = &a->rc[i];

		ret = recon_run(rc, &a->model, &env, &hooks);
		if (ret < 0) {
			/* Nothing was applied: a partial picture would delete
			 * good state. */
			log_err("%s: %s: %s; nothing applied", rc->r->name, rc->msg,
				strerror(-ret));
			complete = false;
			retry = true;
			continue;
		}
		log_summary(a, rc);
		a->nheld += rc->st.held;
		retry |= ret > 0;
		if (rc == a->host)
			nexthops_follow(a);
	}
	if (a->nbulk_hidden)
		log_info("%u more lookup/route entries changed (not listed)", a->nbulk_hidden);
	a->retry_at = retry ? now_ms() + RETRY_MS : 0;
	/* What the model held is in the kernel now (what failed is retried
	 * and reported as the last error); not while the guard holds back
	 * deletions. */
	if (!counting || !a->pending_del)
		status_applied(&a->status, a->seen_rev);
	if (complete && !changes) {
		name_set_free(&a->names);
		a->names = names;
	} else {
		name_set_free(&names);
	}
	return complete;
}

/* One round. After a full re-read of the store (start, a reopened or
 * replaced store, a watch that fell behind) the guard is armed: the round
 * is first run with every delete held back and counted; if any
 * reconciler would then delete more than its share (and at least the
 * minimum), no reconciler deletes anything, and the round is asked again
 * every RETRY_MS until an operator confirms (`tenet store
 * accept-deletions`, `tenetd --accept-deletions`) or the store is
 * repaired. Deletes that arrive as store events (an explicit `tenet ...
 * del`) never meet the guard. */
static void reconcile_rounds(struct agent *a, const struct model_log *changes)
{
	char msg[400];

	if (a->guard && !a->accept) {
		a->over = false;
		a->pending_del = 0;
		if (!round_all(a, true, NULL))
			return;
		if (!a->pending_del) {
			a->guard = false;
			a->refused[0] = '\0';
			return;
		}
		if (a->over) {
			snprintf(msg, sizeof(msg), "refusing to delete %zu objects after reading the "
				 "store whole at revision %lld (%s): was it replaced or emptied? "
				 "'tenet store accept-deletions' confirms them", a->pending_del,
				 (long long)a->guard_rev, a->over_what);
			note(a, "deletions", msg);
			snprintf(a->refused, sizeof(a->refused), "refusing %zu deletions (%s); "
				 "'tenet store accept-deletions' confirms them", a->pending_del,
				 a->over_what);
			if (!a->retry_at)
				a->retry_at = now_ms() + RETRY_MS;
			return;
		}
	}
	if (!round_all(a, false, changes))
		return;
	if (a->guard && a->accept && a->refused[0])
		log_info("deletions confirmed: applied");
	a->guard = false;
	a->accept = false;
	a->refused[0] = '\0';
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A round after changes of lookup records alone (no other kind, link
 * event, retry, reload, wake, guard, whole re-read, record that cannot be
 * decoded) follows just those changes: docs/agent.md, "Incremental
 * rounds". */
static void reconcile(struct agent *a)
{
	/* Lookup records alone: interface names and notes come from the
	 * other kinds (a port, a PA), so a round of these keeps them. */
	bool inc = !a->full && !a->guard && !a->model.log.whole && !a->model.bad.n &&
		   a->model.log.kinds == 1ULL << TENET_KIND_LOOKUP;
	double t0 = cpu_ms();

	a->dirty = false;
	reconcile_rounds(a, inc ? &a->model.log : NULL);
	log_debug("round (%s, %zu lookup changes): %.2f ms of CPU", inc ? "incremental" : "full",
		  a->model.log.changes.n, cpu_ms() - t0);
	model_log_clear(&a->model);
	a->full = false;
}

/* ---- the store ----
 *
 * The store must exist: tenetd opens it without creating it. While it
 * cannot be opened or read (a missing file, an unmounted volume, a
 * locked or unreachable store), the datapath keeps the state it has, the
 * log and STATUS= say why, and the agent tries again: after 1 s, then
 * twice as long each time, up to 30 s; an error of the configuration
 * itself (an unknown scheme, a file that is not a store) waits for a
 * reload. A store that is open is checked every second: gone, it is
 * closed (and tried again); replaced by another file, it is reopened and
 * read whole. docs/agent.md, "Failure behaviour". */

static void bad_record(void *arg, const char *msg)
{
	log_warn("store record skipped: %s", msg);
}

static const char *store_name(const struct agent *a)
{
	return a->cfg.store[0] ? a->cfg.store : TENET_STORE_DEFAULT;
}

static void store_close(struct agent *a)
{
	tenet_watch_close(a->watch);
	a->watch = NULL;
	a->watch_fd = -1;
	tenet_store_close(a->store);
	a->store = NULL;
	/* Learned records go to whichever store is open (none: dropped). */
	a->ev.learn_arg = NULL;
}

/* Why the store is unavailable, said once per cause; when to try again. */
static void store_unavailable(struct agent *a, int ret, const char *msg)
{
	enum tenet_store_errclass cls = tenet_store_errclass(ret);
	uint64_t now = now_ms();

	a->store_fatal = cls == TENET_STORE_FATAL || cls == TENET_STORE_CORRUPT;
	a->store_live = false;
	status_live(&a->status, false);
	if (strcmp(a->store_err, msg)) {
		snprintf(a->store_err, sizeof(a->store_err), "%s", msg);
		log_warn("store unavailable: %s; the datapath keeps its state%s", msg,
			 a->store_fatal ? "; not retried until the configuration is reloaded" :
					  ", retrying");
	}
	if (a->store_fatal) {
		a->store_retry_at = 0;
		return;
	}
	a->store_backoff_ms = a->store_backoff_ms ? a->store_backoff_ms * 2 : 1000;
	if (a->store_backoff_ms > STORE_BACKOFF_MAX_MS)
		a->store_backoff_ms = STORE_BACKOFF_MAX_MS;
	a->store_retry_at = now + a->store_backoff_ms;
}

static void store_lost(struct agent *a, int ret, const char *msg)
{
	store_close(a);
	store_unavailable(a, ret, msg);
}

static int store_open(struct agent *a)
{
	struct tenet_err err = { 0 };
	int ret = tenet_store_openf(a->cfg.store, 0, &a->store, &err);

	if (ret < 0) {
		a->store = NULL;
		store_unavailable(a, ret, err.msg);
		return ret;
	}
	if (a->store_err[0])
		log_info("store %s: available again", tenet_store_location(a->store));
	a->store_err[0] = '\0';
	a->store_fatal = false;
	a->store_retry_at = 0;
	a->store_backoff_ms = 0;
	a->check_at = now_ms() + POLL_MS;
	a->ev.learn_arg = a->store;
	a->resync = true;
	status_reset(&a->status);
	return 0;
}

/* An open store whose watch cannot reach it (an etcd cluster away): said
 * once per change (log, STATUS=, the status record). Meanwhile the
 * datapath keeps forwarding on what it has, the watch keeps trying, and
 * nothing is lost: it resumes at its position (or the agent resyncs if
 * the store compacted past it). */
static void store_live(struct agent *a, bool live, const char *why)
{
	if (live)
		a->check_down = false;
	if (live == a->store_live)
		return;
	a->store_live = live;
	status_live(&a->status, live);
	if (!live) {
		char msg[sizeof(a->store_err) + 32];   /* status_error cuts it */

		a->store_down_at = now_ms();
		snprintf(a->store_err, sizeof(a->store_err), "%s", why ? why : "");
		snprintf(msg, sizeof(msg), "store unavailable: %s", a->store_err);
		status_error(&a->status, msg);
		log_warn("%s; the datapath keeps its state, retrying", msg);
		return;
	}
	if (a->store_down_at)
		log_info("store reachable again after %llu s; following from revision %lld",
			 (unsigned long long)(now_ms() - a->store_down_at) / 1000,
			 (long long)(a->watch ? tenet_watch_position(a->watch) : 0));
	a->store_down_at = 0;
	a->store_err[0] = '\0';
}

/* Is the store still the one its URL names? */
static void store_check(struct agent *a)
{
	struct tenet_err err = { 0 };
	int ret;

	/* While the watch cannot reach the store it fails over by itself;
	 * a check would only wait for the same timeouts. Unless the check
	 * itself found the store away: the watch's stream can look alive
	 * for seconds after its member became unreachable (nothing reset
	 * the connection), so only a read that answers says it is back. */
	if (!a->store || now_ms() < a->check_at || (!a->store_live && !a->check_down))
		return;
	a->check_at = now_ms() + POLL_MS;
	ret = tenet_store_check(a->store, &err);
	if (!ret) {
		if (a->check_down) {
			a->check_down = false;
			if (a->watch && tenet_watch_live(a->watch))
				store_live(a, true, NULL);
		}
		return;
	}
	if (ret != -ENOENT && tenet_store_errclass(ret) == TENET_STORE_UNAVAILABLE) {
		/* Away (etcd), not gone (-ENOENT: no file at the path any
		 * more, closed and opened again below): the store stays
		 * open and the watch resumes at its position. */
		store_live(a, false, err.msg);
		a->check_down = true;
		return;
	}
	if (ret == -ESTALE) {
		log_warn("%s; reopening it and reading it whole", err.msg);
		store_close(a);
		store_open(a);
		return;
	}
	store_lost(a, ret, err.msg);
}

/* The old watch's fd left epoll when it was closed. Without an fd the
 * loop's one-second poll is the watch. */
static void watch_epoll(struct agent *a, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EP_WATCH };

	a->watch_fd = fd;
	if (fd >= 0 && epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		a->watch_fd = -1;
}

static int load_kv(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	if (model_load_one(arg, kv->key, kv->value) < 0)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* The public half of this host's key, which secrets for this host are
 * sealed to (docs/store.md, "Secrets"): created on first start, published
 * under the host after each whole read of a store that does not hold it
 * yet. */
static void publish_pubkey(struct agent *a)
{
	struct tenet_record rec = { .kind = TENET_KIND_PUBKEY };
	struct tenet_record_list cur = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_hostkey *key = NULL;

	if (!a->cfg.hostkey[0] || !a->store)
		return;
	if (tenet_hostkey_load(a->cfg.hostkey, TENET_HOSTKEY_CREATE, &key, &err) < 0) {
		log_warn("host key %s: %s", a->cfg.hostkey, err.msg);
		return;
	}
	snprintf(rec.pubkey.host, sizeof(rec.pubkey.host), "%s", a->cfg.host);
	snprintf(rec.pubkey.id, sizeof(rec.pubkey.id), "%s", tenet_hostkey_id(key));
	snprintf(rec.pubkey.pubkey, sizeof(rec.pubkey.pubkey), "%s", tenet_hostkey_public(key));
	tenet_hostkey_free(key);
	if (tenet_policy_list(a->store, TENET_KIND_PUBKEY, a->cfg.host, &cur, &err) == 0 &&
	    cur.n == 1 && !strcmp(cur.recs[0].pubkey.id, rec.pubkey.id)) {
		tenet_record_list_free(&cur);
		return;
	}
	tenet_record_list_free(&cur);
	if (tenet_policy_put(a->store, &rec, TENET_POLICY_REPLACE, NULL, &err) < 0)
		log_warn("host key: cannot publish it: %s", err.msg);
	else
		log_info("host key %s published (key id %s)", a->cfg.hostkey, rec.pubkey.id);
}

/* Everything, at one revision; then watch from the next one. The rows are
 * decoded as they are read, not copied into a list first. A read that
 * fails leaves the model (and the datapath) as they were. The guard is
 * armed: what a whole read drops was not deleted by anyone we saw. */
static int resync(struct agent *a)
{
	struct tenet_err err = { 0 };
	struct model_load ld;
	int64_t rev = 0;
	int ret, bad;
	size_t lost;

	a->resync = false;
	tenet_watch_close(a->watch);
	a->watch = NULL;
	a->watch_fd = -1;
	model_load_begin(&ld, &a->model, bad_record, a);
	ret = tenet_store_range_each(a->store, TENET_KEY_ROOT, load_kv, &ld, &rev, &err);
	if (ret < 0) {
		model_load_abort(&ld);
		store_lost(a, ret, err.msg);
		return ret;
	}
	bad = model_load_end(&ld);
	lost = model_nlost(&a->model);
	log_info("store %s: %zu records at revision %lld (%d skipped%s)",
		 tenet_store_location(a->store), a->model.recs.n, (long long)rev, bad,
		 lost ? ", their kernel state kept" : "");
	a->synced = true;
	a->rev = rev;
	a->guard = true;
	a->guard_rev = rev;
	a->dirty = true;
	a->seen_rev = rev;
	ret = tenet_watch_open(a->store, TENET_KEY_ROOT, rev + 1, &a->watch, &err);
	if (ret < 0) {
		store_lost(a, ret, err.msg);
		return ret;
	}
	watch_epoll(a, tenet_watch_fd(a->watch));
	store_live(a, true, NULL);
	publish_pubkey(a);
	return 0;
}

/* A lookup record with a CA went away: the datapath forgets that it
 * reported the binding, so seeing it again is reported again (and the
 * record comes back) instead of being suppressed as a duplicate. */
static void forget_binding(struct agent *a, const char *key)
{
	struct tenet_record id;
	struct tenet_lseen_key k = { 0 };

	if (tenet_record_from_key(key, &id, NULL) < 0 || id.kind != TENET_KIND_LOOKUP ||
	    !id.lookup.has_ca || !a->dp.tc)
		return;
	k.vsid = id.lookup.vsid;
	k.ip = id.lookup.ca;
	bpf_map_delete_elem(bpf_map__fd(a->dp.tc->maps.tenet_lseen), &k);
}

/* The operator's confirmation of refused deletions: a flag written after
 * the read that armed the guard (one inside a restored backup is older
 * than that read, and confirms nothing). */
static void accept_flag(struct agent *a, const struct tenet_kv *kv)
{
	if (!a->guard || kv->mod_rev <= a->guard_rev || a->accept)
		return;
	a->accept = true;
	a->dirty = a->full = true;
	log_info("deletions confirmed in the store at revision %lld", (long long)kv->mod_rev);
}

static int apply_event(struct agent *a, const struct tenet_watch_event *ev)
{
	struct tenet_err err = { 0 };
	int ret;

	if (ev->type == TENET_WATCH_PUT && !strcmp(ev->kv.key, TENET_KEY_ACCEPT_DELETIONS)) {
		accept_flag(a, &ev->kv);
		return 0;
	}
	if (ev->type == TENET_WATCH_DELETE) {
		forget_binding(a, ev->kv.key);
		return model_delete(&a->model, ev->kv.key);
	}
	ret = model_put(&a->model, ev->kv.key, ev->kv.value, &err);
	if (ret < 0) {
		log_warn("store record skipped (keeping its last good version): %s", err.msg);
		return 0;
	}
	return ret;
}

/* Drain the watch: every change up to now, then one reconcile. */
static void follow_store(struct agent *a)
{
	struct tenet_watch_batch b = { 0 };
	struct tenet_err err = { 0 };
	int changed = 0, nev = 0, ret;
	int64_t rev = 0;

	if (!a->watch)
		return;
	for (;;) {
		ret = tenet_watch_next(a->watch, 0, &b, &err);
		if (ret < 0 || !b.n)
			break;
		for (size_t i = 0; i < b.n; i++)
			changed += apply_event(a, &b.events[i]);
		nev += (int)b.n;
		rev = b.rev;
		tenet_watch_batch_free(&b);
	}
	tenet_watch_batch_free(&b);
	if (rev)
		a->rev = rev;
	if (changed)
		a->seen_rev = rev;
	if (ret == -ESTALE) {
		log_warn("store watch fell behind a compaction; full resync");
		a->resync = true;
	} else if (ret < 0 && tenet_store_errclass(ret) == TENET_STORE_UNAVAILABLE) {
		/* The watch fails over and resumes by itself (etcd): the store
		 * stays open, no whole re-read. */
		if (a->store_live)
			store_live(a, false, err.msg);
		else
			log_debug("store watch: %s", err.msg);
	} else if (ret < 0) {
		store_lost(a, ret, err.msg);
	}
	if (a->watch && ret != -ESTALE && !a->check_down && tenet_watch_live(a->watch))
		store_live(a, true, NULL);
	/* Changes that are no records of ours (other agents' status, guard
	 * keys) are routine: said only in debug. */
	if (nev)
		tlog(changed ? LOG_LVL_INFO : LOG_LVL_DEBUG,
		     "store: %d change%s up to revision %lld, %d record%s changed", nev,
		     nev == 1 ? "" : "s", (long long)rev, changed, changed == 1 ? "" : "s");
	if (changed)
		a->dirty = true;
}

/* ---- aging of learned records ---- */

static void aged_report(void *arg, const struct tenet_lookup *l, int ret, const char *msg)
{
	struct agent *a = arg;
	char ip[TENET_IPV4_STRLEN], mac[TENET_MAC_STRLEN], pa[TENET_IPV4_STRLEN];

	if (ret < 0) {
		note(a, "learn", msg);
		return;
	}
	log_info("aged out: vsid %u %s mac %s at pa %s not seen for %us; dynamic record removed",
		 l->vsid, tenet_fmt_ipv4(l->ca, ip), tenet_fmt_mac(l->mac, mac),
		 tenet_fmt_ipv4(l->pa, pa), a->cfg.learn_age);
}

static void age_learned(struct agent *a)
{
	uint64_t now = now_ms();

	if (now < a->age_at)
		return;
	a->age_at = now + AGE_CHECK_MS;
	a->learned.age_ms = (uint64_t)a->cfg.learn_age * 1000;
	if (a->store)
		learn_table_age(&a->learned, &a->model, a->cfg.host, now, learn_unlearn_store,
				a->store, aged_report, a);
}

/* ---- the underlay's decap program (XDP or TC) ---- */

/* Take tenet's decap off an underlay, whichever hook it is on. */
static void underlay_detach(struct agent *a, unsigned int ifindex, const char *name)
{
	if (detach_xdp(ifindex) > 0)
		log_info("xdp program detached from %s", name);
	log_quiet_libs(true);
	if (detach_tc(ifindex) == 0)
		log_info("tc program detached from %s", name);
	log_quiet_libs(false);
}

/* TC ingress: attach (replacing our own filter in one step), then remove
 * an XDP program an earlier agent or setting left, which would otherwise
 * see the frames first. */
static int underlay_tc(struct agent *a, unsigned int ifindex, const char *dev, const char *why)
{
	bool replacing = tc_attached(ifindex);
	int ret = attach_tc(bpf_program__fd(a->dp.tc->progs.tenet_tc_underlay), ifindex);

	if (ret < 0)
		return ret;
	a->ul_mode = DECAP_TC;
	if (detach_xdp(ifindex) > 0)
		log_info("xdp program detached from %s (decap moved to tc)", dev);
	log_info("tc program attached to underlay %s (decap tc: %s%s)", dev, why,
		 replacing ? ", replacing the previous agent's" : "");
	return 0;
}

static int underlay_xdp(struct agent *a, unsigned int ifindex, const char *dev, bool fall_back)
{
	struct xdp_attach_info info;
	int ret = attach_xdp(&a->dpo, ifindex, &info);

	if (ret < 0)
		return ret;
	/* Generic (skb) XDP copies and linearises every frame and loses GSO:
	 * worse than TC on every count. auto takes TC instead. */
	if (fall_back && !strcmp(info.mode, "skb"))
		return underlay_tc(a, ifindex, dev, "auto: the driver has no native XDP");
	a->ul_mode = DECAP_XDP;
	log_quiet_libs(true);
	if (detach_tc(ifindex) == 0)
		log_info("tc program detached from %s (decap moved to xdp)", dev);
	log_quiet_libs(false);
	log_info("xdp program attached to underlay %s (%s mode, %s, prog id %u%s)", dev,
		 info.mode, info.dispatcher ? "libxdp dispatcher" : "alone: no dispatcher",
		 info.prog_id, info.replaced ? ", replacing the previous agent's" : "");
	return 0;
}

/* decap = auto: TC on a veth (XDP there takes GSO from its peer and
 * cannot carry a partial checksum through a redirect: docs/datapath.md),
 * XDP elsewhere unless it would only run generic (underlay_xdp). The new
 * hook is attached before the other one is removed. 0 or -errno, with
 * what failed in msg. */
static int underlay_attach(struct agent *a, const char *dev, unsigned int ifindex,
			   enum decap_mode decap, char *msg, size_t len)
{
	enum decap_mode mode = decap == DECAP_XDP ? DECAP_XDP : DECAP_TC;
	char drv[64] = "";
	int ret;

	if (decap == DECAP_TC) {
		ret = underlay_tc(a, ifindex, dev, "configured");
	} else if (decap == DECAP_AUTO && !link_driver(dev, drv, sizeof(drv)) &&
		   !strcmp(drv, "veth")) {
		ret = underlay_tc(a, ifindex, dev, "auto: veth");
	} else {
		mode = DECAP_XDP; /* TC if auto falls back (underlay_xdp) */
		ret = underlay_xdp(a, ifindex, dev, decap == DECAP_AUTO);
	}
	if (ret < 0)
		snprintf(msg, len, "cannot attach the %s decap program to %s: %s",
			 mode == DECAP_TC ? "tc" : "xdp", dev, strerror(-ret));
	return ret;
}

static void underlay_update(struct agent *a)
{
	char msg[160];
	unsigned int ifindex;

	a->xdp_check = false;
	if (!a->cfg.underlay[0])
		return;
	ifindex = if_nametoindex(a->cfg.underlay);
	if (!ifindex) {
		a->xdp_ifindex = 0;
		note(a, "underlay", "device not present; decap attaches when it appears");
		return;
	}
	if (ifindex == a->xdp_ifindex && a->cfg.decap == a->ul_cfg)
		return;
	if (underlay_attach(a, a->cfg.underlay, ifindex, a->cfg.decap, msg, sizeof(msg)) < 0) {
		note(a, "underlay", msg);
		a->retry_at = now_ms() + RETRY_MS;
		return;
	}
	a->xdp_ifindex = ifindex;
	a->ul_cfg = a->cfg.decap;
}

/* ---- links and datapath events ---- */

static bool shadow_has_ifindex(const struct agent *a, uint32_t ifindex)
{
	return htab_find(&a->host->shadow.t[OBJ_ATTACH], &ifindex) != NULL;
}

static void on_link(const struct nl_link *l, void *arg)
{
	struct agent *a = arg;

	/* A device's address, VLAN or state may change a next hop. */
	nexthops_on_change(&a->nh);
	if (name_set_has(&a->names, l->name) || shadow_has_ifindex(a, l->ifindex)) {
		log_debug("link %s (ifindex %u) %s", l->name, l->ifindex,
			  l->deleted ? "removed" : "changed");
		a->dirty = a->full = true;
	}
	if (!strcmp(l->name, a->cfg.underlay) || l->ifindex == a->xdp_ifindex) {
		if (l->deleted && l->ifindex == a->xdp_ifindex)
			a->xdp_ifindex = 0;
		a->xdp_check = true;
	}
}

static void on_route(void *arg)
{
	struct agent *a = arg;

	nexthops_on_change(&a->nh);
}

static void on_neigh(const struct nl_neigh *n, void *arg)
{
	struct agent *a = arg;

	nexthops_on_neigh(&a->nh, n);
}

static void refresh_nexthops(struct agent *a)
{
	int ret = nexthops_refresh(&a->nh, now_ms());

	if (ret < 0)
		log_warn("next-hop table: %s", strerror(-ret));
}

static void read_links(struct agent *a)
{
	static const struct nl_monitor_cbs cbs = { .link = on_link, .route = on_route,
						   .neigh = on_neigh };
	int ret = nl_monitor_read(&a->mon, &cbs, a);

	/* Lost events: look at everything. */
	if (ret == -ENOBUFS) {
		a->dirty = a->full = true;
		a->xdp_check = true;
		nexthops_on_change(&a->nh);
	}
}

static int on_ring_event(void *ctx, void *data, size_t len)
{
	struct agent *a = ctx;
	char line[512];

	if (ev_handle(&a->ev, data, len, now_ms(), line, sizeof(line)) > 0)
		log_info("%s", line);
	return 0;
}

/* ---- configuration and signals ---- */

/* A reload is a transaction: the new configuration is read and checked,
 * and every new resource it names is opened or attached (a new store is
 * opened and read, a new underlay must exist and gets the decap program)
 * before anything of the running one is released. If a step fails, the
 * running configuration stays in force untouched, the log and STATUS=
 * say why, and a waiting `tenetd --reload` exits 1 (systemctl reload
 * fails). READY=1 follows only a reload in force. */
struct reload_new {
	struct config c;
	struct tenet_store *store;      /* a new store, opened */
	unsigned int ul_ifindex;        /* a new decap attachment */
	bool ul_moved;
};

static int reload_prepare(struct agent *a, struct reload_new *n, char *msg, size_t len)
{
	struct tenet_err err = { 0 };
	unsigned int ifindex;
	int64_t rev;
	int ret;

	ret = config_load(&n->c, a->flags, &err);
	if (ret < 0) {
		snprintf(msg, len, "%s", err.msg);
		return ret;
	}
	/* The host name and bpffs place the pinned maps: changing them is a
	 * different agent, not a reload. */
	if (strcmp(n->c.host, a->cfg.host) || strcmp(n->c.bpffs, a->cfg.bpffs)) {
		snprintf(msg, len, "host and bpffs locate the pinned maps (%s, %s); changing them "
			 "needs a restart", a->cfg.host, a->cfg.bpffs);
		return -EINVAL;
	}
	if (strcmp(n->c.store, a->cfg.store)) {
		/* Opened and readable, or the old one stays: a mistyped path
		 * never becomes an empty store. */
		ret = tenet_store_openf(n->c.store, 0, &n->store, &err);
		if (!ret)
			ret = tenet_store_revision(n->store, &rev, &err);
		if (ret < 0) {
			snprintf(msg, len, "%s", err.msg);
			return ret;
		}
	}
	if (!n->c.underlay[0] || (!strcmp(n->c.underlay, a->cfg.underlay) &&
				  n->c.decap == a->cfg.decap))
		return 0;
	ifindex = if_nametoindex(n->c.underlay);
	if (!ifindex) {
		snprintf(msg, len, "underlay %s: no such device", n->c.underlay);
		return -ENODEV;
	}
	ret = underlay_attach(a, n->c.underlay, ifindex, n->c.decap, msg, len);
	if (ret < 0)
		return ret;
	n->ul_ifindex = ifindex;
	n->ul_moved = true;
	return 0;
}

static void reload(struct agent *a, pid_t requester)
{
	struct reload_new n = { 0 };
	char msg[PATH_MAX + 200], status[PATH_MAX + 400];
	bool store_changed;
	int ret;

	ret = reload_prepare(a, &n, msg, sizeof(msg));
	if (ret < 0) {
		tenet_store_close(n.store);
		log_err("reload failed: %s; the running configuration stays in force", msg);
		snprintf(status, sizeof(status), "reload failed: %s; running the previous "
			 "configuration", msg);
		snprintf(a->reload_err, sizeof(a->reload_err), "%s", status);
		svc_status("%s", status);
		if (requester)
			svc_reload_reply(requester, false, ret, status);
		return;
	}
	svc_reloading();
	/* Everything new is in place: now the old goes. */
	if (n.ul_moved) {
		if (a->xdp_ifindex && a->xdp_ifindex != n.ul_ifindex)
			underlay_detach(a, a->xdp_ifindex, a->cfg.underlay);
		a->xdp_ifindex = n.ul_ifindex;
		a->ul_cfg = n.c.decap;
	} else if (!n.c.underlay[0] && a->xdp_ifindex) {
		underlay_detach(a, a->xdp_ifindex, a->cfg.underlay);
		a->xdp_ifindex = 0;
	}
	store_changed = n.store != NULL;
	if (store_changed) {
		store_close(a);
		a->store = n.store;
		a->store_err[0] = '\0';
		a->store_retry_at = 0;
		a->store_backoff_ms = 0;
		a->check_at = now_ms() + POLL_MS;
		a->ev.learn_arg = a->store;
		a->resync = true;
	} else if (!a->store) {
		/* The same store, still unavailable: try it now. */
		a->store_retry_at = now_ms();
	}
	a->cfg = n.c;
	a->share = (struct recon_share){ .percent = n.c.guard_percent, .min = n.c.guard_min };
	log_set_debug(n.c.debug);
	a->xdp_check = true;
	a->dirty = a->full = true;
	snprintf(status, sizeof(status), "configuration reloaded (host %s, underlay %s, store %s, "
		 "decap %s, learn_age %us, strict_source %s, flowid %s)", n.c.host,
		 n.c.underlay[0] ? n.c.underlay : "(none)", store_name(a),
		 decap_mode_name(n.c.decap), n.c.learn_age, n.c.strict_source ? "on" : "off",
		 n.c.flowid ? "on" : "off");
	log_info("%s", status);
	a->reload_err[0] = '\0';
	svc_ready(status);
	if (requester)
		svc_reload_reply(requester, true, 0, status);
}

static void read_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* `tenetd --reload` waits for the verdict; a plain
			 * kill -HUP gets none. */
			bool wants = si.ssi_code == SI_QUEUE && si.ssi_int == SVC_RELOAD_MAGIC;

			reload(a, wants ? (pid_t)si.ssi_pid : 0);
		} else {
			log_info("signal %u: exiting; programs stay attached and maps pinned",
				 si.ssi_signo);
			a->stop = true;
		}
	}
}

static int setup_signals(struct agent *a)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return a->sigfd < 0 ? -errno : 0;
}

/* ---- setup ---- */

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* Pins and libxdp's dispatcher state need a bpffs; mount one if the
 * configured place has none. libxdp is told where it is. */
static int prepare_bpffs(const struct config *c)
{
	struct statfs st;
	int ret = mkdir_p(c->bpffs);

	if (ret < 0)
		return ret;
	if (statfs(c->bpffs, &st) < 0)
		return -errno;
	if (st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", c->bpffs, "bpf", 0, "mode=0700") < 0)
			return -errno;
		log_info("mounted bpffs at %s", c->bpffs);
	}
	return setenv("LIBXDP_BPFFS", c->bpffs, 1) ? -errno : 0;
}

static int pin_paths(struct agent *a)
{
	if (snprintf(a->pin_root, sizeof(a->pin_root), "%s/tenet", a->cfg.bpffs) >=
	    (int)sizeof(a->pin_root))
		return -ENAMETOOLONG;
	return tenet_pin_dir_at(a->pin_dir, sizeof(a->pin_dir), a->pin_root, a->cfg.host);
}

static int libbpf_log(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	/* libbpf's lines name it already. The kernel's extack text comes
	 * with errors tenetd reports itself (and with the expected EEXIST
	 * of an existing clsact qdisc): debug only. */
	if (strstr(line, "Kernel error message") || log_libs_quiet())
		lvl = LIBBPF_DEBUG;
	tlog(lvl == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, "%s", line);
	return 0;
}

static int libxdp_log(enum libxdp_print_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (lvl == LIBXDP_DEBUG)
		return 0;
	if (log_libs_quiet())
		lvl = LIBXDP_DEBUG;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	tlog(lvl == LIBXDP_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, "libxdp: %s", line);
	return 0;
}

/* Every reconciler of the registry with its real kernel side. */
static int open_reconcilers(struct agent *a, const struct recon_open *o)
{
	for (size_t i = 0; i < recon_registry_len; i++) {
		struct recon *rc = &a->rc[i];
		int ret = recon_open(rc, o);

		if (ret < 0) {
			log_err("%s: cannot open its kernel side: %s", rc->r->name,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int load_datapath(struct agent *a)
{
	size_t inherited = 0;
	int ret;

	ret = mkdir_p(a->pin_dir);
	if (ret < 0) {
		log_err("pin directory %s: %s", a->pin_dir, strerror(-ret));
		return ret;
	}
	a->dpo = (struct tenet_datapath_opts){ .pin_dir = a->pin_dir };
	a->dpo.skip_xdp = true;
	ret = tenet_datapath_load(&a->dp, &a->dpo);
	if (ret < 0) {
		log_err("cannot load the datapath (maps in %s): %s", a->pin_dir, strerror(-ret));
		return ret;
	}
	a->dpo.skip_xdp = false;
	ret = open_reconcilers(a, &(struct recon_open){ .dp = &a->dp, .pin_dir = a->pin_dir,
						      .cfg = &a->cfg });
	if (ret < 0)
		return ret;
	ret = nexthops_init(&a->nh, bpf_map__fd(a->dp.tc->maps.tenet_nexthop),
			    bpf_map__fd(a->dp.tc->maps.tenet_nhcache));
	if (ret < 0) {
		log_err("next-hop table: %s", strerror(-ret));
		return ret;
	}
	a->nh.resolve = ev_resolve_udp;
	ret = recon_observe(a->host, NULL);
	if (ret < 0) {
		log_err("cannot read the pinned maps: %s", strerror(-ret));
		return ret;
	}
	for (int o = OBJ_PA; o <= OBJ_L2ONLY; o++)
		inherited += a->host->shadow.t[o].n;
	log_info("datapath loaded, maps pinned in %s (%zu entries from an earlier agent)",
		 a->pin_dir, inherited);
	return 0;
}

static int epoll_add(struct agent *a, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_loop(struct agent *a)
{
	int ret;

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		return -errno;
	ret = setup_signals(a);
	if (!ret)
		ret = epoll_add(a, a->sigfd, EP_SIGNAL);
	if (!ret)
		ret = nl_monitor_open(&a->mon);
	if (!ret)
		ret = epoll_add(a, nl_monitor_fd(&a->mon), EP_LINK);
	if (ret < 0)
		return ret;
	ev_handler_init(&a->ev, ev_learn_store, NULL);
	a->ev.seen = &a->learned;
	a->ev.resolve = ev_resolve_udp;
	a->rb = ring_buffer__new(bpf_map__fd(a->dp.tc->maps.tenet_events), on_ring_event, a,
				 NULL);
	if (!a->rb)
		return -errno;
	return epoll_add(a, ring_buffer__epoll_fd(a->rb), EP_EVENTS);
}

static int agent_init(struct agent *a, const struct config_flags *flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	a->epfd = a->sigfd = a->watch_fd = -1;
	model_init(&a->model);
	name_set_init(&a->names);
	htab_init(&a->notes[0], 0, 1);
	htab_init(&a->notes[1], 0, 1);
	learn_table_init(&a->learned, (uint64_t)LEARN_AGE_DEFAULT_S * 1000);
	/* `tenetd --accept-deletions`: the first guarded round is confirmed. */
	a->accept = flags->accept_deletions;
	a->rc = calloc(recon_registry_len, sizeof(*a->rc));
	a->recon_fd = calloc(recon_registry_len, sizeof(*a->recon_fd));
	a->recon_ready = calloc(recon_registry_len, sizeof(*a->recon_ready));
	if (!a->rc || !a->recon_fd || !a->recon_ready)
		return -ENOMEM;
	for (size_t i = 0; i < recon_registry_len; i++)
		a->recon_fd[i] = -1;
	for (size_t i = 0; i < recon_registry_len; i++) {
		recon_init(&a->rc[i], recon_registry[i], NULL);
		if (recon_registry[i] == &host_reconciler)
			a->host = &a->rc[i];
	}
	return 0;
}

static void agent_fini(struct agent *a)
{
	ring_buffer__free(a->rb);
	if (a->mon.sk)
		nl_close(&a->mon);
	nexthops_fini(&a->nh);
	store_close(a);
	for (size_t i = 0; a->rc && i < recon_registry_len; i++)
		recon_fini(&a->rc[i]);
	free(a->rc);
	free(a->recon_fd);
	free(a->recon_ready);
	/* Closing fds detaches nothing: filters, the XDP dispatcher and the
	 * pins live on for the next agent. */
	tenet_datapath_unload(&a->dp);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->epfd >= 0)
		close(a->epfd);
	model_free(&a->model);
	name_set_free(&a->names);
	htab_free(&a->notes[0]);
	htab_free(&a->notes[1]);
	learn_table_free(&a->learned);
}

/* ---- the loop ---- */

static uint64_t sooner(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* The earliest time a reconciler wants to be woken at (0: none). */
static uint64_t recon_wake_at(const struct agent *a)
{
	uint64_t at = 0;

	for (size_t i = 0; i < recon_registry_len; i++) {
		const struct reconciler *r = a->rc[i].r;
		uint64_t t = r->wake_at ? r->wake_at(&a->rc[i]) : 0;

		if (t && (!at || t < at))
			at = t;
	}
	return at;
}

static int wait_ms(const struct agent *a)
{
	uint64_t now = now_ms(), at = now + POLL_MS, wake = recon_wake_at(a);
	int nh = nexthops_wait_ms(&a->nh, now);         /* -1: none pending */

	/* No reconcile without a model read from a store: an empty model
	 * would delete everything. */
	if ((a->dirty && a->synced) || (a->resync && a->store) || a->xdp_check || nh == 0)
		return 0;
	if (nh > 0)
		at = sooner(at, now + (uint64_t)nh);
	at = sooner(at, a->retry_at);
	at = sooner(at, wake);
	if (status_due(&a->status, now) < POLL_MS)     /* UINT64_MAX: not due */
		at = sooner(at, now + status_due(&a->status, now));
	if (!a->store)
		at = sooner(at, a->store_retry_at);
	return at <= now ? 0 : (int)(at - now);
}

/* STATUS=: what an operator most needs to know now: a store that is
 * unavailable, deletions refused, a reload that failed (until one works),
 * records that cannot be decoded, else where the agent is. */
static void update_status(struct agent *a)
{
	size_t lost = model_nlost(&a->model);

	if (a->store_err[0])
		svc_status("store unavailable: %s; the datapath keeps its state%s", a->store_err,
			   a->store_fatal ? "; fix the configuration and reload" : ", retrying");
	else if (a->refused[0])
		svc_status("%s", a->refused);
	else if (a->reload_err[0])
		svc_status("%s", a->reload_err);
	else if (lost)
		svc_status("host %s: %zu records at revision %lld; %zu cannot be decoded, their "
			   "kernel state (%zu objects) is kept", a->cfg.host, a->model.recs.n,
			   (long long)a->rev, lost, a->nheld);
	else if (a->synced)
		svc_status("host %s: %zu records at revision %lld", a->cfg.host, a->model.recs.n,
			   (long long)a->rev);
}

/* Each reconciler's fd in epoll, as it says now (a daemon reconnected
 * is a new fd). */
static void sync_recon_fds(struct agent *a)
{
	for (size_t i = 0; i < recon_registry_len; i++) {
		const struct reconciler *r = a->rc[i].r;
		int fd = r->poll_fd ? r->poll_fd(&a->rc[i]) : -1;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EP_RECON + (uint32_t)i };

		if (fd == a->recon_fd[i])
			continue;
		/* A closed fd left epoll by itself; one still open is removed. */
		if (a->recon_fd[i] >= 0)
			epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->recon_fd[i], NULL);
		a->recon_fd[i] = -1;
		if (fd >= 0 && epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
			a->recon_fd[i] = fd;
	}
}

/* Reconcilers whose fd was readable or whose time came: a round follows
 * when one of them says its picture changed. */
static void wake_reconcilers(struct agent *a)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < recon_registry_len; i++) {
		struct recon *rc = &a->rc[i];
		uint64_t at = rc->r->wake_at ? rc->r->wake_at(rc) : 0;

		if (!rc->r->wake || (!a->recon_ready[i] && (!at || at > now)))
			continue;
		a->recon_ready[i] = false;
		if (rc->r->wake(rc))
			a->dirty = a->full = true;
	}
	sync_recon_fds(a);
}

static void turn(struct agent *a)
{
	struct epoll_event evs[8];
	int n = epoll_wait(a->epfd, evs, 8, wait_ms(a));
	uint64_t now;

	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u32) {
		case EP_SIGNAL:
			read_signals(a);
			break;
		case EP_LINK:
			read_links(a);
			break;
		case EP_EVENTS:
			ring_buffer__consume(a->rb);
			break;
		default:
			/* EP_WATCH: drained below in any case */
			if (evs[i].data.u32 >= EP_RECON &&
			    evs[i].data.u32 - EP_RECON < recon_registry_len)
				a->recon_ready[evs[i].data.u32 - EP_RECON] = true;
			break;
		}
	}
	wake_reconcilers(a);
	if (a->stop)
		return;
	now = now_ms();
	svc_watchdog(now);
	if (!a->store && a->store_retry_at && a->store_retry_at <= now)
		store_open(a);
	store_check(a);
	if (a->resync && a->store)
		resync(a);
	follow_store(a);
	if (a->retry_at && a->retry_at <= now_ms()) {
		a->retry_at = 0;
		a->dirty = a->full = true;
		a->xdp_check = true;
	}
	if (a->dirty && a->synced)
		reconcile(a);
	/* After the reconcile: the applied revision it reports is in the
	 * maps (`tenet --wait` relies on it). */
	if (a->store && a->synced) {
		struct tenet_err err = { 0 };

		if (status_tick(&a->status, a->store, now_ms(), &err) < 0)
			log_debug("status: %s", err.msg);
	}
	refresh_nexthops(a);
	if (a->xdp_check)
		underlay_update(a);
	age_learned(a);
	update_status(a);
}

static int start(struct agent *a)
{
	struct tenet_err err = { 0 };
	int ret;

	ret = config_load(&a->cfg, a->flags, &err);
	if (ret < 0) {
		log_err("configuration: %s", err.msg);
		return ret;
	}
	a->share = (struct recon_share){ .percent = a->cfg.guard_percent, .min = a->cfg.guard_min };
	log_set_debug(a->cfg.debug);
	status_init(&a->status, a->cfg.host);
	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
	ret = prepare_bpffs(&a->cfg);
	if (ret < 0) {
		log_err("bpffs at %s: %s", a->cfg.bpffs, strerror(-ret));
		return ret;
	}
	ret = pin_paths(a);
	if (!ret)
		ret = load_datapath(a);
	if (!ret && (ret = setup_loop(a)) < 0)
		log_err("event loop: %s", strerror(-ret));
	if (ret < 0)
		return ret;
	/* Without a store the datapath stays as the last agent left it, and
	 * the loop keeps trying. */
	if (store_open(a) == 0 && resync(a) == 0)
		reconcile(a);
	refresh_nexthops(a);
	underlay_update(a);
	return 0;
}

int agent_run(const struct config_flags *flags)
{
	struct agent a;
	char status[TENET_ERR_LEN + 100];
	int ret;

	svc_watchdog_init();
	ret = agent_init(&a, flags);
	if (!ret)
		ret = start(&a);
	if (ret < 0)
		goto out;
	sync_recon_fds(&a);
	svc_watchdog(now_ms());
	if (a.synced)
		snprintf(status, sizeof(status), "host %s: %zu records at revision %lld", a.cfg.host,
			 a.model.recs.n, (long long)a.rev);
	else
		snprintf(status, sizeof(status), "store unavailable: %s; the datapath keeps its "
			 "state%s", a.store_err, a.store_fatal ? "" : ", retrying");
	log_info("ready: host %s, underlay %s, %zu records%s%s%s", a.cfg.host,
		 a.cfg.underlay[0] ? a.cfg.underlay : "(none)", a.model.recs.n,
		 a.cfg.flowid ? "" : ", flowid off (GRE key = VSID << 8)",
		 a.cfg.strict_source ? ", strict_source on" : "", a.synced ? "" : "; no store yet");
	svc_ready(status);
	update_status(&a);
	while (!a.stop)
		turn(&a);
	svc_stopping();
	/* Stopped on purpose: our status record goes now, not at expiry. */
	status_drop(&a.status, a.store);
out:
	agent_fini(&a);
	return ret < 0 ? 1 : 0;
}

/* ---- tenetd --check ---- */

/* What a reload would open: the configuration, the store (which must
 * exist and be readable) and the underlay device (which must exist
 * here). Prints one line; returns the exit status. */
int agent_check(const struct config_flags *flags)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;
	struct config c;
	int64_t rev = 0;
	int ret;

	ret = config_load(&c, flags, &err);
	if (ret < 0) {
		log_err("configuration: %s", err.msg);
		return 1;
	}
	ret = tenet_store_openf(c.store, 0, &s, &err);
	if (!ret)
		ret = tenet_store_revision(s, &rev, &err);
	tenet_store_close(s);
	if (ret < 0) {
		log_err("configuration %s: %s", config_path(flags), err.msg);
		return 1;
	}
	if (c.underlay[0] && !if_nametoindex(c.underlay)) {
		log_err("configuration %s: underlay %s: no such device", config_path(flags),
			c.underlay);
		return 1;
	}
	printf("configuration %s ok: host %s, underlay %s, store %s (revision %lld), decap %s, "
	       "flowid %s, learn_age %us, delete guard %u%% and %u objects\n",
	       config_path(flags), c.host, c.underlay[0] ? c.underlay : "(none)",
	       c.store[0] ? c.store : TENET_STORE_DEFAULT, (long long)rev,
	       decap_mode_name(c.decap), c.flowid ? "on" : "off", c.learn_age, c.guard_percent,
	       c.guard_min);
	return 0;
}

/* ---- cleanup ---- */

static void remove_pins(const char *dir, const char *host_dir, const char *root)
{
	struct dirent *d;
	DIR *dh = opendir(dir);

	if (!dh)
		return;
	while ((d = readdir(dh)))
		if (d->d_name[0] != '.')
			unlinkat(dirfd(dh), d->d_name, 0);
	closedir(dh);
	if (rmdir(dir) == 0)
		log_info("pins removed from %s", dir);
	/* Other layout versions or hosts may still live beside it. */
	rmdir(host_dir);
	rmdir(root);
}

static int cleanup_config(struct agent *a)
{
	struct tenet_err err = { 0 };
	int ret = config_load(&a->cfg, a->flags, &err);

	if (ret < 0) {
		log_err("configuration: %s", err.msg);
		return ret;
	}
	libbpf_set_print(libbpf_log);
	libxdp_set_print(libxdp_log);
	ret = prepare_bpffs(&a->cfg);
	if (ret < 0) {
		log_err("bpffs at %s: %s", a->cfg.bpffs, strerror(-ret));
		return ret;
	}
	return pin_paths(a);
}

/* Every reconciler with an empty model, in a teardown: it removes every
 * object it finds of tenet's (BPF map entries excepted: they go with the
 * pins). Nothing is loaded: the datapath reconciler reads the pinned maps
 * (the port and PA maps: attachments and addresses). Then the decap
 * program and the pins, which are outside the reconcilers' sets. */
int agent_cleanup(const struct config_flags *flags)
{
	struct recon_env env = { .host = "" };
	struct recon_hooks hooks = { 0 };
	char host_dir[PATH_MAX];
	struct model empty;
	struct agent a;
	unsigned int ul;
	int ret;

	model_init(&empty);
	ret = agent_init(&a, flags);
	if (!ret)
		ret = cleanup_config(&a);
	if (ret < 0)
		goto out;
	hooks = (struct recon_hooks){ .applied = applied, .arg = &a };
	env = (struct recon_env){ .host = a.cfg.host, .note = note, .note_arg = &a };
	ul = a.cfg.underlay[0] ? if_nametoindex(a.cfg.underlay) : 0;
	if (ul)
		underlay_detach(&a, ul, a.cfg.underlay);
	ret = open_reconcilers(&a, &(struct recon_open){ .pin_dir = a.pin_dir, .cfg = &a.cfg });
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < recon_registry_len; i++) {
		a.rc[i].teardown = true;
		ret = recon_run(&a.rc[i], &empty, &env, &hooks);
		if (ret < 0)
			log_warn("%s: %s: %s", a.rc[i].r->name, a.rc[i].msg, strerror(-ret));
	}
	ret = 0;
	if (snprintf(host_dir, sizeof(host_dir), "%s/%s", a.pin_root, a.cfg.host) <
	    (int)sizeof(host_dir))
		remove_pins(a.pin_dir, host_dir, a.pin_root);
out:
	agent_fini(&a);
	model_free(&empty);
	return ret < 0 ? 1 : 0;
}
