// SPDX-License-Identifier: GPL-2.0
/* The text of tenet's nftables table (`table ip tenet`). The whole table
 * is generated from the compartments and applied as one transaction that
 * replaces it (the nat reconciler, nat.c), so the kernel never holds half
 * of a change, and nothing outside the table is touched.
 *
 * Per compartment (zone Z = its VRF table id, mark M = TENET_GW_MARK_BASE
 * | Z):
 *   zones (prerouting, raw)     packets from its interfaces get conntrack
 *                               zone Z in the original direction only, so
 *                               replies coming back on the shared uplink
 *                               (zone 0) still find their connection;
 *                               except where both ends are the tenant's:
 *                               packets from its own devices (S2S and
 *                               remote-access XFRM interfaces, its external
 *                               interface, all in its VRF), and those from
 *                               its internal interface that its own table
 *                               routes into one of them, get zone Z both
 *                               ways (own_<Z>), so two tenants' flows with
 *                               identical tuples never meet in zone 0
 *                               (where NAT's null binding would give the
 *                               second another source port);
 *   marks (prerouting, mangle)  new connections from its interfaces get ct
 *                               mark M; on an uplink, ct mark M becomes the
 *                               packet mark, and the fwmark rule M ->
 *                               table Z (ahead of the l3mdev rule) routes
 *                               the de-NATed reply into the right VRF;
 *   inbound (prerouting, dstnat)  static inbound mappings, marking the
 *                               connection M;
 *   outbound (postrouting, srcnat) connections marked M leaving its uplink
 *                               take its external address.
 * IPv4 only: the chains belong to family ip. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw.h"

#define TABLE "ip tenet"

static void ip_str(uint32_t a, char buf[TENET_IPV4_STRLEN])
{
	tenet_fmt_ipv4(a, buf);
}

/* Devices in a tenant's VRF that only it uses (a shared NAT uplink is
 * in none): its S2S devices "ts1", "ts3", its remote-access device
 * "tra<C>", its external interface. */
static bool has_own(const struct gw_tenant *t)
{
	return t->ns2s || t->ravpn || t->cm->ext_dev[0];
}

/* Its own devices, for a map (val " : Z") or a set (val ""). */
static void own_devs(FILE *f, const struct gw_tenant *t, const char *val)
{
	const char *sep = "";
	char dev[IF_NAMESIZE];

	for (size_t k = 0; k < t->ns2s; k++, sep = ", ") {
		tenet_s2s_devname(t->s2s[k], dev, sizeof(dev));
		fprintf(f, "%s\"%s\"%s", sep, dev, val);
	}
	if (t->ravpn) {
		tenet_ravpn_devname(t->cm->id, dev, sizeof(dev));
		fprintf(f, "%s\"%s\"%s", sep, dev, val);
		sep = ", ";
	}
	if (t->cm->ext_dev[0])
		fprintf(f, "%s\"%s\"%s", sep, t->cm->ext_dev, val);
}

/* Which way a packet from the internal interface goes, asked of the
 * tenant's own table (the fwmark rule M -> table Z) before routing: into
 * one of its own devices, the flow is the tenant's both ways. The mark
 * is only the question; it is cleared either way so nothing after (the
 * tunnel's outer route above all) sees it. */
static void own_chains(FILE *f, const struct gw_tenant *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t z = tenet_gw_table(t[i].cm->id), m = tenet_gw_mark(t[i].cm->id);

		if (!has_own(&t[i]))
			continue;
		fprintf(f, "\tchain own_%u {\n\t\tmeta mark set 0x%08x\n"
			"\t\tfib daddr . mark oifname { ", z, m);
		own_devs(f, &t[i], "");
		fprintf(f, " } meta mark set 0x00000000 ct zone set %u accept\n"
			"\t\tmeta mark set 0x00000000\n\t}\n", z);
	}
}

