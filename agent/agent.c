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
#include <systemd/sd-daemon.h>

#include <tenet/limits.h>
#include <tenet/maps.h>

#include "agent.h"
#include "host/attach.h"
#include "datapath/datapath.h"
#include "host/desired.h"
#include "host/events.h"
#include "gw/gw.h"
#include "host/kernel.h"
#include "host/learn.h"
#include "host/nexthop.h"
#include "log.h"
#include "recon/model.h"
#include "recon/reconcile.h"
#include "store/store.h"
#include "tenet_tc.skel.h"

/* A failed kernel change is retried this often (link and store events
 * retry sooner). */
#define RETRY_MS 5000
/* Store changes are also polled this often: inotify is only a hint. */
#define POLL_MS 1000
/* Dynamic records are checked for aging this often (at most). */
#define AGE_CHECK_MS 5000
/* Per-entry log lines for bulk maps (lookups, routes) in one reconcile;
 * beyond this a summary line counts them. */
#define BULK_LOG_MAX 32

enum { EP_SIGNAL = 1, EP_LINK, EP_WATCH, EP_EVENTS };

struct agent {
	struct config cfg;
	const struct config_flags *flags;
	char pin_root[PATH_MAX];
	char pin_dir[PATH_MAX];
	struct tenet_datapath_opts dpo;
	struct tenet_datapath dp;
	struct kernel kern;
	struct knl_ops ops;
	struct gw gw;                   /* gateway compartments (gw.c) */
	struct tenet_store *store;
	struct tenet_watch *watch;
	int watch_fd;
	struct model model;
	struct state shadow;
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
	bool resync;                    /* re-read the whole store */
	bool xdp_check;                 /* look at the underlay attachment */
	bool stop;
	uint64_t retry_at;
	unsigned int nbulk;
	unsigned int nbulk_hidden;
};

/* ---- notes: problems logged once until they go away and come back ---- */

static void note(void *arg, const char *key, const char *msg)
{
	struct agent *a = arg;
	char line[TENET_KEY_MAX + 300];
	char zero = 0;

	snprintf(line, sizeof(line), "%s: %s", key, msg);
	if (htab_find(&a->notes[a->cur], line))
		return;
	htab_put(&a->notes[a->cur], line, &zero, NULL);
	if (!htab_find(&a->notes[!a->cur], line))
		log_warn("%s", line);
}

/* Start a new generation of notes; what is not noted again is forgotten. */
static void notes_rotate(struct agent *a)
{
	a->cur = !a->cur;
	htab_free(&a->notes[a->cur]);
	htab_init(&a->notes[a->cur], 0, 1);
}

/* ---- reconcile ---- */

static bool bulk_obj(enum obj o)
{
	return o == OBJ_MAC || o == OBJ_CA || o == OBJ_ROUTE || o == OBJ_PORT_MAC ||
	       o == OBJ_L2ONLY;
}

static const char *op_word(enum obj o, enum recon_op op)
{
	if (o == OBJ_ATTACH)
		return op == RECON_ADD ? "attached" : op == RECON_UPDATE ? "replaced" : "detached";
	return op == RECON_ADD ? "added" : op == RECON_UPDATE ? "updated" : "removed";
}

static void describe_attach(const void *key, char *buf, size_t len)
{
	char name[IF_NAMESIZE] = "(gone)";
	__u32 ifindex = *(const __u32 *)key;

	if_indextoname(ifindex, name);
	snprintf(buf, len, "tc program on port %s (ifindex %u)", name, ifindex);
}

static void applied(void *arg, enum obj o, enum recon_op op, const void *key, const void *val,
		    int err)
{
	struct agent *a = arg;
	char what[256];

	/* Past the first BULK_LOG_MAX, successful bulk entries are only
	 * counted: formatting 2M of them costs seconds at a 1M-record start. */
	if (err >= 0 && bulk_obj(o) && a->nbulk >= BULK_LOG_MAX) {
		a->nbulk_hidden++;
		return;
	}
	if (o == OBJ_ATTACH)
		describe_attach(key, what, sizeof(what));
	else
		obj_describe(o, key, op == RECON_DELETE ? NULL : val, what, sizeof(what));
	if (err < 0) {
		note(a, what, strerror(-err));
		return;
	}
	if (bulk_obj(o) && a->nbulk++ >= BULK_LOG_MAX) {
		a->nbulk_hidden++;
		return;
	}
	log_info("%s %s", what, op_word(o, op));
}

