// SPDX-License-Identifier: GPL-2.0
/* Rate limits of gateway interfaces: parsing and printing (rate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds/rate.h"
#include "util/parse.h"

struct tenet_rate tenet_rate_eff(const struct tenet_rate *r, uint32_t def_kbps)
{
	if (r && r->set)
		return *r;
	return (struct tenet_rate){ .set = true, .tx = def_kbps, .rx = def_kbps };
}

static int parse_kbps(const char *dir, const char *s, uint32_t *v, struct tenet_err *err)
{
	if (!s)
		return tenet_err_set(err, -EINVAL, "rate %s: needs a value (KBPS or none)", dir);
	if (!strcmp(s, "none")) {
		*v = 0;
		return 0;
	}
	if (tenet_parse_u32(s, TENET_RATE_MIN_KBPS, TENET_RATE_MAX_KBPS, v, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "rate %s '%s': not a rate in kbit/s (%u..%u) or none",
				     dir, s, TENET_RATE_MIN_KBPS, TENET_RATE_MAX_KBPS);
	return 0;
}

int tenet_rate_parse(int argc, char **argv, int *i, const struct tenet_rate *cur,
		     uint32_t def_kbps, struct tenet_rate *out, struct tenet_err *err)
{
	struct tenet_rate r = tenet_rate_eff(cur, def_kbps);
	bool tx = false, rx = false;
	int j = *i;

	if (j >= argc)
		return tenet_err_set(err, -EINVAL, "rate: needs a value (tx KBPS rx KBPS, none or default)");
	if (!strcmp(argv[j], "none") || !strcmp(argv[j], "default")) {
		*out = (struct tenet_rate){ .set = !strcmp(argv[j], "none") };
		return 0;
	}
	for (; j < argc; j += 2) {
		bool *seen = !strcmp(argv[j], "tx") ? &tx : !strcmp(argv[j], "rx") ? &rx : NULL;

		if (!seen)
			break;
		if (*seen)
			return tenet_err_set(err, -EINVAL, "rate %s: given twice", argv[j]);
		*seen = true;
		if (parse_kbps(argv[j], j + 1 < argc ? argv[j + 1] : NULL, seen == &tx ? &r.tx : &r.rx,
			       err) < 0)
			return -EINVAL;
	}
	if (!tx && !rx)
		return tenet_err_set(err, -EINVAL, "rate '%s': not tx KBPS, rx KBPS, none or default",
				     argv[*i]);
	r.set = true;
	*out = r;
	*i = j - 1;
	return 0;
}

const char *tenet_rate_fmt(const struct tenet_rate *eff, char *buf, size_t len)
{
	char t[16] = "none", r[16] = "none";

	if (!eff->tx && !eff->rx) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (eff->tx)
		snprintf(t, sizeof(t), "%u", eff->tx);
	if (eff->rx)
		snprintf(r, sizeof(r), "%u", eff->rx);
	snprintf(buf, len, "tx %s rx %s", t, r);
	return buf;
}

int tenet_rate_check(const struct tenet_rate *r, struct tenet_err *err)
{
	if (!r->set)
		return 0;
	if (r->tx && r->tx < TENET_RATE_MIN_KBPS)
		return tenet_err_set(err, -ERANGE, "tx: below %u kbit/s", TENET_RATE_MIN_KBPS);
	if (r->rx && r->rx < TENET_RATE_MIN_KBPS)
		return tenet_err_set(err, -ERANGE, "rx: below %u kbit/s", TENET_RATE_MIN_KBPS);
	return 0;
}

json_t *tenet_rate_show_json(const struct tenet_rate *r, uint32_t def_kbps)
{
	struct tenet_rate e = tenet_rate_eff(r, def_kbps);

	return json_pack("{s:I, s:I, s:b}", "tx", (json_int_t)e.tx, "rx", (json_int_t)e.rx,
			 "default", !r->set);
}

const char *tenet_rate_show_text(const json_t *o, char *buf, size_t len)
{
	struct tenet_rate e = {
		.set = true,
		.tx = (uint32_t)json_integer_value(json_object_get(o, "tx")),
		.rx = (uint32_t)json_integer_value(json_object_get(o, "rx")),
	};
	char t[48];

	tenet_rate_fmt(&e, t, sizeof(t));
	snprintf(buf, len, "%s%s", t, json_is_true(json_object_get(o, "default")) ? " (default)" : "");
	return buf;
}
