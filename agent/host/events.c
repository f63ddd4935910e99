// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "host/events.h"
#include "policy/policy.h"

/* A VM asking for a dead address again and again must not flood the log. */
#define EV_INTERVAL_MS 10000
#define EV_BURST 5

void ev_handler_init(struct ev_handler *h, ev_learn_fn learn, void *learn_arg)
{
	memset(h, 0, sizeof(*h));
	h->arp_rl = (struct ratelimit){ .interval_ms = EV_INTERVAL_MS, .burst = EV_BURST };
	h->frag_rl = h->arp_rl;
	h->learn_rl = h->arp_rl;
	h->neigh_rl = h->arp_rl;
	h->learn = learn;
	h->learn_arg = learn_arg;
}

void ev_to_lookup(const struct tenet_event *e, struct tenet_lookup *l)
{
	memset(l, 0, sizeof(*l));
	l->vsid = e->vsid;
	l->has_ca = e->ip != 0;
	l->ca = e->ip;
	memcpy(l->mac, e->mac, TENET_MAC_LEN);
	l->pa = e->pa;
	l->type = TENET_LOOKUP_DYNAMIC;
	l->rule = TENET_RULE_ENCAP;
}

static int suppressed(char *line, size_t len, unsigned int missed)
{
	size_t n = strlen(line);

	if (missed && n < len)
		snprintf(line + n, len - n, " (%u similar suppressed)", missed);
	return 1;
}

static int on_arp_miss(struct ev_handler *h, const struct tenet_event *e, uint64_t now,
		       char *line, size_t len)
{
	char ip[TENET_IPV4_STRLEN], mac[TENET_MAC_STRLEN];
	unsigned int missed;

	h->n_arp_miss++;
	if (!ratelimit_ok(&h->arp_rl, now, &missed))
		return 0;
	snprintf(line, len, "arp miss: port ifindex %u (vsid %u, mac %s) asked for %s, "
		 "which has no lookup record", e->ifindex, e->vsid, tenet_fmt_mac(e->mac, mac),
		 tenet_fmt_ipv4(e->ip, ip));
	return suppressed(line, len, missed);
}

/* For FRAG_NEEDED the datapath puts the underlay MTU (host order) where
 * the PA would be, and the remote PA in ip. */
static int on_frag_needed(struct ev_handler *h, const struct tenet_event *e, uint64_t now,
			  char *line, size_t len)
{
	char ip[TENET_IPV4_STRLEN], mac[TENET_MAC_STRLEN];
	unsigned int missed;

	h->n_frag++;
	if (!ratelimit_ok(&h->frag_rl, now, &missed))
		return 0;
	snprintf(line, len, "frag needed: port ifindex %u (vsid %u, mac %s) sent a frame too "
		 "big to encapsulate toward pa %s (underlay mtu %u); answered with ICMP",
		 e->ifindex, e->vsid, tenet_fmt_mac(e->mac, mac), tenet_fmt_ipv4(e->ip, ip),
		 (unsigned int)e->pa);
	return suppressed(line, len, missed);
}

static int on_learn(struct ev_handler *h, const struct tenet_event *e, uint64_t now, char *line,
		    size_t len)
{
	char ip[TENET_IPV4_STRLEN], mac[TENET_MAC_STRLEN], pa[TENET_IPV4_STRLEN];
	struct tenet_lookup l;
	struct tenet_err err = { 0 };
	unsigned int missed;
	int ret;

	ev_to_lookup(e, &l);
	if (!h->learn)
		return 0;
	ret = h->learn(h->learn_arg, &l, &err);
	if (ret >= 0 && h->seen)
		learn_table_seen(h->seen, &l, now);
	if (ret == -EPERM)
		h->n_learn_refused++;
	if (ret < 0) {
		if (!ratelimit_ok(&h->learn_rl, now, &missed))
			return 0;
		snprintf(line, len, "learned record not stored: %s", err.msg);
		return suppressed(line, len, missed);
	}
	if (ret == 0)
		return 0;
	h->n_learned++;
	snprintf(line, len, "learned: vsid %u %s mac %s at pa %s, stored as a dynamic record",
		 l.vsid, l.has_ca ? tenet_fmt_ipv4(l.ca, ip) : "(no ip)",
		 tenet_fmt_mac(l.mac, mac), tenet_fmt_ipv4(l.pa, pa));
	return 1;
}