static void log_summary(struct agent *a, const struct recon_stats *st)
{
	char buf[512];
	size_t n = 0;

	for (int o = 0; o < OBJ_MAX && n < sizeof(buf); o++) {
		if (!st->add[o] && !st->upd[o] && !st->del[o])
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s +%u ~%u -%u;", obj_name(o),
				      st->add[o], st->upd[o], st->del[o]);
	}
	if (a->nbulk_hidden)
		log_info("%u more lookup/route entries changed (not listed)", a->nbulk_hidden);
	if (n)
		log_info("reconciled:%s %u failed", buf, st->failed);
}

static void reconcile(struct agent *a)
{
	struct build_env env = { .host = a->cfg.host, .ops = &a->ops,
				 .no_flowid = !a->cfg.flowid, .strict_source = a->cfg.strict_source,
				 .note = note, .note_arg = a };
	struct recon_hooks hooks = { .applied = applied, .arg = a };
	struct gw_env genv = { .host = a->cfg.host, .note = note, .note_arg = a };
	struct recon_stats st;
	struct name_set names;
	struct state desired;
	int ret, gw_failed;

	a->dirty = false;
	a->nbulk = a->nbulk_hidden = 0;
	notes_rotate(a);
	state_init(&desired);
	name_set_init(&names);
	/* Compartment devices first: their ports are in the build. */
	gw_failed = gw_sync(&a->gw, &a->model, &genv);
	desired_prepare_links(&a->model, &env);
	ret = desired_build(&a->model, &env, &desired, &names);
	if (ret < 0) {
		/* Never apply a partial picture: it would delete good state. */
		log_err("cannot build the desired state: %s", strerror(-ret));
		a->retry_at = now_ms() + RETRY_MS;
		goto out;
	}
	desired_clamp_mtu(&desired, &env);
	ret = recon_apply(&a->shadow, &desired, &a->ops, &hooks, &st);
	if (ret < 0)
		log_err("reconcile: %s", strerror(-ret));
	else
		log_summary(a, &st);
	/* The next-hop table follows the PAs the applied state names. */
	if (!a->nh_pas || st.add[OBJ_PA] + st.upd[OBJ_PA] + st.del[OBJ_PA] +
	    st.add[OBJ_MAC] + st.upd[OBJ_MAC] + st.del[OBJ_MAC] + st.add[OBJ_CA] +
	    st.upd[OBJ_CA] + st.del[OBJ_CA] + st.add[OBJ_L2ONLY] + st.upd[OBJ_L2ONLY] +
	    st.del[OBJ_L2ONLY])
		a->nh_pas = nexthops_set_pas(&a->nh, &a->shadow) == 0;
	a->retry_at = ret || gw_failed ? now_ms() + RETRY_MS : 0;
	name_set_free(&a->names);
	a->names = names;
	name_set_init(&names);
out:
	name_set_free(&names);
	state_free(&desired);
}

/* ---- the store ---- */

static void bad_record(void *arg, const char *msg)
{
	log_warn("store record skipped: %s", msg);
}

static int store_open(struct agent *a)
{
	struct tenet_err err = { 0 };
	int ret = tenet_store_open(a->cfg.store, &a->store, &err);

	if (ret < 0) {
		note(a, "store", err.msg);
		a->store = NULL;
	}
	/* Learned records go to whichever store is open (none: dropped). */
	a->ev.learn_arg = a->store;
	a->resync = true;
	return ret;
}