static void zone_chain(FILE *f, const struct gw_tenant *t, size_t n)
{
	const char *sep = "";
	char val[32];

	fputs("\tchain zones {\n\t\ttype filter hook prerouting priority raw; policy accept;\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!has_own(&t[i]))
			continue;
		fprintf(f, "%s", *sep ? ", " : "\t\tct zone set iifname map { ");
		snprintf(val, sizeof(val), " : %u", tenet_gw_table(t[i].cm->id));
		own_devs(f, &t[i], val);
		sep = ", ";
	}
	if (*sep)
		fputs(" }\n", f);
	sep = "";
	for (size_t i = 0; i < n; i++) {
		if (!has_own(&t[i]))
			continue;
		fprintf(f, "%s\"" TENET_GW_INT_PFX "%u\" : jump own_%u", *sep ? ", " :
			"\t\tiifname vmap { ", t[i].cm->id, tenet_gw_table(t[i].cm->id));
		sep = ", ";
	}
	if (*sep)
		fputs(" }\n", f);
	sep = "";
	fputs("\t\tct original zone set iifname map { ", f);
	for (size_t i = 0; i < n; i++) {
		uint32_t z = tenet_gw_table(t[i].cm->id);

		fprintf(f, "%s\"" TENET_GW_INT_PFX "%u\" : %u", sep, t[i].cm->id, z);
		sep = ", ";
	}
	fputs(" }\n\t}\n", f);
}

static void mark_chain(FILE *f, const struct gw_tenant *t, size_t n)
{
	const char *sep = "";
	bool uplinks = false;

	fputs("\tchain marks {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n"
	      "\t\tct direction original ct mark set iifname map { ", f);
	for (size_t i = 0; i < n; i++) {
		uint32_t m = tenet_gw_mark(t[i].cm->id);

		fprintf(f, "%s\"" TENET_GW_INT_PFX "%u\" : 0x%08x", sep, t[i].cm->id, m);
		sep = ", ";
		if (t[i].cm->ext_dev[0])
			fprintf(f, ", \"%s\" : 0x%08x", t[i].cm->ext_dev, m);
	}
	fputs(" }\n", f);
	sep = "";
	for (size_t i = 0; i < n; i++) {
		/* One uplink may serve many tenants: list it once. */
		bool seen = false;

		if (!t[i].uplink_ifindex)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t[j].uplink_ifindex && !strcmp(t[j].uplink, t[i].uplink);
		if (seen)
			continue;
		fprintf(f, "%s\"%s\"", uplinks ? ", " : "\t\tiifname { ", t[i].uplink);
		uplinks = true;
	}
	if (uplinks)
		fprintf(f, " } ct mark and 0x%08x == 0x%08x meta mark set ct mark\n",
			TENET_GW_MARK_MASK, TENET_GW_MARK_BASE);
	fputs("\t}\n", f);
}

static void dnat_chain(FILE *f, const struct gw_tenant *t, size_t n)
{
	char ext[TENET_IPV4_STRLEN], ca[TENET_IPV4_STRLEN];

	fputs("\tchain inbound {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n", f);
	for (size_t i = 0; i < n; i++) {
		uint32_t m = tenet_gw_mark(t[i].cm->id);

		for (size_t k = 0; t[i].uplink_ifindex && k < t[i].nmaps; k++) {
			const struct tenet_natmap *mp = t[i].maps[k];
			const char *p = tenet_proto_name(mp->proto);

			ip_str(mp->external, ext);
			ip_str(mp->ca, ca);
			fprintf(f, "\t\tiifname \"%s\" ip daddr %s %s dport %u ct mark set 0x%08x "
				"meta mark set 0x%08x dnat to %s:%u\n", t[i].uplink, ext, p,
				mp->ext_port, m, m, ca, mp->ca_port);
		}
	}
	fputs("\t}\n", f);
}

static void snat_chain(FILE *f, const struct gw_tenant *t, size_t n)
{
	char ext[TENET_IPV4_STRLEN];

	fputs("\tchain outbound {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n", f);
	for (size_t i = 0; i < n; i++) {
		uint32_t m = tenet_gw_mark(t[i].cm->id);

		if (!t[i].nat || !t[i].uplink_ifindex)
			continue;
		ip_str(t[i].nat->external, ext);
		if (t[i].nat->port_min)
			fprintf(f, "\t\toifname \"%s\" ct mark 0x%08x meta l4proto { tcp, udp } "
				"snat to %s:%u-%u\n", t[i].uplink, m, ext, t[i].nat->port_min,
				t[i].nat->port_max);
		fprintf(f, "\t\toifname \"%s\" ct mark 0x%08x snat to %s\n", t[i].uplink, m, ext);
	}
	fputs("\t}\n", f);
}

char *gw_nft_ruleset(const struct gw_tenant *t, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!n)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	/* Create (a no-op if present), delete, then define: one transaction
	 * that replaces whatever the table held. */
	fputs("table " TABLE "\ndelete table " TABLE "\ntable " TABLE " {\n", f);
	own_chains(f, t, n);
	zone_chain(f, t, n);
	mark_chain(f, t, n);
	dnat_chain(f, t, n);
	snat_chain(f, t, n);
	fputs("}\n", f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
