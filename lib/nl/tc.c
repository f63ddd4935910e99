// SPDX-License-Identifier: GPL-2.0
/* tc over rtnetlink (tc.h): tbf, clsact, matchall + police. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/tc.h"

#define INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define EGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)
/* The kernel's clock for tc: 1 tick = 64 ns (PSCHED_SHIFT). */
#define PSCHED_SHIFT 6

static struct nlmsghdr *tc_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
			       int ifindex, uint32_t handle, uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = handle;
	t->tcm_parent = parent;
	t->tcm_info = info;
	return nlh;
}

/* A rate spec the kernel takes without a size table of its own making:
 * the link layer is given (Ethernet: no ATM cell rounding), so the rate
 * table sent with it is only a formality of the ABI. */
static void ratespec(struct tc_ratespec *r, uint64_t rate)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate >= ~0u ? ~0u : (uint32_t)rate;
	r->linklayer = TC_LINKLAYER_ETHERNET;
	r->cell_log = 3;                /* 256 cells of 8 bytes: up to 2047 */
	r->cell_align = -1;
}

/* Nanoseconds to send bytes at rate, in ticks. */
static uint32_t ticks(uint64_t bytes, uint64_t rate)
{
	uint64_t ns = rate ? bytes * 1000000000ull / rate : 0;

	ns >>= PSCHED_SHIFT;
	return ns > ~0u ? ~0u : (uint32_t)ns;
}

int nl_tbf_set(struct nl *nl, int ifindex, const struct nl_tbf *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(nl, buf, RTM_NEWQDISC,
				      NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, ifindex,
				      TENET_TC_HANDLE, TC_H_ROOT, 0);
	struct tc_tbf_qopt q = { 0 };
	struct nlattr *opts;

	ratespec(&q.rate, t->rate);
	q.limit = t->limit;
	q.buffer = ticks(t->burst, t->rate);
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, t->burst);
	if (t->rate >= ~0u)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, t->rate);
	mnl_attr_nest_end(nlh, opts);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_tbf_del(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, tc_msg(nl, buf, RTM_DELQDISC, NLM_F_ACK, ifindex, TENET_TC_HANDLE,
				      TC_H_ROOT, 0), NULL, NULL);
}

static int clsact(struct nl *nl, int ifindex, uint16_t type, uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(nl, buf, type, NLM_F_ACK | flags, ifindex,
				      TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0);

	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	return nl_transact(nl, nlh, NULL, NULL);
}

static int police_filter_del(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, tc_msg(nl, buf, RTM_DELTFILTER, NLM_F_ACK, ifindex, 0, INGRESS,
				      TC_H_MAKE((uint32_t)TENET_TC_PRIO << 16, htons(ETH_P_ALL))),
			   NULL, NULL);
}

/* matchall cannot change a filter in place: a new limit is a new filter
 * (the device is unpoliced for the time between the two messages). */
int nl_police_set(struct nl *nl, int ifindex, const struct nl_police *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *opts, *acts, *act, *aopts;
	struct tc_police pol = { 0 };
	uint32_t rtab[256];
	int ret;

	ret = clsact(nl, ifindex, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0 && ret != -EEXIST)
		return ret;
	ret = police_filter_del(nl, ifindex);
	if (ret < 0 && ret != -ENOENT && ret != -EINVAL)
		return ret;
	nlh = tc_msg(nl, buf, RTM_NEWTFILTER, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ifindex, 1,
		     INGRESS, TC_H_MAKE((uint32_t)TENET_TC_PRIO << 16, htons(ETH_P_ALL)));
	ratespec(&pol.rate, p->rate);
	pol.action = TC_ACT_SHOT;       /* exceed; conform passes (TC_ACT_OK) */
	pol.burst = ticks(p->burst, p->rate);
	/* Any packet size: GRO hands the policer up to 64 KiB at once. */
	pol.mtu = ~0u;
	for (unsigned int i = 0; i < 256; i++)
		rtab[i] = ticks((uint64_t)(i + 1) << pol.rate.cell_log, p->rate);
	mnl_attr_put_strz(nlh, TCA_KIND, "matchall");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	acts = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
	act = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "police");
	aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	mnl_attr_put(nlh, TCA_POLICE_TBF, sizeof(pol), &pol);
	mnl_attr_put(nlh, TCA_POLICE_RATE, sizeof(rtab), rtab);
	if (p->rate >= ~0u)
		mnl_attr_put_u64(nlh, TCA_POLICE_RATE64, p->rate);
	mnl_attr_nest_end(nlh, aopts);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* ---- reading back ---- */