static void store_close(struct agent *a)
{
	tenet_watch_close(a->watch);
	a->watch = NULL;
	a->watch_fd = -1;
	tenet_store_close(a->store);
	a->store = NULL;
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

/* Everything, at one revision; then watch from the next one. The rows are
 * decoded as they are read, not copied into a list first. */
static int resync(struct agent *a)
{
	struct tenet_err err = { 0 };
	struct model_load ld;
	int64_t rev = 0;
	int ret, bad;

	a->resync = false;
	tenet_watch_close(a->watch);
	a->watch = NULL;
	a->watch_fd = -1;
	model_load_begin(&ld, &a->model, bad_record, a);
	ret = tenet_store_range_each(a->store, TENET_KEY_ROOT, load_kv, &ld, &rev, &err);
	if (ret < 0) {
		model_load_abort(&ld);
		log_err("store: %s", err.msg);
		goto out;
	}
	bad = model_load_end(&ld);
	log_info("store %s: %zu records at revision %lld (%d skipped)",
		 tenet_store_location(a->store), a->model.recs.n, (long long)rev, bad);
	ret = tenet_watch_open(a->store, TENET_KEY_ROOT, rev + 1, &a->watch, &err);
	if (ret < 0) {
		log_err("store watch: %s", err.msg);
		goto out;
	}
	watch_epoll(a, tenet_watch_fd(a->watch));
	a->dirty = true;
out:
	if (ret < 0)
		a->resync = true;
	return ret;
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

static int apply_event(struct agent *a, const struct tenet_watch_event *ev)
{
	struct tenet_err err = { 0 };
	int ret;

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
	if (ret == -ESTALE) {
		log_warn("store watch fell behind a compaction; full resync");
		a->resync = true;
	} else if (ret < 0) {
		log_err("store watch: %s", err.msg);
	}
	if (nev)
		log_info("store: %d change%s up to revision %lld, %d record%s changed", nev,
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
static int underlay_tc(struct agent *a, unsigned int ifindex, const char *why)
{
	bool replacing = tc_attached(ifindex);
	int ret = attach_tc(bpf_program__fd(a->dp.tc->progs.tenet_tc_underlay), ifindex);

	if (ret < 0)
		return ret;
	if (detach_xdp(ifindex) > 0)
		log_info("xdp program detached from %s (decap moved to tc)", a->cfg.underlay);
	log_info("tc program attached to underlay %s (decap tc: %s%s)", a->cfg.underlay, why,
		 replacing ? ", replacing the previous agent's" : "");
	return 0;
}

static int underlay_xdp(struct agent *a, unsigned int ifindex, bool fall_back)
{
	struct xdp_attach_info info;
	int ret = attach_xdp(&a->dpo, ifindex, &info);

	if (ret < 0)
		return ret;
	/* Generic (skb) XDP copies and linearises every frame and loses GSO:
	 * worse than TC on every count. auto takes TC instead. */
	if (fall_back && !strcmp(info.mode, "skb")) {
		a->ul_mode = DECAP_TC;
		return underlay_tc(a, ifindex, "auto: the driver has no native XDP");
	}
	a->ul_mode = DECAP_XDP;
	log_quiet_libs(true);
	if (detach_tc(ifindex) == 0)
		log_info("tc program detached from %s (decap moved to xdp)", a->cfg.underlay);
	log_quiet_libs(false);
	log_info("xdp program attached to underlay %s (%s mode, %s, prog id %u%s)",
		 a->cfg.underlay, info.mode,
		 info.dispatcher ? "libxdp dispatcher" : "alone: no dispatcher", info.prog_id,
		 info.replaced ? ", replacing the previous agent's" : "");
	return 0;
}

/* decap = auto: TC on a veth (XDP there takes GSO from its peer and
 * cannot carry a partial checksum through a redirect: docs/datapath.md),
 * XDP elsewhere unless it would only run generic (underlay_xdp). */
static void underlay_update(struct agent *a)
{
	char msg[160], drv[64] = "";
	unsigned int ifindex;
	int ret;

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
	if (a->cfg.decap == DECAP_TC) {
		a->ul_mode = DECAP_TC;
		ret = underlay_tc(a, ifindex, "configured");
	} else if (a->cfg.decap == DECAP_AUTO && !link_driver(a->cfg.underlay, drv, sizeof(drv)) &&
		   !strcmp(drv, "veth")) {
		a->ul_mode = DECAP_TC;
		ret = underlay_tc(a, ifindex, "auto: veth");
	} else {
		a->ul_mode = DECAP_XDP; /* TC if auto falls back (underlay_xdp) */
		ret = underlay_xdp(a, ifindex, a->cfg.decap == DECAP_AUTO);
	}
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot attach the %s decap program to %s: %s",
			 a->ul_mode == DECAP_TC ? "tc" : "xdp", a->cfg.underlay, strerror(-ret));
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
	return htab_find(&a->shadow.t[OBJ_ATTACH], &ifindex) != NULL;
}

static void on_link(const struct nl_link *l, void *arg)
{
	struct agent *a = arg;

	/* A device's address, VLAN or state may change a next hop. */
	nexthops_on_change(&a->nh);
	if (name_set_has(&a->names, l->name) || shadow_has_ifindex(a, l->ifindex)) {
		log_debug("link %s (ifindex %u) %s", l->name, l->ifindex,
			  l->deleted ? "removed" : "changed");
		a->dirty = true;
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

static void read_links(struct agent *a)
{
	static const struct nl_monitor_cbs cbs = { .link = on_link, .route = on_route,
						   .neigh = on_neigh };
	int ret = nl_monitor_read(&a->mon, &cbs, a);

	/* Lost events: look at everything. */
	if (ret == -ENOBUFS) {
		a->dirty = true;
		a->xdp_check = true;
		nexthops_on_change(&a->nh);
	}
}

static void refresh_nexthops(struct agent *a)
{
	int ret = nexthops_refresh(&a->nh, now_ms());

	if (ret < 0)
		log_warn("next-hop table: %s", strerror(-ret));
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

static void reload(struct agent *a)
{
	struct tenet_err err = { 0 };
	struct config c;
	bool store_changed;

	sd_notify(0, "RELOADING=1");
	if (config_load(&c, a->flags, &err) < 0) {
		log_err("reload: %s; keeping the running configuration", err.msg);
		goto out;
	}
	/* The host name and bpffs place the pinned maps: changing them is a
	 * different agent, not a reload. */
	if (strcmp(c.host, a->cfg.host) || strcmp(c.bpffs, a->cfg.bpffs)) {
		log_warn("reload: host and bpffs changes need a restart; keeping %s and %s",
			 a->cfg.host, a->cfg.bpffs);
		strcpy(c.host, a->cfg.host);
		strcpy(c.bpffs, a->cfg.bpffs);
	}
	if (strcmp(c.underlay, a->cfg.underlay) && a->xdp_ifindex) {
		underlay_detach(a, a->xdp_ifindex, a->cfg.underlay);
		a->xdp_ifindex = 0;
	}
	store_changed = strcmp(c.store, a->cfg.store) != 0;
	a->cfg = c;
	log_set_debug(c.debug);
	if (store_changed) {
		store_close(a);
		if (store_open(a) < 0)
			a->retry_at = now_ms() + RETRY_MS;
	}
	a->xdp_check = true;
	a->dirty = true;
	log_info("configuration reloaded (host %s, underlay %s, store %s, decap %s, "
		 "learn_age %us, strict_source %s, flowid %s)", c.host,
		 c.underlay[0] ? c.underlay : "(none)", c.store[0] ? c.store : TENET_STORE_DEFAULT,
		 decap_mode_name(c.decap), c.learn_age, c.strict_source ? "on" : "off",
		 c.flowid ? "on" : "off");
out:
	sd_notify(0, "READY=1");
}

static void read_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(a);
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
	ret = kernel_init(&a->kern, &a->dp);
	if (ret < 0) {
		log_err("rtnetlink: %s", strerror(-ret));
		return ret;
	}
	kernel_ops(&a->kern, &a->ops);
	ret = nexthops_init(&a->nh, bpf_map__fd(a->dp.tc->maps.tenet_nexthop));
	if (ret < 0) {
		log_err("next-hop table: %s", strerror(-ret));
		return ret;
	}
	a->nh.resolve = ev_resolve_udp;
	ret = gw_init(&a->gw);
	if (ret < 0) {
		log_err("rtnetlink (gateway): %s", strerror(-ret));
		return ret;
	}
	ret = recon_shadow_load(&a->shadow, &a->ops);
	if (ret < 0) {
		log_err("cannot read the pinned maps: %s", strerror(-ret));
		return ret;
	}
	for (int o = OBJ_PA; o < OBJ_NMAPS; o++)
		inherited += a->shadow.t[o].n;
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

static void agent_init(struct agent *a, const struct config_flags *flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	a->epfd = a->sigfd = a->watch_fd = -1;
	model_init(&a->model);
	state_init(&a->shadow);
	name_set_init(&a->names);
	htab_init(&a->notes[0], 0, 1);
	htab_init(&a->notes[1], 0, 1);
	learn_table_init(&a->learned, (uint64_t)LEARN_AGE_DEFAULT_S * 1000);
}

static void agent_fini(struct agent *a)
{
	ring_buffer__free(a->rb);
	if (a->mon.sk)
		nl_close(&a->mon);
	nexthops_fini(&a->nh);
	store_close(a);
	gw_fini(&a->gw);
	kernel_close(&a->kern);
	/* Closing fds detaches nothing: filters, the XDP dispatcher and the
	 * pins live on for the next agent. */
	tenet_datapath_unload(&a->dp);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->epfd >= 0)
		close(a->epfd);
	model_free(&a->model);
	state_free(&a->shadow);
	name_set_free(&a->names);
	htab_free(&a->notes[0]);
	htab_free(&a->notes[1]);
	learn_table_free(&a->learned);
}

/* ---- the loop ---- */

static int wait_ms(const struct agent *a)
{
	uint64_t now = now_ms();
	int nh = nexthops_wait_ms(&a->nh, now);

	if (a->dirty || a->resync || a->xdp_check || nh == 0)
		return 0;
	if (nh > 0 && nh < POLL_MS && (!a->retry_at || a->retry_at > now + (uint64_t)nh))
		return nh;
	if (a->retry_at && a->retry_at > now && a->retry_at - now < POLL_MS)
		return (int)(a->retry_at - now);
	return a->retry_at && a->retry_at <= now ? 0 : POLL_MS;
}

static void turn(struct agent *a)
{
	struct epoll_event evs[8];
	int n = epoll_wait(a->epfd, evs, 8, wait_ms(a));

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
			break; /* EP_WATCH: drained below in any case */
		}
	}
	if (a->stop)
		return;
	/* A store that could not be opened on reload is retried. */
	if (!a->store && a->retry_at && a->retry_at <= now_ms() && store_open(a) < 0)
		a->retry_at = now_ms() + RETRY_MS;
	if (a->resync && a->store)
		resync(a);
	follow_store(a);
	if (a->retry_at && a->retry_at <= now_ms()) {
		a->dirty = true;
		a->xdp_check = true;
	}
	if (a->dirty)
		reconcile(a);
	refresh_nexthops(a);
	if (a->xdp_check)
		underlay_update(a);
	age_learned(a);
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
	log_set_debug(a->cfg.debug);
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
	ret = store_open(a);
	if (ret < 0) {
		log_err("cannot open the store %s", a->cfg.store[0] ? a->cfg.store :
			TENET_STORE_DEFAULT);
		return ret;
	}
	ret = resync(a);
	if (ret < 0)
		return ret;
	reconcile(a);
	refresh_nexthops(a);
	underlay_update(a);
	return 0;
}

int agent_run(const struct config_flags *flags)
{
	struct agent a;
	int ret;

	agent_init(&a, flags);
	ret = start(&a);
	if (ret < 0)
		goto out;
	log_info("ready: host %s, underlay %s, %zu records%s%s", a.cfg.host,
		 a.cfg.underlay[0] ? a.cfg.underlay : "(none)", a.model.recs.n,
		 a.cfg.flowid ? "" : ", flowid off (GRE key = VSID << 8)",
		 a.cfg.strict_source ? ", strict_source on" : "");
	sd_notifyf(0, "READY=1\nSTATUS=host %s, %zu records", a.cfg.host, a.model.recs.n);
	while (!a.stop)
		turn(&a);
	sd_notify(0, "STOPPING=1");
out:
	agent_fini(&a);
	return ret < 0 ? 1 : 0;
}

/* ---- cleanup ---- */

typedef void (*pin_entry_fn)(const void *key, const void *val, void *arg);

/* Walk a pinned map (if it is there) without loading anything. */
static void walk_pinned(const char *dir, const char *name, size_t ksz, pin_entry_fn fn,
			void *arg)
{
	unsigned char key[64], next[64], val[64];
	char path[PATH_MAX];
	void *prev = NULL;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, val))
			fn(key, val, arg);
	}
	close(fd);
}

