// SPDX-License-Identifier: GPL-2.0
/* The etcd backend's watch: one streaming POST to /v3/watch, read without
 * blocking through a curl multi handle, so the watch has one fd for the
 * agent's poll loop.
 *
 * The gateway answers a watch with newline-separated JSON objects:
 * {"result": WatchResponse} (created; events; progress; canceled, with
 * compact_revision when the start was compacted) or {"error": ...}. etcd
 * sends a revision's events in one response (we do not ask for
 * fragments), so every response is whole revisions.
 *
 * The fd is an epoll set holding curl's sockets and two timerfds (curl's
 * own timer, and ours for reconnecting and probing): readable whenever
 * there is something for tenet_watch_next to do.
 *
 * Failover: when the stream ends (the member died, lost its leader: we
 * send "hasleader" so etcd ends watches on a member without one), the
 * watch opens a new stream on the next endpoint from the first revision
 * it has not received, so nothing is lost or delivered twice. A stream
 * that has been quiet for a while is checked with a small read on the
 * same member (a stopped process keeps its TCP connections open); if the
 * member does not answer, the stream moves on. When no member answers,
 * tenet_watch_next returns the error once per round (UNAVAILABLE) and the
 * watch keeps trying, its fd waking the caller for each attempt. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "store/etcd.h"

/* A quiet stream is checked after this long. */
#define PROBE_IDLE_MS 5000
/* After every member failed once, the next round waits this long. */
#define RETRY_MS 1000