static int on_neigh_miss(struct ev_handler *h, const struct tenet_event *e, uint64_t now,
			 char *line, size_t len)
{
	char dst[TENET_IPV4_STRLEN], src[TENET_IPV4_STRLEN];
	unsigned int missed;
	int ret = 0;

	h->n_neigh_miss++;
	if (h->resolve)
		ret = h->resolve(h->resolve_arg, e->pa, e->ip);
	if (!ratelimit_ok(&h->neigh_rl, now, &missed))
		return 0;
	if (ret < 0)
		snprintf(line, len, "arp copy to pa %s not sent: underlay neighbour unknown, and "
			 "resolving it failed: %s", tenet_fmt_ipv4(e->ip, dst), strerror(-ret));
	else
		snprintf(line, len, "arp copy to pa %s not sent: underlay neighbour unknown; "
			 "resolving it from %s (the VM's next ARP goes through)",
			 tenet_fmt_ipv4(e->ip, dst), tenet_fmt_ipv4(e->pa, src));
	return suppressed(line, len, missed);
}

int ev_resolve_udp(void *arg, __be32 src, __be32 dst)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = src };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = dst };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;
	char zero = 0;

	if (fd < 0)
		return -errno;
	if (src && bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
		ret = -errno;
	/* EAGAIN/ENOBUFS while the neighbour resolves is the point. */
	if (!ret && sendto(fd, &zero, 1, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	    errno != EAGAIN && errno != ENOBUFS)
		ret = -errno;
	close(fd);
	return ret;
}

int ev_handle(struct ev_handler *h, const void *data, size_t len, uint64_t now, char *line,
	      size_t linelen)
{
	struct tenet_event e;

	if (len < sizeof(e)) {
		h->n_bad++;
		return 0;
	}
	memcpy(&e, data, sizeof(e));
	switch (e.type) {
	case TENET_EV_ARP_MISS:
		return on_arp_miss(h, &e, now, line, linelen);
	case TENET_EV_FRAG_NEEDED:
		return on_frag_needed(h, &e, now, line, linelen);
	case TENET_EV_LEARN:
		return on_learn(h, &e, now, line, linelen);
	case TENET_EV_NEIGH_MISS:
		return on_neigh_miss(h, &e, now, line, linelen);
	default:
		h->n_bad++;
		return 0;
	}
}

/* What the store holds under the learned record's key: 1 when a learned
 * binding should be written, 0 when the same dynamic record or a
 * configured one is there already (configured records always win, and
 * repeating an identical write would only churn revisions on every host). */
static int learn_needed(struct tenet_store *s, const char *key, const struct tenet_lookup *l)
{
	struct tenet_record cur;
	struct tenet_kv kv = { 0 };
	int ret = tenet_store_get(s, key, &kv, NULL);

	if (ret < 0)
		return 1;       /* absent (or unreadable: the write will say) */
	/* A corrupt value there is replaced: learning repairs it. */
	if (tenet_record_decode(kv.key, kv.value, &cur, NULL) < 0)
		ret = 1;
	else if (cur.lookup.type != TENET_LOOKUP_DYNAMIC)
		ret = 0;
	else
		ret = cur.lookup.pa != l->pa || memcmp(cur.lookup.mac, l->mac, TENET_MAC_LEN);
	tenet_kv_clear(&kv);
	return ret;
}

/* Through the policy layer, like every policy writer: it validates the
 * record against the store (subnet, CA unique in the routing domain) and
 * bumps the serial other writers' checks rely on. */
int ev_learn_store(void *arg, const struct tenet_lookup *l, struct tenet_err *err)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l };
	struct tenet_store *s = arg;
	char key[TENET_KEY_MAX];
	int ret;

	if (!s)
		return tenet_err_set(err, -ENOTCONN, "no store open");
	/* Without an IP the key would be the l2only record's. */
	if (!l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: missing (a learned binding has an IP)");
	rec.lookup.type = TENET_LOOKUP_DYNAMIC;
	ret = tenet_record_key(&rec, key, sizeof(key));
	if (ret < 0)
		return tenet_err_set(err, ret, "vsid %u: no key for the learned record", l->vsid);
	if (!learn_needed(s, key, &rec.lookup))
		return 0;
	ret = tenet_policy_learned(s, &rec.lookup, NULL, err);
	/* A record configured since we looked: it wins. */
	if (ret == -EEXIST && learn_needed(s, key, &rec.lookup) == 0)
		return 0;
	return ret < 0 ? ret : 1;
}