static void cleanup_port(const void *key, const void *val, void *arg)
{
	__u32 ifindex = *(const __u32 *)key;
	int ret = detach_tc(ifindex);

	if (ret < 0 && !recon_gone(ret))
		log_warn("port ifindex %u: cannot detach: %s", ifindex, strerror(-ret));
	else if (!ret)
		log_info("tc program detached from port ifindex %u", ifindex);
}

static void cleanup_pa(const void *key, const void *val, void *arg)
{
	const struct tenet_pa_val *v = val;
	char ip[TENET_IPV4_STRLEN];
	__be32 pa;

	memcpy(&pa, key, sizeof(pa));
	if (nl_addr_del(arg, v->ifindex, pa) == 0)
		log_info("address %s removed from ifindex %u", tenet_fmt_ipv4(pa, ip), v->ifindex);
}

struct route_list {
	struct kroute_key k[256];
	struct kroute_val v[256];
	int n;
};

static int collect_route(uint32_t dst, uint8_t plen, uint32_t ifindex, uint32_t via, void *arg)
{
	struct route_list *l = arg;

	if (l->n == 256)
		return 0;
	l->k[l->n] = (struct kroute_key){ .dst = dst, .plen = plen };
	l->v[l->n] = (struct kroute_val){ .ifindex = ifindex, .via = via };
	l->n++;
	return 0;
}

