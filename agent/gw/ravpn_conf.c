// SPDX-License-Identifier: GPL-2.0
/* The VICI messages and strongswan.conf text of remote access
 * (ravpn_conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gw/ravpn_conf.h"

/* The same proposals as the S2S connections (ipsec_conf.c) plus
 * aes-cbc with SHA-1 for older clients' ESP. */
static const char *const ike_proposals[] = {
	"aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048",
	"aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048",
};
static const char *const esp_proposals[] = {
	"aes128gcm16-aes256gcm16",
	"aes128-aes256-sha256-sha384",
	"aes128-aes256-sha1",
};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void digest(const char *text, size_t outlen, char *out)
{
	static const char d[] = "0123456789abcdef";
	unsigned char h[16];

	crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), NULL, 0);
	for (size_t i = 0; i < outlen / 2 && i < sizeof(h); i++) {
		out[2 * i] = d[h[i] >> 4];
		out[2 * i + 1] = d[h[i] & 15];
	}
	out[outlen] = '\0';
}

json_t *ravpn_pool_msg(const struct tenet_ravpn *r, const char *name, bool v6)
{
	char p[TENET_PREFIX_STRLEN], a[TENET_IPV4_STRLEN];
	json_t *body, *dns = json_array();

	for (uint16_t i = 0; !v6 && i < r->ndns && i < TENET_RAVPN_DNS_MAX; i++)
		json_array_append_new(dns, json_string(tenet_fmt_ipv4(r->dns[i].addr, a)));
	body = json_pack("{s:s}", "addrs", v6 ? r->pool6 : tenet_fmt_prefix(&r->pool, p));
	if (body && json_array_size(dns))
		json_object_set_new(body, "dns", dns);
	else
		json_decref(dns);
	return body ? json_pack("{s:o}", name, body) : NULL;
}

void ravpn_pool_names(const struct tenet_ravpn *r, char v4[RAVPN_NAME_LEN],
		      char v6[RAVPN_NAME_LEN])
{
	char h[9], *text;
	json_t *m;

	v4[0] = v6[0] = '\0';
	for (int six = 0; six < 2; six++) {
		char *out = six ? v6 : v4;

		if (six ? !r->pool6[0] : !r->pool.len)
			continue;
		m = ravpn_pool_msg(r, "pool", six);
		text = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		digest(text ? text : "", 8, h);
		free(text);
		json_decref(m);
		snprintf(out, RAVPN_NAME_LEN, TENET_RAVPN_CONN_PFX "%s-%d-%s", r->rdomain,
			 six ? 6 : 4, h);
	}
}

static int conn_body(const struct tenet_ravpn *r, uint32_t cid, const char *cert_pem,
		     const char *child, json_t **out, struct tenet_err *err)
{
	char v4[RAVPN_NAME_LEN], v6[RAVPN_NAME_LEN], ifid[16], group[TENET_NAME_MAX + 16];
	json_t *c, *pools, *ch, *local, *remote;

	*out = NULL;
	if (!cert_pem)
		return tenet_err_set(err, -EINVAL, "remote access needs the gateway's certificate "
				     "(ipsec_cert and ipsec_key in tenetd.conf)");
	ravpn_pool_names(r, v4, v6);
	pools = json_array();
	if (v4[0])
		json_array_append_new(pools, json_string(v4));
	if (v6[0])
		json_array_append_new(pools, json_string(v6));
	snprintf(ifid, sizeof(ifid), "%u", tenet_ravpn_ifid(cid));
	snprintf(group, sizeof(group), TENET_RAVPN_CLASS_PFX "%s", r->rdomain);
	/* The gateway proves itself with its certificate; the user by EAP,
	 * relayed to RADIUS. The RADIUS Class "TenantName=<rdomain>" becomes
	 * a group (eap-radius class_group) this connection requires: after
	 * EAP charon switches to the connection whose groups the user has. */
	local = json_pack("{s:s, s:[s]}", "auth", "pubkey", "certs", cert_pem);
	remote = json_pack("{s:s, s:s, s:[s]}", "auth", "eap-radius", "eap_id", "%any",
			   "groups", group);
	/* Everything from the client goes to the tenant's XFRM interface;
	 * the client's own selector is its virtual IP. */
	ch = json_pack("{s:[s], s:[s], s:s, s:s, s:s, s:s}", "local_ts", "0.0.0.0/0",
		       "remote_ts", "dynamic", "if_id_in", ifid, "if_id_out", ifid,
		       "dpd_action", "clear", "close_action", "none");
	/* IPv6 users (pool6) reach the tenant over IPv6 too */
	if (ch && r->pool6[0])
		json_array_append_new(json_object_get(ch, "local_ts"), json_string("::/0"));
	if (ch)
		json_object_set_new(ch, "esp_proposals",
				    strings(esp_proposals, sizeof(esp_proposals) / sizeof(esp_proposals[0])));
	c = json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "version", "2", "pools", pools,
		      "unique", "never", "send_certreq", "no", "dpd_delay", "30s",
		      "local-1", local, "remote-1", remote);
	if (!c || !ch) {
		json_decref(c);
		json_decref(ch);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	json_object_set_new(c, "proposals",
			    strings(ike_proposals, sizeof(ike_proposals) / sizeof(ike_proposals[0])));
	json_object_set_new(c, "children", json_pack("{s:o}", child, ch));
	*out = c;
	return 0;
}

int ravpn_child_name(const struct tenet_ravpn *r, uint32_t cid, const char *cert_pem,
		     char child[RAVPN_NAME_LEN], struct tenet_err *err)
{
	char h[17], *text;
	json_t *c;
	int ret = conn_body(r, cid, cert_pem, "ra", &c, err);

	if (ret < 0)
		return ret;
	text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	if (!text)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	digest(text, 16, h);
	free(text);
	snprintf(child, RAVPN_NAME_LEN, "ra-%s", h);
	return 0;
}

int ravpn_conn_msg(const struct tenet_ravpn *r, uint32_t cid, const char *cert_pem,
		   json_t **out, struct tenet_err *err)
{
	char child[RAVPN_NAME_LEN], name[RAVPN_NAME_LEN];
	json_t *c;
	int ret;

	*out = NULL;
	ret = ravpn_child_name(r, cid, cert_pem, child, err);
	if (!ret)
		ret = conn_body(r, cid, cert_pem, child, &c, err);
	if (ret < 0)
		return ret;
	tenet_ravpn_conn_name(r->rdomain, name, sizeof(name));
	*out = json_pack("{s:o}", name, c);
	return *out ? 0 : tenet_err_set(err, -ENOMEM, "out of memory");
}

/* A strongswan.conf string: quoted, '"' and '\' escaped. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

char *ravpn_radius_conf(const struct ravpn_radius_server *s, size_t n)
{
	char a[TENET_IPV4_STRLEN], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("# written by tenetd (remote-access VPN); do not edit\n"
	      "charon {\n\tplugins {\n\t\teap-radius {\n"
	      "\t\t\tclass_group = yes\n"
	      "\t\t\tretransmit_tries = 3\n"
	      "\t\t\tretransmit_timeout = 2\n"
	      "\t\t\tservers {\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "\t\t\t\ts%zu {\n\t\t\t\t\taddress = %s\n\t\t\t\t\tauth_port = %u\n"
			"\t\t\t\t\tsecret = ", i + 1, tenet_fmt_ipv4(s[i].addr, a), s[i].port);
		quoted(f, s[i].secret);
		fputs("\n\t\t\t\t}\n", f);
	}
	fputs("\t\t\t}\n\t\t}\n\t}\n}\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
