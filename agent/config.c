// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host/learn.h"

const char *config_path(const struct config_flags *f)
{
	if (f && f->config)
		return f->config;
	return f && f->default_config ? f->default_config : TENETD_CONF_DEFAULT;
}

static int set_str(char *dst, size_t len, const char *val, const char *what,
		   struct tenet_err *err)
{
	if (strlen(val) >= len)
		return tenet_err_set(err, -ENAMETOOLONG, "%s: too long", what);
	strcpy(dst, val);
	return 0;
}

/* yes/no, true/false, 1/0 and on/off all work; the error names the
 * spelling the key is documented with. */
static int set_bool(bool *dst, const char *val, const char *what, const char *expect,
		    struct tenet_err *err)
{
	if (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1") ||
	    !strcmp(val, "on"))
		*dst = true;
	else if (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0") ||
		 !strcmp(val, "off"))
		*dst = false;
	else
		return tenet_err_set(err, -EINVAL, "%s: not %s", what, expect);
	return 0;
}

const char *decap_mode_name(enum decap_mode m)
{
	return m == DECAP_XDP ? "xdp" : m == DECAP_TC ? "tc" : "auto";
}

static int set_decap(enum decap_mode *dst, const char *val, const char *what,
		     struct tenet_err *err)
{
	if (!strcmp(val, "auto"))
		*dst = DECAP_AUTO;
	else if (!strcmp(val, "xdp"))
		*dst = DECAP_XDP;
	else if (!strcmp(val, "tc"))
		*dst = DECAP_TC;
	else
		return tenet_err_set(err, -EINVAL, "%s: not auto, xdp or tc", what);
	return 0;
}

static int set_seconds(unsigned int *dst, const char *val, const char *what,
		       struct tenet_err *err)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || v < LEARN_AGE_MIN_S || v > 86400 * 7)
		return tenet_err_set(err, -EINVAL, "%s: not a number of seconds in %u..%u", what,
				     LEARN_AGE_MIN_S, 86400 * 7);
	*dst = (unsigned int)v;
	return 0;
}

static int set_uint(unsigned int *dst, const char *val, unsigned int min, unsigned int max,
		    const char *what, struct tenet_err *err)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-' || v < min || v > max)
		return tenet_err_set(err, -EINVAL, "%s: not a number in %u..%u", what, min, max);
	*dst = (unsigned int)v;
	return 0;
}

static int set_key(struct config *c, const char *key, const char *val, const char *what,
		   struct tenet_err *err)
{
	if (!strcmp(key, "host"))
		return set_str(c->host, sizeof(c->host), val, what, err);
	if (!strcmp(key, "underlay"))
		return set_str(c->underlay, sizeof(c->underlay), val, what, err);
	if (!strcmp(key, "store"))
		return set_str(c->store, sizeof(c->store), val, what, err);
	if (!strcmp(key, "bpffs"))
		return set_str(c->bpffs, sizeof(c->bpffs), val, what, err);
	if (!strcmp(key, "debug"))
		return set_bool(&c->debug, val, what, "yes or no", err);
	if (!strcmp(key, "flowid"))
		return set_bool(&c->flowid, val, what, "on or off", err);
	if (!strcmp(key, "decap"))
		return set_decap(&c->decap, val, what, err);
	if (!strcmp(key, "learn_age"))
		return set_seconds(&c->learn_age, val, what, err);
	if (!strcmp(key, "delete_guard_percent"))
		return set_uint(&c->guard_percent, val, 1, 100, what, err);
	if (!strcmp(key, "delete_guard_min"))
		return set_uint(&c->guard_min, val, 0, 100000000, what, err);
	if (!strcmp(key, "hostkey"))
		return set_str(c->hostkey, sizeof(c->hostkey), strcmp(val, "none") ? val : "", what,
			       err);
	if (!strcmp(key, "vici"))
		return set_str(c->vici, sizeof(c->vici), val, what, err);
	if (!strcmp(key, "frr"))
		return set_str(c->frr, sizeof(c->frr), val, what, err);
	if (!strcmp(key, "ipsec_cert"))
		return set_str(c->ipsec_cert, sizeof(c->ipsec_cert), val, what, err);
	if (!strcmp(key, "ipsec_key"))
		return set_str(c->ipsec_key, sizeof(c->ipsec_key), val, what, err);
	if (!strcmp(key, "ipsec_ca"))
		return set_str(c->ipsec_ca, sizeof(c->ipsec_ca), val, what, err);
	if (!strcmp(key, "ravpn_radius_conf"))
		return set_str(c->ravpn_radius_conf, sizeof(c->ravpn_radius_conf), val, what, err);
	if (!strcmp(key, "strict_source"))
		return set_bool(&c->strict_source, val, what, "on or off", err);
	return tenet_err_set(err, -EINVAL, "%s: unknown key '%s'", what, key);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One `key = value` line (comment and blanks already handled). */
static int parse_line(struct config *c, char *line, const char *path, int lineno,
		      struct tenet_err *err)
{
	char what[PATH_MAX + 32];
	char *eq = strchr(line, '=');
	char *key, *val;