/* Routes are collected first: a request on the socket while the dump is
 * still being read would interleave with it. */
static void cleanup_routes(struct nl *nl)
{
	struct route_list *l = calloc(1, sizeof(*l));
	char ip[TENET_IPV4_STRLEN];

	if (!l || nl_route_dump(nl, collect_route, l) < 0)
		goto out;
	for (int i = 0; i < l->n; i++)
		if (nl_route_del(nl, l->k[i].dst, l->k[i].plen, l->v[i].ifindex) == 0)
			log_info("provider route %s/%u removed", tenet_fmt_ipv4(l->k[i].dst, ip),
				 l->k[i].plen);
out:
	free(l);
}

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

int agent_cleanup(const struct config_flags *flags)
{
	char host_dir[PATH_MAX];
	struct agent a;
	unsigned int ul;
	struct nl nl;
	int ret;

	agent_init(&a, flags);
	ret = cleanup_config(&a);
	if (ret < 0)
		goto out;
	ret = nl_open(&nl);
	if (ret < 0)
		goto out;
	ul = a.cfg.underlay[0] ? if_nametoindex(a.cfg.underlay) : 0;
	if (ul)
		underlay_detach(&a, ul, a.cfg.underlay);
	/* Compartments first: their ports are in the port map. */
	if (gw_init(&a.gw) == 0)
		gw_cleanup(&a.gw);
	walk_pinned(a.pin_dir, TENET_MAP_PORT, sizeof(__u32), cleanup_port, NULL);
	walk_pinned(a.pin_dir, TENET_MAP_PA, sizeof(__be32), cleanup_pa, &nl);
	cleanup_routes(&nl);
	nl_close(&nl);
	if (snprintf(host_dir, sizeof(host_dir), "%s/%s", a.pin_root, a.cfg.host) <
	    (int)sizeof(host_dir))
		remove_pins(a.pin_dir, host_dir, a.pin_root);
out:
	agent_fini(&a);
	return ret < 0 ? 1 : 0;
}
