// SPDX-License-Identifier: GPL-2.0
/* VICI wire format and client (see vici.h). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <sodium.h>

#include "vici/vici.h"

/* ---- buffer ---- */

void vici_buf_free(struct vici_buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap); /* it may have carried a secret */
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int put(struct vici_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap < b->len + n)
			cap *= 2;
		d = malloc(cap);
		if (!d)
			return -ENOMEM;
		if (b->data) {
			memcpy(d, b->data, b->len);
			sodium_memzero(b->data, b->cap);
			free(b->data);
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int put_u8(struct vici_buf *b, uint8_t v)
{
	return put(b, &v, 1);
}

static int put_name(struct vici_buf *b, const char *name, struct tenet_err *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return tenet_err_set(err, -EINVAL, "vici: name '%.32s' must be 1..255 bytes", name);
	if (put_u8(b, (uint8_t)n) || put(b, name, n))
		return tenet_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* A value's bytes: strings as they are, integers in decimal, booleans as
 * VICI's yes/no. */
static int value_bytes(const json_t *v, const char **p, size_t *n, char tmp[32])
{
	if (json_is_string(v)) {
		*p = json_string_value(v);
		*n = json_string_length(v);
	} else if (json_is_integer(v)) {
		snprintf(tmp, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*p = tmp;
		*n = strlen(tmp);
	} else if (json_is_boolean(v)) {
		*p = json_is_true(v) ? "yes" : "no";
		*n = strlen(*p);
	} else {
		return -EINVAL;
	}
	return *n > 65535 ? -E2BIG : 0;
}

static int put_value(struct vici_buf *b, const json_t *v, const char *name,
		     struct tenet_err *err)
{
	char tmp[32];
	const char *p;
	size_t n;
	uint8_t len[2];
	int ret;

	ret = value_bytes(v, &p, &n, tmp);
	if (ret == -E2BIG)
		return tenet_err_set(err, -EINVAL, "vici: value of %s is over 65535 bytes", name);
	if (ret < 0)
		return tenet_err_set(err, -EINVAL, "vici: %s: not a string, integer or boolean",
				     name);
	len[0] = (uint8_t)(n >> 8);
	len[1] = (uint8_t)n;
	if (put(b, len, 2) || put(b, p, n))
		return tenet_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int encode_members(struct vici_buf *b, const json_t *obj, struct tenet_err *err);

static int encode_member(struct vici_buf *b, const char *name, const json_t *v,
			 struct tenet_err *err)
{
	size_t i;
	json_t *item;
	int ret;

	if (json_is_object(v)) {
		if (put_u8(b, VICI_SECTION_START))
			return tenet_err_set(err, -ENOMEM, "out of memory");
		ret = put_name(b, name, err);
		if (!ret)
			ret = encode_members(b, v, err);
		if (!ret && put_u8(b, VICI_SECTION_END))
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
		return ret;
	}
	if (json_is_array(v)) {
		if (put_u8(b, VICI_LIST_START))
			return tenet_err_set(err, -ENOMEM, "out of memory");
		ret = put_name(b, name, err);
		json_array_foreach(v, i, item) {
			if (ret)
				break;
			if (json_is_object(item) || json_is_array(item))
				return tenet_err_set(err, -EINVAL,
						     "vici: list %s may hold values only", name);
			if (put_u8(b, VICI_LIST_ITEM))
				return tenet_err_set(err, -ENOMEM, "out of memory");
			ret = put_value(b, item, name, err);
		}
		if (!ret && put_u8(b, VICI_LIST_END))
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
		return ret;
	}
	if (put_u8(b, VICI_KEY_VALUE))
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = put_name(b, name, err);
	return ret ? ret : put_value(b, v, name, err);
}

/* Members in insertion order: charon reads some sections in order
 * (proposals, the order of auth rounds local/local-2). */
static int encode_members(struct vici_buf *b, const json_t *obj, struct tenet_err *err)
{
	const char *name;
	json_t *v;
	int ret = 0;

	json_object_foreach((json_t *)obj, name, v) {
		ret = encode_member(b, name, v, err);
		if (ret)
			break;
	}
	return ret;
}

int vici_encode(struct vici_buf *b, const json_t *msg, struct tenet_err *err)
{
	if (!msg)
		return 0;
	if (!json_is_object(msg))
		return tenet_err_set(err, -EINVAL, "vici: a message is an object");
	return encode_members(b, msg, err);
}

/* ---- decoding ---- */

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->off + 1 > r->n)
		return -EBADMSG;
	*v = r->p[r->off++];
	return 0;
}

/* A name into buf (NUL-terminated). */
static int rd_name(struct rd *r, char buf[256])
{
	uint8_t n;

	if (rd_u8(r, &n) || n == 0 || r->off + n > r->n)
		return -EBADMSG;
	memcpy(buf, r->p + r->off, n);
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		return -EBADMSG;
	r->off += n;
	return 0;
}

static json_t *rd_value(struct rd *r)
{
	size_t n;

	if (r->off + 2 > r->n)
		return NULL;
	n = (size_t)r->p[r->off] << 8 | r->p[r->off + 1];
	r->off += 2;
	if (r->off + n > r->n)
		return NULL;
	r->off += n;
	return json_stringn_nocheck((const char *)r->p + r->off - n, n);
}

/* VICI does not forbid a repeated name; the later one wins, as in the
 * Python and Go clients. */
int vici_decode(const uint8_t *p, size_t n, json_t **out, struct tenet_err *err)
{
	/* Sections nest; charon's messages stay far below this depth. */
	enum { DEPTH = 32 };
	json_t *stack[DEPTH];
	json_t *list = NULL;
	struct rd r = { .p = p, .n = n };
	char name[256];
	int depth = 0;
	uint8_t t;

	stack[0] = json_object();
	if (!stack[0])
		return tenet_err_set(err, -ENOMEM, "out of memory");
	while (r.off < r.n) {
		json_t *v;

		if (rd_u8(&r, &t))
			goto bad;
		if (list && t != VICI_LIST_ITEM && t != VICI_LIST_END)
			goto bad;
		switch (t) {
		case VICI_SECTION_START:
			if (rd_name(&r, name) || depth + 1 >= DEPTH)
				goto bad;
			v = json_object();
			if (!v || json_object_set_new(stack[depth], name, v))
				goto nomem;
			stack[++depth] = v;
			break;
		case VICI_SECTION_END:
			if (depth == 0)
				goto bad;
			depth--;
			break;
		case VICI_KEY_VALUE:
			if (rd_name(&r, name))
				goto bad;
			v = rd_value(&r);
			if (!v)
				goto bad;
			if (json_object_set_new(stack[depth], name, v))
				goto nomem;
			break;
		case VICI_LIST_START:
			if (rd_name(&r, name))
				goto bad;
			list = json_array();
			if (!list || json_object_set_new(stack[depth], name, list))
				goto nomem;
			break;
		case VICI_LIST_ITEM:
			if (!list)
				goto bad;
			v = rd_value(&r);
			if (!v)
				goto bad;
			if (json_array_append_new(list, v))
				goto nomem;
			break;
		case VICI_LIST_END:
			if (!list)
				goto bad;
			list = NULL;
			break;
		default:
			goto bad;
		}
	}
	if (depth || list)
		goto bad;
	*out = stack[0];
	return 0;
bad:
	json_decref(stack[0]);
	return tenet_err_set(err, -EBADMSG, "vici: malformed message at byte %zu of %zu", r.off,
			     n);
nomem:
	json_decref(stack[0]);
	return tenet_err_set(err, -ENOMEM, "out of memory");
}

static bool named(enum vici_packet t)
{
	return t == VICI_CMD_REQUEST || t == VICI_EVENT_REGISTER || t == VICI_EVENT_UNREGISTER ||
	       t == VICI_EVENT;
}

static bool has_message(enum vici_packet t)
{
	return t == VICI_CMD_REQUEST || t == VICI_CMD_RESPONSE || t == VICI_EVENT;
}

int vici_packet_build(struct vici_buf *b, enum vici_packet type, const char *name,
		      const json_t *msg, struct tenet_err *err)
{
	size_t start = b->len, len;
	uint8_t hdr[4] = { 0 };
	int ret;

	if (put(b, hdr, 4) || put_u8(b, (uint8_t)type))
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = named(type) ? put_name(b, name ? name : "", err) : 0;
	if (!ret && has_message(type))
		ret = vici_encode(b, msg, err);
	if (ret)
		return ret;
	len = b->len - start - 4;
	if (len > VICI_SEGMENT_MAX)
		return tenet_err_set(err, -E2BIG, "vici: message of %zu bytes over the %u limit",
				     len, VICI_SEGMENT_MAX);
	b->data[start] = (uint8_t)(len >> 24);
	b->data[start + 1] = (uint8_t)(len >> 16);
	b->data[start + 2] = (uint8_t)(len >> 8);
	b->data[start + 3] = (uint8_t)len;
	return 0;
}

int vici_packet_parse(const uint8_t *p, size_t n, enum vici_packet *type, char **name,
		      json_t **msg, struct tenet_err *err)
{
	struct rd r = { .p = p, .n = n };
	char nm[256];
	uint8_t t;
	int ret;

	*name = NULL;
	*msg = NULL;
	if (rd_u8(&r, &t) || t > VICI_EVENT)
		return tenet_err_set(err, -EBADMSG, "vici: unknown packet type");
	*type = (enum vici_packet)t;
	if (named(*type)) {
		if (rd_name(&r, nm))
			return tenet_err_set(err, -EBADMSG, "vici: packet without a name");
		*name = strdup(nm);
		if (!*name)
			return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	if (!has_message(*type))
		return r.off == n ? 0 : tenet_err_set(err, -EBADMSG, "vici: trailing bytes");
	ret = vici_decode(p + r.off, n - r.off, msg, err);
	if (ret) {
		free(*name);
		*name = NULL;
	}
	return ret;
}

void vici_wipe(json_t *msg)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(msg)) {
		/* jansson owns the bytes; they are ours to clear before the
		 * free (the value is never read again). */
		sodium_memzero((char *)json_string_value(msg), json_string_length(msg));
	} else if (json_is_object(msg)) {
		json_object_foreach(msg, k, v)
			vici_wipe(v);
	} else if (json_is_array(msg)) {
		json_array_foreach(msg, i, v)
			vici_wipe(v);
	}
}

/* ---- connections ---- */

struct vici_conn {
	int fd;
	int timeout_ms;
};

int vici_connect(const char *path, int timeout_ms, struct vici_conn **out,
		 struct tenet_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vici_conn *c;
	int ret;

	if (!path)
		path = VICI_SOCKET_DEFAULT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return tenet_err_set(err, -ENAMETOOLONG, "vici: socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		tenet_err_set(err, ret, "vici: cannot connect to %s: %s", path, strerror(-ret));
		vici_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void vici_close(struct vici_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int vici_fd(const struct vici_conn *c)
{
	return c->fd;
}

static int wait_io(struct vici_conn *c, short events, struct tenet_err *err)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tenet_err_set(err, -errno, "vici: poll: %s", strerror(errno));
	if (n == 0)
		return tenet_err_set(err, -ETIMEDOUT, "vici: charon did not answer within %d ms",
				     c->timeout_ms);
	return 0;
}

static int send_all(struct vici_conn *c, const uint8_t *p, size_t n, struct tenet_err *err)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int ret = wait_io(c, POLLOUT, err);

			if (ret)
				return ret;
			continue;
		}
		if (w < 0)
			return tenet_err_set(err, -errno, "vici: send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(struct vici_conn *c, uint8_t *p, size_t n, struct tenet_err *err)
{
	while (n) {
		ssize_t r = recv(c->fd, p, n, MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			int ret = wait_io(c, POLLIN, err);

			if (ret)
				return ret;
			continue;
		}
		if (r == 0)
			return tenet_err_set(err, -ECONNRESET, "vici: charon closed the connection");
		if (r < 0)
			return tenet_err_set(err, -errno, "vici: recv: %s", strerror(errno));
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_packet(struct vici_conn *c, enum vici_packet type, const char *name,
		       const json_t *msg, struct tenet_err *err)
{
	struct vici_buf b = { 0 };
	int ret;

	ret = vici_packet_build(&b, type, name, msg, err);
	if (!ret)
		ret = send_all(c, b.data, b.len, err);
	vici_buf_free(&b);
	return ret;
}

static int recv_packet(struct vici_conn *c, enum vici_packet *type, char **name, json_t **msg,
		       struct tenet_err *err)
{
	uint8_t hdr[4], *body;
	size_t len;
	int ret;

	ret = recv_all(c, hdr, 4, err);
	if (ret)
		return ret;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > VICI_SEGMENT_MAX)
		return tenet_err_set(err, -EBADMSG, "vici: segment of %zu bytes", len);
	body = malloc(len);
	if (!body)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = recv_all(c, body, len, err);
	if (!ret)
		ret = vici_packet_parse(body, len, type, name, msg, err);
	sodium_memzero(body, len);
	free(body);
	return ret;
}

/* (Un)register for an event and wait for charon's confirmation. Events of
 * a streamed command may already arrive before an unregister is
 * confirmed; they are dropped. */
static int event_reg(struct vici_conn *c, enum vici_packet type, const char *event,
		     struct tenet_err *err)
{
	enum vici_packet t;
	char *name;
	json_t *msg;
	int ret;

	ret = send_packet(c, type, event, NULL, err);
	for (;;) {
		if (ret)
			return ret;
		ret = recv_packet(c, &t, &name, &msg, err);
		if (ret)
			return ret;
		free(name);
		json_decref(msg);
		if (t == VICI_EVENT_CONFIRM)
			return 0;
		if (t == VICI_EVENT_UNKNOWN)
			return tenet_err_set(err, -EOPNOTSUPP, "vici: charon has no event '%s'",
					     event);
		if (t != VICI_EVENT)
			return tenet_err_set(err, -EPROTO, "vici: unexpected packet %d", t);
	}
}

int vici_subscribe(struct vici_conn *c, const char *event, struct tenet_err *err)
{
	return event_reg(c, VICI_EVENT_REGISTER, event, err);
}

/* success = "no" in a response: the command failed on charon's side. */
static int check_success(const char *cmd, const json_t *resp, struct tenet_err *err)
{
	const char *ok = json_string_value(json_object_get(resp, "success"));
	const char *msg = json_string_value(json_object_get(resp, "errmsg"));

	if (!ok || strcmp(ok, "no"))
		return 0;
	return tenet_err_set(err, -EREMOTEIO, "vici: %s failed: %s", cmd,
			     msg && *msg ? msg : "no reason given");
}

int vici_call(struct vici_conn *c, const char *cmd, const json_t *req, const char *stream,
	      vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err)
{
	enum vici_packet t;
	json_t *msg = NULL;
	char *name = NULL;
	bool stop = false;
	int ret;

	*resp = NULL;
	if (stream) {
		ret = vici_subscribe(c, stream, err);
		if (ret)
			return ret;
	}
	ret = send_packet(c, VICI_CMD_REQUEST, cmd, req, err);
	while (!ret) {
		ret = recv_packet(c, &t, &name, &msg, err);
		if (ret)
			break;
		if (t == VICI_EVENT && stream && !strcmp(name, stream)) {
			if (!stop && cb)
				stop = cb(arg, msg) != 0;
		} else if (t == VICI_CMD_RESPONSE) {
			*resp = msg;
			msg = NULL;
			free(name);
			break;
		} else if (t == VICI_CMD_UNKNOWN) {
			ret = tenet_err_set(err, -EOPNOTSUPP, "vici: charon has no command '%s'",
					    cmd);
		} else if (t != VICI_EVENT) {
			ret = tenet_err_set(err, -EPROTO, "vici: unexpected packet %d", t);
		}
		json_decref(msg);
		msg = NULL;
		free(name);
		name = NULL;
	}
	if (stream) {
		struct tenet_err uerr;
		int uret = event_reg(c, VICI_EVENT_UNREGISTER, stream, &uerr);

		if (!ret && uret) {
			ret = uret;
			if (err)
				*err = uerr;
		}
	}
	if (!ret)
		ret = check_success(cmd, *resp, err);
	if (ret) {
		json_decref(*resp);
		*resp = NULL;
	}
	return ret;
}

int vici_next_event(struct vici_conn *c, char **name, json_t **msg, struct tenet_err *err)
{
	enum vici_packet t;
	int ret;

	for (;;) {
		ret = recv_packet(c, &t, name, msg, err);
		if (ret)
			return ret;
		if (t == VICI_EVENT)
			return 0;
		free(*name);
		json_decref(*msg);
		*name = NULL;
		*msg = NULL;
		if (t != VICI_EVENT_CONFIRM)
			return tenet_err_set(err, -EPROTO, "vici: unexpected packet %d", t);
	}
}

int vici_conn_call(void *conn, const char *cmd, const json_t *req, const char *stream,
		   vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err)
{
	return vici_call(conn, cmd, req, stream, cb, arg, resp, err);
}
