// SPDX-License-Identifier: GPL-2.0
/* The VICI messages of an S2S interface (ipsec_conf.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gw/ipsec_conf.h"

/* Broad enough for common IKEv2 peers (strongSwan, Libreswan, Windows,
 * the usual routers), nothing weaker than AES-128 and SHA-256 or a
 * 2048-bit group. AEAD first. */
static const char *const ike_proposals[] = {
	"aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048",
	"aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048",
};
/* Child SAs: without a key exchange (the first child, rekeys without
 * PFS) and with one (rekeys of peers that want PFS). */
static const char *const esp_proposals[] = {
	"aes128gcm16-aes256gcm16",
	"aes128gcm16-aes256gcm16-x25519-ecp256-ecp384-modp2048",
	"aes128-aes256-sha256-sha384",
	"aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048",
};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *pem_list(const char *pem)
{
	json_t *a = json_array();

	/* A blob may be PEM or DER; charon reads either. */
	json_array_append_new(a, json_stringn_nocheck(pem, strlen(pem)));
	return a;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* 16 hex digits of BLAKE2b of len bytes. */
static void digest(const void *p, size_t len, char out[17])
{
	unsigned char h[8];

	crypto_generichash(h, sizeof(h), p, len, NULL, 0);
	hex(h, sizeof(h), out);
}

static json_t *auth_local(const struct tenet_s2s *s, const struct ipsec_gw *gw)
{
	char a[TENET_IPV4_STRLEN];
	json_t *o;

	if (s->auth == TENET_S2S_PSK) {
		o = json_pack("{s:s}", "auth", "psk");
		/* With a source the identity is that address; without one
		 * charon uses the address the exchange runs on. */
		if (o && s->source)
			json_object_set_new(o, "id", json_string(tenet_fmt_ipv4(s->source, a)));
		return o;
	}
	/* cert and EAP: the gateway proves itself with its certificate. */
	o = json_pack("{s:s}", "auth", "pubkey");
	if (o)
		json_object_set_new(o, "certs", pem_list(gw->cert_pem));
	return o;
}

static json_t *auth_remote(const struct tenet_s2s *s, const struct ipsec_gw *gw)
{
	json_t *o = NULL;

	switch (s->auth) {
	case TENET_S2S_PSK:
		/* The interface is the one whose destination the peer's
		 * address is (remote_addrs); its identity is that address. */
		o = json_pack("{s:s, s:s}", "auth", "psk", "id", s->destination);
		break;
	case TENET_S2S_CERT:
		/* The subject picks the interface; the chain must end at the
		 * provider's root (and nowhere else: only these cacerts). */
		o = json_pack("{s:s, s:s}", "auth", "pubkey", "id", s->peer);
		if (o)
			json_object_set_new(o, "cacerts", pem_list(gw->ca_pem));
		break;
	case TENET_S2S_EAP:
		/* The user name is the identity the peer announces and the
		 * one EAP authenticates: it picks the interface. */
		o = json_pack("{s:s, s:s, s:s}", "auth", "eap-mschapv2", "id", s->peer, "eap_id",
			      s->peer);
		break;
	default:
		break;
	}
	return o;
}

static json_t *child_msg(const struct tenet_s2s *s)
{
	char ifid[16];
	json_t *o;

	snprintf(ifid, sizeof(ifid), "%u", tenet_s2s_ifid(s->id));
	/* 0.0.0.0/0 both ways: route-based, so identical selectors of
	 * different tenants coexist, told apart by if_id; a peer proposing
	 * narrower selectors gets them. A trap dials on demand (not for a
	 * responder, whose routes exist only while connected). */
	o = json_pack("{s:[s], s:[s], s:s, s:s, s:s, s:s, s:s}", "local_ts", "0.0.0.0/0",
		      "remote_ts", "0.0.0.0/0", "if_id_in", ifid, "if_id_out", ifid,
		      "start_action", s->mode == TENET_S2S_RESPONDER ? "none" : "trap",
		      "dpd_action", "clear", "close_action", "none");
	if (o)
		json_object_set_new(o, "esp_proposals",
				    strings(esp_proposals, sizeof(esp_proposals) / sizeof(esp_proposals[0])));
	return o;
}

static int conn_body(const struct tenet_s2s *s, const struct ipsec_gw *gw, const char *child,
		     json_t **out, struct tenet_err *err)
{
	char a[TENET_IPV4_STRLEN], dpd[16];
	json_t *c, *remote;

	*out = NULL;
	if (s->auth != TENET_S2S_PSK && !gw->cert_pem)
		return tenet_err_set(err, -EINVAL, "auth %s needs the gateway's certificate "
				     "(ipsec_cert and ipsec_key in tenetd.conf)",
				     tenet_s2s_auth_name(s->auth));
	if (s->auth == TENET_S2S_CERT && !gw->ca_pem)
		return tenet_err_set(err, -EINVAL, "auth cert needs the provider's root certificate "
				     "(ipsec_ca in tenetd.conf)");
	/* A PSK peer is found by its address only; certificate and EAP peers
	 * by their identity, from wherever they dial (the destination is
	 * where the gateway dials). */
	if (s->auth == TENET_S2S_PSK)
		remote = json_pack("[s]", s->destination);
	else
		remote = json_pack("[s, s]", s->destination, "%any");
	snprintf(dpd, sizeof(dpd), "%us", s->dpd);
	c = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s}", "version", "2", "remote_addrs", remote,
		      "dpd_delay", dpd, "unique", "replace", "keyingtries", "1", "mobike", "no");
	if (!c)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	if (s->source)
		json_object_set_new(c, "local_addrs", json_pack("[s]", tenet_fmt_ipv4(s->source, a)));
	json_object_set_new(c, "proposals",
			    strings(ike_proposals, sizeof(ike_proposals) / sizeof(ike_proposals[0])));
	json_object_set_new(c, "local-1", auth_local(s, gw));
	json_object_set_new(c, "remote-1", auth_remote(s, gw));
	json_object_set_new(c, "children", json_pack("{s:o}", child, child_msg(s)));
	*out = c;
	return 0;
}