struct ew {
	struct etcd *e;
	struct tenet_watch *w;
	CURLM *m;
	CURL *h;                /* the stream, NULL when there is none */
	CURL *probe;            /* a liveness read on the stream's member */
	struct curl_slist *hdrs, *probe_hdrs;
	size_t ep;              /* the stream's endpoint */
	int epfd, ctfd, rtfd;   /* epoll set; curl's timer; reconnect/probe timer */
	bool curl_due;          /* curl asked to be called now */
	char *buf;              /* stream bytes not yet parsed */
	size_t len, cap;
	struct tenet_watch_event *ev;   /* received, not yet handed out */
	size_t n, cap_ev;
	int64_t ready;          /* everything up to here received (0: nothing) */
	bool created;
	int pending;            /* an error to hand out */
	struct tenet_err perr;
	bool stale;             /* -ESTALE is final */
	int64_t last_data;      /* the stream's last sign of life */
	int64_t retry_at;       /* no new stream before this */
	size_t fails;           /* endpoints failed in a row */
	char probe_body[512];   /* the probe's request */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void arm(int tfd, long ms)
{
	struct itimerspec its = { 0 };

	if (ms >= 0) {
		/* 0 would disarm: "now" is one nanosecond. */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000L + 1;
	}
	timerfd_settime(tfd, 0, &its, NULL);
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

/* ---- curl's callbacks: sockets into the epoll set, its timer ---- */

static int on_socket(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct ew *ew = arg;
	struct epoll_event ev = { .data.fd = fd };

	(void)h;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(ew->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(ew->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		epoll_ctl(ew->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *arg)
{
	struct ew *ew = arg;

	(void)m;
	ew->curl_due = ms == 0;
	arm(ew->ctfd, ms);
	return 0;
}

/* ---- the stream's answers ---- */

static int add_event(struct ew *ew, const json_t *j)
{
	struct tenet_watch_event *ev;
	int ret;

	if (ew->n == ew->cap_ev) {
		size_t cap = ew->cap_ev ? ew->cap_ev * 2 : 64;
		struct tenet_watch_event *p = realloc(ew->ev, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ew->ev = p;
		ew->cap_ev = cap;
	}
	ev = &ew->ev[ew->n];
	ret = etcd_kv(ew->e, json_object_get(j, "kv"), &ev->kv);
	if (ret < 0)
		return ret;
	if (json_is_string(json_object_get(j, "type")) &&
	    !strcmp(json_string_value(json_object_get(j, "type")), "DELETE")) {
		ev->type = TENET_WATCH_DELETE;
		free(ev->kv.value);
		ev->kv.value = NULL;
		ev->kv.value_len = 0;
		ev->kv.create_rev = 0;
		ev->kv.version = 0;
	} else {
		ev->type = TENET_WATCH_PUT;
	}
	ew->n++;
	return 0;
}

static void set_pending(struct ew *ew, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_pending(struct ew *ew, int code, const char *fmt, ...)
{
	va_list ap;

	if (ew->pending)
		return;
	ew->pending = code;
	ew->perr.code = code;
	va_start(ap, fmt);
	vsnprintf(ew->perr.msg, sizeof(ew->perr.msg), fmt, ap);
	va_end(ap);
}

/* One object of the stream. */
static void on_message(struct ew *ew, const char *line, size_t len)
{
	const char *ep = strstr(ew->e->c.endpoints[ew->ep], "://") + 3;
	json_t *j = json_loadb(line, len, 0, NULL), *r, *evs;
	size_t i;

	if (!j) {
		set_pending(ew, -EPROTO, "etcd %s: watch: not JSON (%zu bytes)", ep, len);
		return;
	}
	r = json_object_get(j, "result");
	if (!r) {
		json_t *e = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(e ? e : j, "message"));
		bool retry;
		int code = etcd_grpc_errno((int)json_integer_value(json_object_get(e ? e : j, "code")),
					   msg ?: "", false, &retry);

		/* A member without a leader, or going away: another one. */
		if (!retry)
			set_pending(ew, code, "etcd %s: watch: %s", ep, msg ?: "error");
		json_decref(j);
		return;
	}
	ew->last_data = now_ms();
	if (json_is_true(json_object_get(r, "created")))
		ew->created = true;
	if (json_is_true(json_object_get(r, "canceled"))) {
		int64_t compact = etcd_int(r, "compact_revision");
		const char *why = json_string_value(json_object_get(r, "cancel_reason"));
		int64_t from = ew->ready ? ew->ready + 1 : ew->w->next_rev;

		if (compact) {
			ew->stale = true;
			ew->pending = 0;
			set_pending(ew, -ESTALE, "etcd %s: watch at %lld: compacted up to %lld (resync)",
				    ep, (long long)from, (long long)compact);
		} else {
			set_pending(ew, why && strstr(why, "permission") ? -EACCES : -EIO,
				    "etcd %s: watch canceled: %s", ep, why ?: "no reason given");
		}
		json_decref(j);
		return;
	}
	evs = json_object_get(r, "events");
	for (i = 0; i < json_array_size(evs); i++) {
		if (add_event(ew, json_array_get(evs, i)) < 0) {
			set_pending(ew, -EBADMSG, "etcd %s: watch: a bad event", ep);
			break;
		}
	}
	if (ew->n) {
		int64_t last = ew->ev[ew->n - 1].kv.mod_rev;

		if (last > ew->ready)
			ew->ready = last;
	} else if (!i && !json_is_true(json_object_get(r, "created"))) {
		/* A progress notification: everything up to its revision. */
		int64_t rev = etcd_header_rev(r);

		if (rev >= ew->w->next_rev && rev > ew->ready)
			ew->ready = rev;
	}
	json_decref(j);
}

static size_t on_stream(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ew *ew = arg;
	size_t len = size * nmemb, start = 0;
	char *nl;

	if (ew->len + len > ew->cap) {
		size_t cap = ew->cap ? ew->cap : 65536;
		char *b;

		while (cap < ew->len + len)
			cap *= 2;
		b = realloc(ew->buf, cap);
		if (!b)
			return 0;
		ew->buf = b;
		ew->cap = cap;
	}
	memcpy(ew->buf + ew->len, p, len);
	ew->len += len;
	ew->last_data = now_ms();
	while ((nl = memchr(ew->buf + start, '\n', ew->len - start))) {
		size_t l = (size_t)(nl - (ew->buf + start));

		if (l)
			on_message(ew, ew->buf + start, l);
		start += l + 1;
	}
	memmove(ew->buf, ew->buf + start, ew->len - start);
	ew->len -= start;
	return len;
}

/* ---- streams ---- */

static void stop_probe(struct ew *ew)
{
	if (!ew->probe)
		return;
	curl_multi_remove_handle(ew->m, ew->probe);
	curl_easy_cleanup(ew->probe);
	ew->probe = NULL;
}

static void stop_stream(struct ew *ew)
{
	stop_probe(ew);
	if (!ew->h)
		return;
	curl_multi_remove_handle(ew->m, ew->h);
	curl_easy_cleanup(ew->h);
	ew->h = NULL;
	ew->len = 0;
	ew->created = false;
}

static int start_stream(struct ew *ew, struct tenet_err *err)
{
	int64_t from = ew->ready ? ew->ready + 1 : ew->w->next_rev;
	char url[512];
	json_t *req, *cr;
	char *body;
	int ret;

	cr = json_object();
	if (!cr || etcd_prefix_range(ew->e, ew->w->prefix, cr) < 0 ||
	    json_object_set_new(cr, "start_revision", json_integer(from)) < 0 ||
	    json_object_set_new(cr, "progress_notify", json_true()) < 0) {
		json_decref(cr);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	req = json_pack("{s:o}", "create_request", cr);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	ew->h = curl_easy_init();
	if (!body || !ew->h) {
		free(body);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	ew->ep = ew->e->cur;
	ret = etcd_setup_handle(ew->e, ew->h, ew->ep, &ew->hdrs, err);
	if (ret < 0) {
		free(body);
		stop_stream(ew);
		return ret;
	}
	snprintf(url, sizeof(url), "%s/v3/watch", ew->e->c.endpoints[ew->ep]);
	curl_easy_setopt(ew->h, CURLOPT_URL, url);
	curl_easy_setopt(ew->h, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(ew->h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(ew->h, CURLOPT_WRITEDATA, ew);
	free(body);
	ew->len = 0;
	ew->created = false;
	ew->last_data = now_ms();
	if (curl_multi_add_handle(ew->m, ew->h) != CURLM_OK) {
		stop_stream(ew);
		return tenet_err_set(err, -ENOMEM, "curl: cannot add the watch stream");
	}
	arm(ew->rtfd, PROBE_IDLE_MS);
	return 0;
}

static void start_probe(struct ew *ew)
{
	char url[512];

	ew->probe = curl_easy_init();
	if (!ew->probe || etcd_setup_handle(ew->e, ew->probe, ew->ep, &ew->probe_hdrs, NULL) < 0) {
		stop_probe(ew);
		return;
	}
	snprintf(url, sizeof(url), "%s/v3/kv/range", ew->e->c.endpoints[ew->ep]);
	curl_easy_setopt(ew->probe, CURLOPT_URL, url);
	curl_easy_setopt(ew->probe, CURLOPT_POSTFIELDS, ew->probe_body);
	curl_easy_setopt(ew->probe, CURLOPT_TIMEOUT_MS, ew->e->c.timeout_ms);
	curl_easy_setopt(ew->probe, CURLOPT_WRITEFUNCTION, NULL);
	if (curl_multi_add_handle(ew->m, ew->probe) != CURLM_OK)
		stop_probe(ew);
}

/* The stream's member failed: the next one, at once unless every member
 * failed in a row (then after RETRY_MS, and the caller hears of it). */
static void stream_failed(struct ew *ew, const char *why)
{
	const char *ep = strstr(ew->e->c.endpoints[ew->ep], "://") + 3;

	stop_stream(ew);
	if (ew->e->cur == ew->ep)
		ew->e->cur = (ew->e->cur + 1) % ew->e->c.n;
	if (++ew->fails < ew->e->c.n) {
		ew->retry_at = 0;
		arm(ew->rtfd, 0);
		return;
	}
	ew->fails = 0;
	ew->retry_at = now_ms() + RETRY_MS;
	arm(ew->rtfd, RETRY_MS);
	set_pending(ew, -ECONNREFUSED, "etcd: watch: no member answers (last %s: %s)", ep, why);
}

static void check_done(struct ew *ew)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ew->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (msg->easy_handle == ew->probe) {
			long code = 0;
			CURLcode rc = msg->data.result;

			curl_easy_getinfo(ew->probe, CURLINFO_RESPONSE_CODE, &code);
			stop_probe(ew);
			if (rc == CURLE_OK && code == 200) {
				ew->last_data = now_ms();
				arm(ew->rtfd, PROBE_IDLE_MS);
			} else {
				stream_failed(ew, rc != CURLE_OK ? curl_easy_strerror(rc)
							       : "no leader");
			}
			return;
		}
		if (msg->easy_handle == ew->h) {
			CURLcode rc = msg->data.result;
			bool was_created = ew->created;

			if (ew->stale || (ew->pending && ew->pending != -EAGAIN &&
					  ew->pending != -ECONNREFUSED)) {
				stop_stream(ew);
				return;
			}
			if (was_created)
				ew->fails = 0;
			stream_failed(ew, rc != CURLE_OK ? curl_easy_strerror(rc) : "stream ended");
			return;
		}
	}
}

/* One round of I/O: whatever is ready now, or within wait_ms. */
static int pump(struct ew *ew, int wait_ms, struct tenet_err *err)
{
	struct epoll_event evs[8];
	int n, i, running;

	if (ew->curl_due) {
		ew->curl_due = false;
		curl_multi_socket_action(ew->m, CURL_SOCKET_TIMEOUT, 0, &running);
		check_done(ew);
		wait_ms = 0;
	}
	n = epoll_wait(ew->epfd, evs, 8, wait_ms);
	if (n < 0 && errno != EINTR)
		return tenet_err_set(err, -errno, "etcd: watch: epoll: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		if (fd == ew->ctfd) {
			drain(fd);
			curl_multi_socket_action(ew->m, CURL_SOCKET_TIMEOUT, 0, &running);
		} else if (fd == ew->rtfd) {
			drain(fd);
			if (!ew->h && !ew->stale && now_ms() >= ew->retry_at) {
				int ret = start_stream(ew, err);

				if (ret < 0)
					return ret;
			} else if (ew->h && !ew->probe) {
				if (now_ms() - ew->last_data >= PROBE_IDLE_MS - 10)
					start_probe(ew);
				else
					arm(ew->rtfd, PROBE_IDLE_MS - (now_ms() - ew->last_data));
			}
		} else {
			int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
				   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
				   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

			curl_multi_socket_action(ew->m, fd, mask, &running);
		}
		check_done(ew);
	}
	return 0;
}

/* Hands out what was received: whole revisions, then the position. */
static void hand_out(struct ew *ew, struct tenet_watch *w, struct tenet_watch_batch *out)
{
	out->events = ew->ev;
	out->n = ew->n;
	out->rev = ew->ready;
	ew->ev = NULL;
	ew->n = ew->cap_ev = 0;
	w->next_rev = ew->ready + 1;
}

int etcd_watch_next(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
		    struct tenet_err *err)
{
	struct ew *ew = w->priv;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	bool looked = false;
	int ret;

	for (;;) {
		if (ew->n || ew->ready >= w->next_rev) {
			hand_out(ew, w, out);
			return 0;
		}
		if (ew->pending) {
			ret = ew->pending;
			if (err)
				*err = ew->perr;
			if (!ew->stale)
				ew->pending = 0;
			return ret;
		}
		if (looked && timeout_ms >= 0 && now_ms() >= deadline)
			return 0;
		if (!ew->h && now_ms() >= ew->retry_at) {
			ret = start_stream(ew, err);
			if (ret < 0)
				return ret;
		}
		int64_t left = deadline - now_ms();
		int wait = timeout_ms < 0 ? 1000 : !looked ? 0 : left > 1000 ? 1000 : (int)left;

		ret = pump(ew, wait < 0 ? 0 : wait, err);
		if (ret < 0)
			return ret;
		looked = true;
	}
}

/* Following: a stream etcd confirmed, not given up on by a probe. Between
 * the loss of one and the confirmation of the next it is not. */
int etcd_watch_live(const struct tenet_watch *w)
{
	const struct ew *ew = w->priv;

	return ew->h && ew->created && !ew->stale;
}

int etcd_watch_fd(const struct tenet_watch *w)
{
	return ((const struct ew *)w->priv)->epfd;
}

void etcd_watch_close(struct tenet_watch *w)
{
	struct ew *ew = w->priv;

	if (!ew)
		return;
	stop_stream(ew);
	if (ew->m)
		curl_multi_cleanup(ew->m);
	curl_slist_free_all(ew->hdrs);
	curl_slist_free_all(ew->probe_hdrs);
	for (size_t i = 0; i < ew->n; i++)
		tenet_kv_clear(&ew->ev[i].kv);
	free(ew->ev);
	free(ew->buf);
	if (ew->epfd >= 0)
		close(ew->epfd);
	if (ew->ctfd >= 0)
		close(ew->ctfd);
	if (ew->rtfd >= 0)
		close(ew->rtfd);
	free(ew);
	w->priv = NULL;
}

/* The start revision must not be compacted: a read at that revision says
 * so at once (the stream would say it too, but later). A revision in the
 * future is fine. */
static int check_start(struct ew *ew, struct tenet_err *err)
{
	struct etcd_status st;
	json_t *req, *resp = NULL;
	int ret;

	req = json_pack("{s:o, s:b, s:I}", "key", etcd_probe_key(ew->e), "count_only", 1, "revision",
			(json_int_t)ew->w->next_rev);
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(ew->e, "kv/range", req, 0, &resp, &st, err);
	json_decref(req);
	json_decref(resp);
	if (ret == -ESTALE)
		return tenet_err_set(err, -ESTALE, "watch from %lld: compacted (resync)",
				     (long long)ew->w->next_rev);
	if (ret == -EINVAL && strstr(st.msg, "future")) {
		tenet_err_clear(err);
		return 0;
	}
	return ret;
}

int etcd_watch_open(struct tenet_watch *w, struct tenet_err *err)
{
	struct ew *ew = calloc(1, sizeof(*ew));
	struct epoll_event ev = { .events = EPOLLIN };
	int64_t deadline;
	int ret;

	if (!ew)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	w->priv = ew;
	ew->w = w;
	ew->e = etcd_of(w->s);
	ew->epfd = epoll_create1(EPOLL_CLOEXEC);
	ew->ctfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ew->rtfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ew->m = curl_multi_init();
	if (ew->epfd < 0 || ew->ctfd < 0 || ew->rtfd < 0 || !ew->m) {
		ret = tenet_err_set(err, -ENOMEM, "etcd: watch: cannot set up its fds");
		goto out;
	}
	ev.data.fd = ew->ctfd;
	epoll_ctl(ew->epfd, EPOLL_CTL_ADD, ew->ctfd, &ev);
	ev.data.fd = ew->rtfd;
	epoll_ctl(ew->epfd, EPOLL_CTL_ADD, ew->rtfd, &ev);
	curl_multi_setopt(ew->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(ew->m, CURLMOPT_SOCKETDATA, ew);
	curl_multi_setopt(ew->m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(ew->m, CURLMOPT_TIMERDATA, ew);
	{
		json_t *k = etcd_probe_key(ew->e);

		snprintf(ew->probe_body, sizeof(ew->probe_body), "{\"key\":\"%s\",\"count_only\":true}",
			 json_string_value(k) ?: "");
		json_decref(k);
	}
	ret = check_start(ew, err);
	if (ret < 0)
		goto out;
	ret = start_stream(ew, err);
	if (ret < 0)
		goto out;
	/* Wait for etcd to confirm the watch, so that a change committed
	 * after tenet_watch_open returns is seen by a stream that exists. */
	deadline = now_ms() + ew->e->c.deadline_ms;
	while (!ew->created && !ew->pending && now_ms() < deadline) {
		ret = pump(ew, 100, err);
		if (ret < 0)
			goto out;
	}
	if (ew->stale || (!ew->created && ew->pending)) {
		ret = ew->pending;
		if (err)
			*err = ew->perr;
		goto out;
	}
	ret = 0;
out:
	if (ret < 0) {
		etcd_watch_close(w);
		w->priv = NULL;
	}
	return ret;
}