struct filt {
	uint32_t prio;
	uint64_t police_rate;   /* 0: not a police action */
	bool header;            /* the per-priority header of a dump */
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* Attributes of a nest, by type, up to max. */
static void nested(const struct nlattr *n, const struct nlattr **tb, size_t max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(a, n)
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
}

static uint64_t police_rate(const struct nlattr *opts)
{
	const struct nlattr *m[TCA_MATCHALL_MAX + 1], *act, *a[TCA_ACT_MAX + 1],
		*po[TCA_POLICE_MAX + 1];
	const struct tc_police *pol;

	nested(opts, m, TCA_MATCHALL_MAX);
	if (!m[TCA_MATCHALL_ACT])
		return 0;
	mnl_attr_for_each_nested(act, m[TCA_MATCHALL_ACT]) {
		nested(act, a, TCA_ACT_MAX);
		if (!a[TCA_ACT_KIND] || strcmp(mnl_attr_get_str(a[TCA_ACT_KIND]), "police") ||
		    !a[TCA_ACT_OPTIONS])
			continue;
		nested(a[TCA_ACT_OPTIONS], po, TCA_POLICE_MAX);
		if (po[TCA_POLICE_RATE64])
			return mnl_attr_get_u64(po[TCA_POLICE_RATE64]);
		if (!po[TCA_POLICE_TBF] || mnl_attr_get_payload_len(po[TCA_POLICE_TBF]) < sizeof(*pol))
			continue;
		pol = mnl_attr_get_payload(po[TCA_POLICE_TBF]);
		return pol->rate.rate;
	}
	return 0;
}

static int filt_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1] = { 0 };
	struct filt *f;

	if (nlh->nlmsg_type != RTM_NEWTFILTER ||
	    mnl_attr_parse(nlh, sizeof(*t), attr_cb, tb) < 0)
		return MNL_CB_OK;
	f = nl_vec_push(arg);
	if (!f)
		return MNL_CB_OK;
	f->prio = TC_H_MAJ(t->tcm_info) >> 16;
	f->header = !t->tcm_handle || !tb[TCA_OPTIONS];
	if (!f->header && tb[TCA_KIND] && !strcmp(mnl_attr_get_str(tb[TCA_KIND]), "matchall"))
		f->police_rate = police_rate(tb[TCA_OPTIONS]);
	return MNL_CB_OK;
}

static int filters(struct nl *nl, int ifindex, uint32_t parent, struct filt **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_dump(nl, tc_msg(nl, buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex, 0, parent, 0),
		       filt_cb, sizeof(struct filt), out, n);
}

int nl_police_del(struct nl *nl, int ifindex)
{
	struct filt *f = NULL;
	size_t n = 0, m = 0;
	int ret = police_filter_del(nl, ifindex);

	if (ret < 0)
		return ret == -EINVAL ? -ENOENT : ret;
	/* The clsact qdisc was made for the policer unless something else
	 * filters there. */
	if (filters(nl, ifindex, INGRESS, &f, &n) == 0) {
		free(f);
		f = NULL;
		if (filters(nl, ifindex, EGRESS, &f, &m) == 0 && !n && !m)
			clsact(nl, ifindex, RTM_DELQDISC, 0);
	}
	free(f);
	return 0;
}