int ipsec_child_name(const struct tenet_s2s *s, const struct ipsec_gw *gw,
		     char child[IPSEC_CHILD_LEN], struct tenet_err *err)
{
	char h[17], *text;
	json_t *c;
	int ret = conn_body(s, gw, "net", &c, err);

	if (ret < 0)
		return ret;
	text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	if (!text)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	digest(text, strlen(text), h);
	free(text);
	snprintf(child, IPSEC_CHILD_LEN, "net-%s", h);
	return 0;
}

int ipsec_conn_msg(const struct tenet_s2s *s, const struct ipsec_gw *gw, json_t **out,
		   struct tenet_err *err)
{
	char child[IPSEC_CHILD_LEN], name[TENET_NAME_MAX + 16];
	json_t *c;
	int ret;

	*out = NULL;
	ret = ipsec_child_name(s, gw, child, err);
	if (!ret)
		ret = conn_body(s, gw, child, &c, err);
	if (ret < 0)
		return ret;
	tenet_s2s_conn_name(s->name, name, sizeof(name));
	*out = json_pack("{s:o}", name, c);
	return *out ? 0 : tenet_err_set(err, -ENOMEM, "out of memory");
}

int ipsec_secret_id(const struct tenet_s2s *s, char *buf, size_t len)
{
	char h[17];
	int n;

	digest(s->secret, strlen(s->secret), h);
	n = snprintf(buf, len, TENET_S2S_CONN_PFX "%s-%s", s->name, h);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ipsec_secret_iface(const char *id, char *name, size_t len)
{
	const char *n = tenet_s2s_conn_iface(id), *dash;

	if (!n || !(dash = strrchr(n, '-')) || strlen(dash + 1) != 16 || (size_t)(dash - n) >= len ||
	    dash == n)
		return -EINVAL;
	memcpy(name, n, (size_t)(dash - n));
	name[dash - n] = '\0';
	return 0;
}

json_t *ipsec_shared_msg(const char *id, const struct tenet_s2s *s,
			 const struct tenet_secret *secret)
{
	json_t *o = json_pack("{s:s, s:s}", "id", id, "type",
			      s->auth == TENET_S2S_EAP ? "EAP" : "IKE");

	if (!o)
		return NULL;
	json_object_set_new(o, "data", json_stringn_nocheck((const char *)secret->data,
							    secret->len));
	/* PSK: the peer's address is its identity; EAP: the user name. */
	json_object_set_new(o, "owners", json_pack("[s]", s->auth == TENET_S2S_EAP ? s->peer :
						   s->destination));
	return o;
}
