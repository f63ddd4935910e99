// SPDX-License-Identifier: GPL-2.0
/* The text of tenet's table of filters (`table ip tenet_filter`):
 *
 *   maps in_ifs, out_ifs    interface name -> jump to its chain: the
 *                           hooks find an interface's chain in one lookup,
 *                           whatever the number of filtered interfaces;
 *   input, forward          meta sdifname vmap @out_ifs (dir out: out of
 *                           the network behind the interface, received
 *                           through it): a packet received on a VRF slave
 *                           (S2S interface, IfCi1) has the VRF device as
 *                           iif by then, the slave as sdif;
 *   postrouting             oifname vmap @in_ifs (dir in: sent through the
 *                           interface into its network; forwarded and
 *                           local);
 *   in_<dev>, out_<dev>     the interface's filters in id order: the first
 *                           that matches decides (allow: accept, deny:
 *                           drop), each counting in its named counter
 *                           (tenet_filter_counter_name: f<id>_<hash>); an
 *                           allow-list chain ends with a drop,
 *                           a deny-list chain returns (the packet passes).
 *
 * The head declares every object (a declaration creates what is missing
 * and leaves existing ones, so counters keep counting) and flushes rules
 * and map elements; the body adds them again. Applied as one transaction
 * with the deletes of stale chains and counters in between (filter.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/filter.h"

#define T TENET_FILTER_NFT_TABLE

static const char *dir_word(int dir)
{
	return dir == TENET_FILTER_OUT ? "out" : "in";
}

static void port_match(FILE *f, const char *proto, const char *which, uint16_t min,
		       uint16_t max)
{
	if (!min)
		return;
	if (min == max)
		fprintf(f, " %s %s %u", proto, which, min);
	else
		fprintf(f, " %s %s %u-%u", proto, which, min, max);
}

static void rule(FILE *f, const char *chain, const struct tenet_filter *r)
{
	char p[TENET_PREFIX_STRLEN], pn[8], cn[TENET_FILTER_COUNTER_MAX];
	const char *proto = tenet_filter_proto_name(r->proto, pn);
	bool ports = r->sport_min || r->dport_min;

	fprintf(f, "add rule " T " %s", chain);
	if (r->src.len)
		fprintf(f, " ip saddr %s", tenet_fmt_prefix(&r->src, p));
	if (r->dst.len)
		fprintf(f, " ip daddr %s", tenet_fmt_prefix(&r->dst, p));
	/* A port or ICMP match implies its protocol. */
	if (r->proto && !ports && !r->has_icmp_type)
		fprintf(f, " meta l4proto %s", proto);
	port_match(f, proto, "sport", r->sport_min, r->sport_max);
	port_match(f, proto, "dport", r->dport_min, r->dport_max);
	if (r->has_icmp_type)
		fprintf(f, " icmp type %u", r->icmp_type);
	if (r->has_icmp_code)
		fprintf(f, " icmp code %u", r->icmp_code);
	fprintf(f, " counter name \"%s\" %s\n", tenet_filter_counter_name(r, cn),
		r->action == TENET_FILTER_ALLOW ? "accept" : "drop");
}

static int finish(FILE *f, char **buf)
{
	if (fclose(f)) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

int filter_render(const struct filter_chain *c, size_t n, struct filter_text *t)
{
	size_t hl = 0, bl = 0, nl = 0;
	FILE *h, *b, *nm;
	int ret;

	memset(t, 0, sizeof(*t));
	h = open_memstream(&t->head, &hl);
	b = open_memstream(&t->body, &bl);
	nm = open_memstream(&t->names, &nl);
	if (!h || !b || !nm) {
		if (h)
			fclose(h);
		if (b)
			fclose(b);
		if (nm)
			fclose(nm);
		filter_text_free(t);
		return -ENOMEM;
	}
	fputs("table " T " {\n"
	      "\tmap in_ifs {\n\t\ttype ifname : verdict\n\t}\n"
	      "\tmap out_ifs {\n\t\ttype ifname : verdict\n\t}\n", h);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < c[i].nf; k++) {
			char cn[TENET_FILTER_COUNTER_MAX];

			tenet_filter_counter_name(c[i].f[k], cn);
			fprintf(h, "\tcounter %s {\n\t}\n", cn);
			fprintf(nm, "\ncounter %s", cn);
		}
	for (size_t i = 0; i < n; i++) {
		fprintf(h, "\tchain %s_%s {\n\t}\n", dir_word(c[i].dir), c[i].dev);
		fprintf(nm, "\nchain %s_%s", dir_word(c[i].dir), c[i].dev);
	}
	fputs("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n"
	      "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n"
	      "\tchain postrouting {\n\t\ttype filter hook postrouting priority filter; "
	      "policy accept;\n\t}\n}\n"
	      "flush table " T "\n"
	      "flush map " T " in_ifs\n"
	      "flush map " T " out_ifs\n", h);
	fputs("\nchain input\nchain forward\nchain postrouting\n", nm);

	fputs("add rule " T " input meta sdifname vmap @out_ifs\n"
	      "add rule " T " forward meta sdifname vmap @out_ifs\n"
	      "add rule " T " postrouting oifname vmap @in_ifs\n", b);
	for (size_t i = 0; i < n; i++) {
		char chain[IF_NAMESIZE + 8];

		snprintf(chain, sizeof(chain), "%s_%s", dir_word(c[i].dir), c[i].dev);
		for (size_t k = 0; k < c[i].nf; k++)
			rule(b, chain, c[i].f[k]);
		if (c[i].mode == TENET_FILTER_ALLOW_LIST)
			fprintf(b, "add rule " T " %s drop\n", chain);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(b, "add element " T " %s_ifs { \"%s\" : jump %s_%s }\n", dir_word(c[i].dir),
			c[i].dev, dir_word(c[i].dir), c[i].dev);
	ret = finish(h, &t->head);
	ret = finish(b, &t->body) ?: ret;
	ret = finish(nm, &t->names) ?: ret;
	if (ret)
		filter_text_free(t);
	return ret;
}

void filter_text_free(struct filter_text *t)
{
	free(t->head);
	free(t->body);
	free(t->names);
	memset(t, 0, sizeof(*t));
}