struct qd {
	int ifindex;
	uint32_t handle, parent;
	uint64_t rate;
	bool tbf;
};

static int qdisc_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1] = { 0 }, *o[TCA_TBF_MAX + 1];
	const struct tc_tbf_qopt *q;
	struct qd *d;

	if (nlh->nlmsg_type != RTM_NEWQDISC || mnl_attr_parse(nlh, sizeof(*t), attr_cb, tb) < 0 ||
	    !tb[TCA_KIND])
		return MNL_CB_OK;
	d = nl_vec_push(arg);
	if (!d)
		return MNL_CB_OK;
	d->ifindex = t->tcm_ifindex;
	d->handle = t->tcm_handle;
	d->parent = t->tcm_parent;
	d->tbf = !strcmp(mnl_attr_get_str(tb[TCA_KIND]), "tbf");
	if (d->tbf && tb[TCA_OPTIONS]) {
		nested(tb[TCA_OPTIONS], o, TCA_TBF_MAX);
		if (o[TCA_TBF_RATE64])
			d->rate = mnl_attr_get_u64(o[TCA_TBF_RATE64]);
		else if (o[TCA_TBF_PARMS] && mnl_attr_get_payload_len(o[TCA_TBF_PARMS]) >= sizeof(*q)) {
			q = mnl_attr_get_payload(o[TCA_TBF_PARMS]);
			d->rate = q->rate.rate;
		}
	}
	return MNL_CB_OK;
}

static struct nl_tc_state *state_of(struct nl_vec *v, int ifindex)
{
	struct nl_tc_state *s = v->items;

	for (size_t i = 0; i < v->n; i++)
		if (s[i].ifindex == ifindex)
			return &s[i];
	s = nl_vec_push(v);
	if (s)
		s->ifindex = ifindex;
	return s;
}

int nl_tc_dump(struct nl *nl, bool (*read_filters)(int ifindex, void *arg), void *arg,
	       struct nl_tc_state **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_vec v = { .size = sizeof(struct nl_tc_state) };
	struct nl_tc_state *s;
	struct qd *q = NULL;
	size_t nq = 0;
	int ret;

	ret = nl_dump(nl, tc_msg(nl, buf, RTM_GETQDISC, NLM_F_DUMP, 0, 0, 0, 0), qdisc_cb,
		      sizeof(struct qd), &q, &nq);
	for (size_t i = 0; !ret && i < nq; i++) {
		struct filt *f = NULL;
		size_t nf = 0;

		if (q[i].tbf && q[i].handle == TENET_TC_HANDLE && q[i].parent == TC_H_ROOT) {
			s = state_of(&v, q[i].ifindex);
			if (s) {
				s->tbf = true;
				s->tbf_rate = q[i].rate;
			}
		}
		if (q[i].parent != TC_H_CLSACT ||
		    (read_filters && !read_filters(q[i].ifindex, arg)))
			continue;
		/* A device gone since the qdisc dump, or an ingress qdisc of
		 * someone else's that is not a clsact: nothing of tenet's. */
		ret = filters(nl, q[i].ifindex, INGRESS, &f, &nf);
		if (ret < 0 && ret != -ENOMEM && ret != -EINTR) {
			ret = 0;
			continue;
		}
		for (size_t j = 0; j < nf; j++) {
			if (f[j].header || f[j].prio != TENET_TC_PRIO || !f[j].police_rate)
				continue;
			s = state_of(&v, q[i].ifindex);
			if (s) {
				s->police = true;
				s->police_rate = f[j].police_rate;
			}
		}
		free(f);
	}
	free(q);
	if (!ret)
		ret = v.err;
	if (ret) {
		free(v.items);
		v.items = NULL;
		v.n = 0;
	}
	*out = v.items;
	*n = v.n;
	return ret;
}
