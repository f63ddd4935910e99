// SPDX-License-Identifier: GPL-2.0
/* Capture files for `tenet trace -w`: classic pcap through libpcap
 * (pcap_dump), which every tool reads; or pcapng, which libpcap 1.10
 * reads but cannot write, written here (the pcapng draft's SHB, IDB and
 * EPB blocks): one interface per device with its name, and each frame's
 * comment saying where the datapath saw it and why it dropped it. Frames
 * are flushed as they come, so a trace killed half-way leaves a readable
 * file. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "cli_trace.h"

#define IF_MAX 64

struct cli_capture {
	bool ng;
	uint32_t snaplen;
	/* pcap */
	pcap_t *dead;
	pcap_dumper_t *dump;
	/* pcapng */
	FILE *f;
	struct {
		char name[IF_NAMESIZE];
		int linktype;
	} ifs[IF_MAX];
	int nifs;
};

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

/* ---- pcapng ---- */

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static uint32_t pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

static void put_pad(FILE *f, uint32_t n)
{
	static const uint8_t zero[4];

	fwrite(zero, 1, pad4(n) - n, f);
}

/* An option: code, length, value padded to 4. */
static void put_opt(FILE *f, uint16_t code, const void *v, uint16_t len)
{
	put16(f, code);
	put16(f, len);
	fwrite(v, 1, len, f);
	put_pad(f, len);
}

static uint32_t opt_len(uint16_t len)
{
	return 4 + pad4(len);
}

static void ng_shb(FILE *f)
{
	static const char app[] = "tenet trace";
	uint32_t len = 28 + opt_len(sizeof(app) - 1) + 4;
	int64_t section = -1;

	put32(f, 0x0A0D0D0A);
	put32(f, len);
	put32(f, 0x1A2B3C4D);
	put16(f, 1);
	put16(f, 0);
	fwrite(&section, 8, 1, f);
	put_opt(f, 4, app, sizeof(app) - 1);        /* shb_userappl */
	put32(f, 0);                                /* opt_endofopt */
	put32(f, len);
}

static int ng_interface(struct cli_capture *cap, const char *name, int linktype)
{
	uint16_t nlen = (uint16_t)strlen(name);
	uint32_t len = 20 + opt_len(nlen) + 4;

	for (int i = 0; i < cap->nifs; i++)
		if (!strcmp(cap->ifs[i].name, name) && cap->ifs[i].linktype == linktype)
			return i;
	if (cap->nifs == IF_MAX)
		return -ENOSPC;
	snprintf(cap->ifs[cap->nifs].name, IF_NAMESIZE, "%s", name);
	cap->ifs[cap->nifs].linktype = linktype;
	put32(cap->f, 1);
	put32(cap->f, len);
	put16(cap->f, (uint16_t)(linktype == DLT_RAW ? 101 : 1)); /* LINKTYPE_RAW, _ETHERNET */
	put16(cap->f, 0);
	put32(cap->f, cap->snaplen);
	put_opt(cap->f, 2, name, nlen);             /* if_name */
	put32(cap->f, 0);
	put32(cap->f, len);
	return cap->nifs++;
}

static int ng_packet(struct cli_capture *cap, int ifid, int64_t ts_ns, const uint8_t *data,
		     uint32_t caplen, uint32_t len, bool outbound, const char *comment)
{
	uint64_t us = (uint64_t)ts_ns / 1000;
	uint16_t clen = comment ? (uint16_t)strlen(comment) : 0;
	uint32_t flags = outbound ? 2 : 1;          /* epb_flags: direction */
	uint32_t blen = 28 + pad4(caplen) + (clen ? opt_len(clen) : 0) + opt_len(4) + 4 + 4;

	put32(cap->f, 6);
	put32(cap->f, blen);
	put32(cap->f, (uint32_t)ifid);
	put32(cap->f, (uint32_t)(us >> 32));
	put32(cap->f, (uint32_t)us);
	put32(cap->f, caplen);
	put32(cap->f, len);
	fwrite(data, 1, caplen, cap->f);
	put_pad(cap->f, caplen);
	if (clen)
		put_opt(cap->f, 1, comment, clen);  /* opt_comment */
	put_opt(cap->f, 2, &flags, 4);              /* epb_flags */
	put32(cap->f, 0);
	put32(cap->f, blen);
	return ferror(cap->f) ? -EIO : 0;
}

/* ---- both ---- */

int cli_capture_open(struct cli *c, const char *path, uint32_t snaplen,
		     struct cli_capture **out)
{
	struct cli_capture *cap = calloc(1, sizeof(*cap));

	if (!cap)
		return cli_fail(c, "out of memory");
	cap->snaplen = snaplen;
	cap->ng = ends_with(path, ".pcapng");
	if (cap->ng) {
		cap->f = fopen(path, "w");
		if (!cap->f) {
			free(cap);
			return cli_fail(c, "trace: %s: %s", path, strerror(errno));
		}
		ng_shb(cap->f);
		fflush(cap->f);
	} else {
		cap->dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
		cap->dump = cap->dead ? pcap_dump_open(cap->dead, path) : NULL;
		if (!cap->dump) {
			int ret = cli_fail(c, "trace: %s: %s", path,
					   cap->dead ? pcap_geterr(cap->dead) : "out of memory");

			if (cap->dead)
				pcap_close(cap->dead);
			free(cap);
			return ret;
		}
	}
	*out = cap;
	return 0;
}

int cli_capture_write(struct cli_capture *cap, const char *ifname, int linktype, int64_t ts_ns,
		      const uint8_t *data, uint32_t caplen, uint32_t len, bool outbound,
		      const char *comment)
{
	struct pcap_pkthdr h;
	int ifid, ret;

	if (cap->ng) {
		ifid = ng_interface(cap, ifname, linktype);
		if (ifid < 0)
			return ifid;
		ret = ng_packet(cap, ifid, ts_ns, data, caplen, len, outbound, comment);
		fflush(cap->f);
		return ret;
	}
	/* A classic pcap file has one link type. */
	if (linktype != DLT_EN10MB)
		return -EPROTOTYPE;
	h.ts.tv_sec = ts_ns / 1000000000;
	h.ts.tv_usec = (ts_ns % 1000000000) / 1000;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)cap->dump, &h, data);
	return pcap_dump_flush(cap->dump) < 0 ? -EIO : 0;
}

void cli_capture_close(struct cli_capture *cap)
{
	if (!cap)
		return;
	if (cap->ng)
		fclose(cap->f);
	if (cap->dump)
		pcap_dump_close(cap->dump);
	if (cap->dead)
		pcap_close(cap->dead);
	free(cap);
}
