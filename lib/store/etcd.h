/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the etcd backend (lib/store/etcd*.c): the connection to a
 * cluster through etcd's v3 JSON gateway (libcurl, jansson), shared by
 * the key/value half (etcd.c) and the watch (etcd_watch.c).
 *
 * The gateway speaks etcd's protobuf messages as JSON: keys and values in
 * base64, int64s as strings, fields at their default value (0, false,
 * "") left out. Every call is an HTTP POST of one JSON object to
 * /v3/<service>/<method>; an error comes back as {"error", "code",
 * "message"} with the gRPC code. */
#ifndef TENET_STORE_ETCD_H
#define TENET_STORE_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "store/store_int.h"

/* etcd's defaults (--max-txn-ops, --max-request-bytes): a transaction
 * bigger than either is sent as several. */
#define ETCD_MAX_OPS TENET_TXN_ATOMIC_OPS
#define ETCD_MAX_REQUEST (1536 * 1024)

struct etcd_conf {
	char **endpoints;       /* "http://host:port" (or https) */
	size_t n;
	char *ns;               /* namespace: prepended to every key ("" none) */
	size_t ns_len;
	char *cacert, *cert, *key;
	char *user;
	char *password;         /* read from password-file; zeroed when freed */
	long timeout_ms;        /* one attempt on one endpoint */
	long deadline_ms;       /* a call, retries and failover included */
};

struct etcd {
	struct etcd_conf c;
	CURL *h;                /* unary calls, keeps its connection */
	size_t cur;             /* the endpoint that answered last */
	char *token;            /* auth token (user/password), or NULL */
	char *body;             /* the answer being received */
	size_t body_len, body_cap;
};

/* How a call may be retried. A read can go to any endpoint again; a write
 * only when it certainly did not reach etcd (no connection, or an answer
 * that says it was not proposed). */
#define EC_WRITE 0x1u
/* A big answer (a range page of thousands of keys): etcd builds all of
 * it before sending a byte, so one attempt may take up to the deadline. */
#define EC_SLOW 0x2u

/* What a call says when etcd answers with an error: its gRPC code and
 * message, for the callers that tell "compacted" from "future". */
struct etcd_status {
	int grpc;               /* 0: no etcd error */
	char msg[160];
};

int etcd_conf_parse(const char *location, struct etcd_conf *c, struct tenet_err *err);
void etcd_conf_free(struct etcd_conf *c);

int etcd_init(struct etcd *e, const char *location, struct tenet_err *err);
void etcd_fini(struct etcd *e);

/* POST req to /v3/<path>; *resp is the parsed answer (caller frees). On
 * an etcd error returns its errno (see etcd_http.c) and fills st. */
int etcd_call(struct etcd *e, const char *path, json_t *req, unsigned int flags,
	      json_t **resp, struct etcd_status *st, struct tenet_err *err);

/* A curl handle set up for endpoint i (TLS, auth, timeouts); the watch
 * uses it for its stream. */
int etcd_setup_handle(struct etcd *e, CURL *h, size_t i, struct curl_slist **hdrs,
		      struct tenet_err *err);
int etcd_authenticate(struct etcd *e, struct tenet_err *err);

/* gRPC status -> errno; writes says the request may have been applied. */
int etcd_grpc_errno(int code, const char *msg, bool write, bool *retry);
int etcd_curl_errno(CURLcode rc);

/* base64 of etcd's JSON, with the namespace added to or taken from keys. */
json_t *etcd_b64(const void *p, size_t n);
json_t *etcd_b64_key(const struct etcd *e, const char *key, size_t len);
/* Decodes a base64 string; the result is NUL-terminated (*n without it). */
int etcd_unb64(const json_t *j, char **out, size_t *n);
/* An int64 field (a string, or a number), 0 when absent. */
int64_t etcd_int(const json_t *obj, const char *field);
int64_t etcd_header_rev(const json_t *resp);

/* A key/value of a range or an event into kv (key without the namespace).
 * -EBADMSG for a key outside the namespace or bad base64. */
int etcd_kv(const struct etcd *e, const json_t *j, struct tenet_kv *kv);

/* The key read for the revision and for liveness: NAMESPACE/tenet/, a key
 * nobody writes that lies inside what an operator grants tenet (the
 * /tenet/ prefix of its namespace), so it works with etcd's RBAC. */
#define ETCD_PROBE_KEY "/tenet/"
json_t *etcd_probe_key(const struct etcd *e);

/* The [key, range_end) of a prefix, with the namespace. */
int etcd_prefix_range(const struct etcd *e, const char *prefix, json_t *req);

/* The store's etcd, for the watch. */
struct etcd *etcd_of(struct tenet_store *s);

#endif
