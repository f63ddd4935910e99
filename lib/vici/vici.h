/* SPDX-License-Identifier: GPL-2.0 */
/* A client of strongSwan's VICI protocol (the vici plugin's README in
 * strongSwan's source documents it): how tenetd configures and watches
 * charon. Debian ships libvici.so.0 without a header or a -dev package,
 * and its event API runs callbacks on a thread of its own; the wire format
 * is small and stable, so tenet speaks it directly, on a file descriptor
 * the agent's epoll loop can own.
 *
 * Messages are JSON values here: a VICI section is a JSON object, a
 * key/value pair a string member, a list an array of strings. Values are
 * bytes, not text: a string may hold any byte (certificates, keys) and is
 * made with json_stringn_nocheck; encode sends a string's bytes as they
 * are. Integers and booleans are accepted when encoding, as their decimal
 * text or "yes"/"no", so callers can write {"rekey_time": 3600}.
 *
 * One connection is either for commands or for events: charon interleaves
 * events with command responses on a connection that registered for them,
 * so the agent keeps one of each. Everything returns 0 or a negative
 * errno with one line in err (never a secret: error text quotes names,
 * not values). */
#ifndef TENET_VICI_H
#define TENET_VICI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"

#define VICI_SOCKET_DEFAULT "/var/run/charon.vici"
/* The transport's limit on one segment (the README: 512 KiB). */
#define VICI_SEGMENT_MAX (512u * 1024u)

enum vici_packet {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

enum vici_element {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* ---- the message codec (no I/O; unit-tested byte for byte) ---- */

struct vici_buf {
	uint8_t *data;
	size_t len, cap;
};

void vici_buf_free(struct vici_buf *b);
/* Append msg (a JSON object, or NULL for an empty message) in VICI's
 * element encoding. -EINVAL for what VICI cannot carry (a name over 255
 * bytes, a value over 65535, a nested array, an object inside a list). */
int vici_encode(struct vici_buf *b, const json_t *msg, struct tenet_err *err);
/* Decode a message (the bytes after a packet's type and name) into a new
 * JSON object. -EBADMSG for malformed input. */
int vici_decode(const uint8_t *p, size_t n, json_t **out, struct tenet_err *err);

/* A whole transport segment: the 4-byte length, type, name (for the
 * named packet types) and message. */
int vici_packet_build(struct vici_buf *b, enum vici_packet type, const char *name,
		      const json_t *msg, struct tenet_err *err);
/* Split a segment (without its length prefix): type, name (malloc'd, NULL
 * for unnamed types) and message (NULL for types without one). */
int vici_packet_parse(const uint8_t *p, size_t n, enum vici_packet *type, char **name,
		      json_t **msg, struct tenet_err *err);

/* Zero every string value of msg in place (a message that carried a
 * secret, before it is freed). */
void vici_wipe(json_t *msg);

/* ---- connections ---- */

struct vici_conn;

/* Connect to charon's socket (path NULL: VICI_SOCKET_DEFAULT). timeout_ms
 * bounds every later exchange (charon busy or hung): -ETIMEDOUT. */
int vici_connect(const char *path, int timeout_ms, struct vici_conn **out,
		 struct tenet_err *err);
void vici_close(struct vici_conn *c);
int vici_fd(const struct vici_conn *c);

/* Called for each event a streamed command emits (e.g. list-sas emits
 * "list-sa" events before its response). Non-zero stops the call after
 * the response has been read. */
typedef int (*vici_stream_cb)(void *arg, const json_t *event);

/* Run a command: req may be NULL. stream (may be NULL) names the event
 * the command streams; it is registered for the call and unregistered
 * after. *resp receives the response (caller frees). A response with
 * success = "no" is returned as -EREMOTEIO with its errmsg in err; an
 * unknown command as -EOPNOTSUPP. */
int vici_call(struct vici_conn *c, const char *cmd, const json_t *req, const char *stream,
	      vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err);

/* vici_call's shape, for code that should also run against a fake
 * charon: ctx is whatever the function needs (vici_conn_call: the
 * struct vici_conn). */
typedef int (*vici_call_fn)(void *ctx, const char *cmd, const json_t *req, const char *stream,
			    vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err);
int vici_conn_call(void *conn, const char *cmd, const json_t *req, const char *stream,
		   vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err);

/* Subscribe an events connection to an event ("ike-updown",
 * "child-updown", "child-rekey", ...). */
int vici_subscribe(struct vici_conn *c, const char *event, struct tenet_err *err);
/* Read the next event (blocking up to the connection's timeout; poll
 * vici_fd first to not block). *name and *msg are the caller's. */
int vici_next_event(struct vici_conn *c, char **name, json_t **msg, struct tenet_err *err);

#endif