	snprintf(what, sizeof(what), "%s:%d", path, lineno);
	if (!eq)
		return tenet_err_set(err, -EINVAL, "%s: expected key = value", what);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!*key || !*val)
		return tenet_err_set(err, -EINVAL, "%s: expected key = value", what);
	return set_key(c, key, val, what, err);
}

static int load_file(struct config *c, const char *path, bool must_exist,
		     struct tenet_err *err)
{
	char buf[PATH_MAX + 128];
	int lineno = 0, ret = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return tenet_err_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *hash = strchr(buf, '#');
		char *line;

		lineno++;
		if (hash)
			*hash = '\0';
		line = trim(buf);
		if (!*line)
			continue;
		ret = parse_line(c, line, path, lineno, err);
		if (ret < 0)
			break;
	}
	fclose(f);
	return ret;
}

static int apply_flags(struct config *c, const struct config_flags *f, struct tenet_err *err)
{
	int ret = 0;

	if (f->host)
		ret = set_str(c->host, sizeof(c->host), f->host, "--host", err);
	if (!ret && f->underlay)
		ret = set_str(c->underlay, sizeof(c->underlay), f->underlay, "--underlay", err);
	if (!ret && f->store)
		ret = set_str(c->store, sizeof(c->store), f->store, "--store", err);
	if (!ret && f->bpffs)
		ret = set_str(c->bpffs, sizeof(c->bpffs), f->bpffs, "--bpffs", err);
	if (!ret && f->flowid)
		ret = set_bool(&c->flowid, f->flowid, "--flowid", "on or off", err);
	if (!ret && f->decap)
		ret = set_decap(&c->decap, f->decap, "--decap", err);
	if (f->debug)
		c->debug = true;
	return ret;
}

static void defaults(struct config *c)
{
	char *dot;

	memset(c, 0, sizeof(*c));
	strcpy(c->bpffs, TENETD_BPFFS_DEFAULT);
	strcpy(c->hostkey, TENETD_HOSTKEY_DEFAULT);
	c->flowid = true;
	c->learn_age = LEARN_AGE_DEFAULT_S;
	c->guard_percent = CONFIG_GUARD_PERCENT_DEFAULT;
	c->guard_min = CONFIG_GUARD_MIN_DEFAULT;
	if (gethostname(c->host, sizeof(c->host) - 1) < 0)
		c->host[0] = '\0';
	/* Store names are short names: "h1", not "h1.example.com". */
	dot = strchr(c->host, '.');
	if (dot)
		*dot = '\0';
}

static int validate(const struct config *c, struct tenet_err *err)
{
	struct tenet_err e = { 0 };

	if (tenet_check_name(c->host, &e) < 0)
		return tenet_err_set(err, -EINVAL, "host '%s': %s", c->host, e.msg);
	if (c->underlay[0] && tenet_check_ifname(c->underlay, &e) < 0)
		return tenet_err_set(err, -EINVAL, "underlay '%s': %s", c->underlay, e.msg);
	if (c->bpffs[0] != '/')
		return tenet_err_set(err, -EINVAL, "bpffs '%s': not an absolute path", c->bpffs);
	return 0;
}

int config_load(struct config *c, const struct config_flags *f, struct tenet_err *err)
{
	int ret;

	defaults(c);
	ret = load_file(c, config_path(f), f && f->config, err);
	if (!ret && f)
		ret = apply_flags(c, f, err);
	if (!ret)
		ret = validate(c, err);
	return ret;
}
