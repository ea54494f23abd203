/* server.c - monitor endpoints, client connections and events; see
 * server.h.
 *
 * Every endpoint (listening socket or stdio) and every client is a watch
 * in the main loop.  A client's input is read when the loop says it is
 * readable, cut into messages (QMP) or lines (HMP), and each one is
 * answered at once; answers and events are queued on the client and
 * written when the loop says the peer can take them.  Nothing here waits
 * for a peer, except monitors_wait_clients() before the guest starts
 * (QEMU's wait=on) and monitors_flush() at exit, with a deadline.
 */
#include "qmp/server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp/hmp.h"
#include "qmp/stream.h"
#include "util/buf.h"

struct endpoint {
	const struct config_monitor *cfg;
	const char *opt; /* "-qmp" or "-monitor", for messages */
	int fd;		 /* listening socket; -1 for stdio */
	bool created;	 /* kvmem made the unix socket file: remove it at exit */
	bool waiting;	 /* wait=on and no client yet */
	bool paused;	 /* out of fds: the listener is not watched (accept_backoff) */
	struct monitors *ms;
};

struct client {
	struct monitors *ms;
	enum monitor_mode mode;
	int in_fd, out_fd; /* the same socket, or stdin and stdout */
	bool is_stdio;
	bool out_pollable;  /* false for a regular file: write it directly */
	uint32_t in_events; /* what the loop watches now */
	uint32_t out_events;
	bool attached;
	bool eof;     /* the peer sent all it will send */
	bool closing; /* close once the output is delivered */
	bool closed;  /* off the list and the loop; freed by reap() */
	struct qmp_session session;
	struct json_stream stream; /* QMP input */
	struct buf line;	   /* HMP input line */
	bool skipping_line;	   /* HMP: a line too long, skipped to its end */
	struct buf out;
	struct client *next;
};

struct monitors {
	const struct qmp_commands *table;
	void *ctx;
	struct loop *loop;
	struct endpoint ep[CONFIG_MAX_MONITORS];
	unsigned nr_ep;
	struct client *clients;
	unsigned nr_clients;
	struct client *dead; /* closed, freed once no callback can still hold them */
	unsigned depth;	     /* callbacks of this module running (nested via commands) */
	int retry_fd;	     /* timerfd: watch paused listeners again (accept_backoff) */
};

static void client_close(struct client *c);
static void client_update(struct client *c);
static void accept_resume(struct monitors *ms);

/* ---- endpoints ---- */

static const char *opt_name(const struct config_monitor *cfg)
{
	return cfg->mode == MONITOR_QMP ? "-qmp" : "-monitor";
}

static int listen_unix(struct endpoint *ep, struct kverr *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = ep->cfg->path;
	struct stat st;
	int fd;

	/* QEMU replaces a socket left behind by an earlier run; kvmem does
	 * too, but never removes a file that is not a socket. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return kverr_set(err, EEXIST, "%s %s: '%s' exists and is not a socket",
					 ep->opt, ep->cfg->spec, path);
		unlink(path);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kverr_sys(err, errno, "%s %s: socket", ep->opt, ep->cfg->spec);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		close(fd);
		return kverr_sys(err, e, "%s %s: cannot listen on '%s'", ep->opt, ep->cfg->spec,
				 path);
	}
	ep->fd = fd;
	ep->created = true;
	return 0;
}

static int listen_tcp(struct endpoint *ep, struct kverr *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	const char *host = ep->cfg->host[0] ? ep->cfg->host : NULL;
	int ret, fd = -1, e = 0, one = 1;

	ret = getaddrinfo(host, ep->cfg->port, &hints, &res);
	if (ret)
		return kverr_set(err, EINVAL, "%s %s: cannot resolve '%s': %s", ep->opt,
				 ep->cfg->spec, ep->cfg->host, gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return kverr_sys(err, e, "%s %s: cannot listen on port %s", ep->opt, ep->cfg->spec,
				 ep->cfg->port);
	ep->fd = fd;
	return 0;
}

/* -chardev socket,fd=N,server=on: a socket the parent (libvirt) bound and
 * listens on.  kvmem owns it from now on (non-blocking, closed on exec). */
static int listen_fd(struct endpoint *ep, struct kverr *err)
{
	int fd = ep->cfg->fd, accepting = 0;
	socklen_t len = sizeof(accepting);
	struct stat st;

	if (fstat(fd, &st) < 0)
		return kverr_sys(err, errno, "%s: File descriptor '%d'", ep->cfg->spec, fd);
	if (!S_ISSOCK(st.st_mode))
		return kverr_set(err, EINVAL, "%s: File descriptor '%d' is not a socket",
				 ep->cfg->spec, fd);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0 || !accepting)
		return kverr_set(err, EINVAL,
				 "%s: File descriptor '%d' is not a listening socket (kvmem "
				 "serves monitors as server=on)",
				 ep->cfg->spec, fd);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return kverr_sys(err, errno, "%s: File descriptor '%d'", ep->cfg->spec, fd);
	ep->fd = fd;
	return 0;
}

int monitors_create(struct monitors **out, const struct config *cfg,
		    const struct qmp_commands *table, void *ctx, struct kverr *err)
{
	struct monitors *ms = calloc(1, sizeof(*ms));
	int ret = 0;

	if (!ms)
		return kverr_set(err, ENOMEM, "monitors: out of memory");
	ms->table = table;
	ms->ctx = ctx;
	ms->retry_fd = -1;
	for (unsigned i = 0; i < cfg->nr_monitors && !ret; i++) {
		struct endpoint *ep = &ms->ep[ms->nr_ep++];

		*ep = (struct endpoint){
		    .cfg = &cfg->monitor[i], .opt = opt_name(&cfg->monitor[i]), .fd = -1, .ms = ms};
		switch (ep->cfg->kind) {
		case CHARDEV_STDIO:
			break;
		case CHARDEV_UNIX:
			ret = listen_unix(ep, err);
			break;
		case CHARDEV_TCP:
			ret = listen_tcp(ep, err);
			break;
		case CHARDEV_FD:
			ret = listen_fd(ep, err);
			break;
		}
		ep->waiting = ep->fd >= 0 && ep->cfg->wait;
	}
	*out = ms;
	return ret;
}

/* ---- clients: output ---- */

static uint32_t want_in(const struct client *c)
{
	if (c->eof || c->closing || c->out.len >= MONITOR_OUT_PAUSE)
		return 0;
	return EPOLLIN;
}

static uint32_t want_out(const struct client *c)
{
	return c->out.len && c->out_pollable ? EPOLLOUT : 0;
}

/* Write what the peer takes now; false if the client is gone. */
static bool flush_some(struct client *c)
{
	while (c->out.len) {
		/* stdout stays blocking (it is shared with the user's shell),
		 * so write it in pieces a pipe that reported room accepts. */
		size_t n = c->is_stdio && c->out_pollable && c->out.len > 4096 ? 4096 : c->out.len;
		ssize_t w = c->is_stdio ? write(c->out_fd, c->out.data, n)
					: send(c->out_fd, c->out.data, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return true;
			return false;
		}
		buf_consume(&c->out, (size_t)w);
		if (c->is_stdio && c->out_pollable)
			return true; /* one piece per wake-up */
	}
	return true;
}

/* Queue output; client_update() later asks the loop to send it. */
static void queue(struct client *c, const char *data, size_t len)
{
	if (c->closed)
		return;
	buf_append(&c->out, data, len);
	if (c->out.failed || c->out.len > MONITOR_OUT_MAX) {
		/* It stopped reading long ago: drop it rather than grow. */
		buf_reset(&c->out);
		c->closing = true;
	}
}

static void queue_json(struct client *c, json_t *msg)
{
	size_t len;
	char *text = msg ? qmp_serialize(msg, &len) : NULL;

	if (!text) {
		c->closing = true; /* out of memory: nothing sensible to say */
		return;
	}
	queue(c, text, len);
	free(text);
}

/* HMP output: QEMU's monitor ends lines with "\r\n". */
static void queue_text(struct client *c, const char *text, size_t len)
{
	struct buf b = {0};

	hmp_crlf(&b, text, len);
	queue(c, b.data ? b.data : "", b.len);
	buf_free(&b);
}

/* ---- clients: input ---- */

static bool on_qmp_message(void *opaque, enum stream_event ev, const char *data, size_t len)
{
	struct client *c = opaque;
	json_t *rsp;

	switch (ev) {
	case STREAM_MESSAGE:
		rsp = qmp_dispatch(c->ms->table, c->ms->ctx, &c->session, data, len);
		break;
	case STREAM_LEX_ERROR:
		rsp = qmp_lex_error_response(data, len);
		break;
	case STREAM_TOO_LARGE:
	default: {
		struct qmp_error err;

		qmp_error_set(&err, QMP_ERR_GENERIC,
			      "JSON message exceeds kvmem's limit of %u bytes; closing the "
			      "connection",
			      MONITOR_MAX_MESSAGE);
		rsp = qmp_error_response(&err, NULL);
		c->closing = true;
		break;
	}
	}
	queue_json(c, rsp);
	json_decref(rsp);
	return !c->closing;
}

static void hmp_line(struct client *c, const char *line)
{
	struct buf out = {0};

	hmp_execute(c->ms->table, c->ms->ctx, line, &out);
	buf_puts(&out, HMP_PROMPT);
	queue_text(c, out.data ? out.data : "", out.len);
	buf_free(&out);
}

static void hmp_input(struct client *c, const char *data, size_t n)
{
	for (size_t i = 0; i < n && !c->closing; i++) {
		char ch = data[i];

		if (ch == '\n') {
			if (!c->skipping_line)
				hmp_line(c, c->line.data ? c->line.data : "");
			c->skipping_line = false;
			buf_reset(&c->line);
			continue;
		}
		if (c->skipping_line || ch == '\r')
			continue;
		if (ch == '\0' || c->line.len >= MONITOR_MAX_LINE) {
			char msg[96];
			int len = snprintf(msg, sizeof(msg), "%s; the line is ignored\n" HMP_PROMPT,
					   ch ? "line too long" : "NUL byte in the line");

			queue_text(c, msg, (size_t)len);
			c->skipping_line = true;
			buf_reset(&c->line);
			continue;
		}
		buf_append(&c->line, &ch, 1);
	}
}

static void read_input(struct client *c)
{
	char data[16384];
	size_t total = 0;

	/* A bounded amount per wake-up, so one chatty client cannot hold
	 * the loop; what is left is read on the next round. */
	while (total < 4 * sizeof(data) && !c->eof && !c->closing &&
	       c->out.len < MONITOR_OUT_PAUSE) {
		ssize_t r = c->is_stdio ? read(c->in_fd, data, sizeof(data))
					: recv(c->in_fd, data, sizeof(data), 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->eof = true;
			break;
		}
		if (r == 0) {
			c->eof = true;
			break;
		}
		total += (size_t)r;
		if (c->mode == MONITOR_QMP) {
			if (!json_stream_feed(&c->stream, data, (size_t)r, on_qmp_message, c))
				c->closing = true;
		} else {
			hmp_input(c, data, (size_t)r);
		}
		if (c->is_stdio)
			break; /* stdin is blocking: read again only when told */
	}
}

/* ---- clients: life cycle ---- */

static void client_io(void *opaque, uint32_t events);
static void stdout_io(void *opaque, uint32_t events);

/* Bring the loop's watches in line with what the client wants; closes it
 * when it has nothing more to say or hear. */
static void client_update(struct client *c)
{
	struct loop *loop = c->ms->loop;
	uint32_t in = want_in(c), out = want_out(c);

	if (c->closed || !c->attached)
		return;
	/* A socket is done once the peer has hung up or must go, and has its
	 * answers; stdio stays for events after stdin ends, as in QEMU. */
	if ((c->closing || (c->eof && !c->is_stdio)) && !c->out.len) {
		client_close(c);
		return;
	}
	if (c->eof && c->is_stdio && c->in_events) {
		/* stdin ended: the monitor still writes (QEMU keeps running) */
		loop_del(loop, c->in_fd);
		c->in_events = 0;
	}
	if (!c->is_stdio) {
		if (in != c->in_events || out != c->out_events) {
			loop_mod(loop, c->in_fd, in | out);
			c->in_events = in;
			c->out_events = out;
		}
		return;
	}
	if (in != c->in_events && !c->eof) {
		loop_mod(loop, c->in_fd, in);
		c->in_events = in;
	}
	if (out != c->out_events) {
		if (out && !c->out_events)
			loop_add(loop, c->out_fd, out, stdout_io, c);
		else if (!out)
			loop_del(loop, c->out_fd);
		c->out_events = out;
	}
}

/* Free closed clients once no callback of this module is running: a
 * command run for one client can emit an event that closes another, or
 * the same one, while its caller still looks at it. */
static void reap(struct monitors *ms)
{
	if (ms->depth)
		return;
	while (ms->dead) {
		struct client *c = ms->dead;

		ms->dead = c->next;
		json_stream_fini(&c->stream);
		buf_free(&c->line);
		buf_free(&c->out);
		free(c);
	}
}

/* Output could not be written: the peer is gone, drop what is queued. */
static void lost(struct client *c)
{
	buf_reset(&c->out);
	c->closing = true;
}

static void client_io(void *opaque, uint32_t events)
{
	struct client *c = opaque;
	struct monitors *ms = c->ms;

	ms->depth++;
	if (events & EPOLLOUT && !flush_some(c))
		lost(c);
	if (!c->closed && !c->closing && events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		read_input(c);
		if (events & EPOLLERR && !c->is_stdio)
			c->eof = true;
		/* the answers just queued: try to send them right away */
		if (!c->closed && !flush_some(c))
			lost(c);
	}
	client_update(c);
	ms->depth--;
	reap(ms);
}

static void stdout_io(void *opaque, uint32_t events)
{
	struct client *c = opaque;
	struct monitors *ms = c->ms;

	(void)events;
	ms->depth++;
	/* the reader of stdout went away: nothing more can be said */
	if (!flush_some(c))
		lost(c);
	client_update(c);
	ms->depth--;
	reap(ms);
}

static void client_start(struct client *c)
{
	if (c->mode == MONITOR_QMP) {
		json_t *g = qmp_greeting();

		queue_json(c, g);
		json_decref(g);
	} else {
		const char *hello = HMP_BANNER HMP_PROMPT;

		queue_text(c, hello, strlen(hello));
	}
}

static struct client *client_new(struct monitors *ms, enum monitor_mode mode, int in_fd, int out_fd,
				 bool is_stdio)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ms = ms;
	c->mode = mode;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->is_stdio = is_stdio;
	c->out_pollable = true;
	json_stream_init(&c->stream, MONITOR_MAX_MESSAGE);
	c->next = ms->clients;
	ms->clients = c;
	ms->nr_clients++;
	client_start(c);
	return c;
}

static int client_attach(struct client *c)
{
	struct loop *loop = c->ms->loop;
	int ret;

	c->attached = true;
	if (!c->is_stdio) {
		c->in_events = want_in(c);
		c->out_events = want_out(c);
		ret = loop_add(loop, c->in_fd, c->in_events | c->out_events, client_io, c);
		if (ret)
			return ret;
		client_update(c);
		return 0;
	}
	c->in_events = EPOLLIN;
	if (loop_add(loop, c->in_fd, EPOLLIN, client_io, c) < 0) {
		/* a regular file or /dev/null: no input to wait for */
		c->in_events = 0;
		c->eof = true;
	}
	if (loop_add(loop, c->out_fd, EPOLLOUT, stdout_io, c) == -EPERM)
		c->out_pollable = false;
	else
		loop_del(loop, c->out_fd);
	c->out_events = 0;
	if (!c->out_pollable && !flush_some(c))
		lost(c);
	client_update(c);
	return 0;
}

/* Off the list and out of the loop now; the memory goes in reap(). */
static void client_close(struct client *c)
{
	struct monitors *ms = c->ms;

	if (c->closed)
		return;
	for (struct client **p = &ms->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	ms->nr_clients--;
	if (c->attached) {
		if (c->in_events || !c->is_stdio)
			loop_del(ms->loop, c->in_fd);
		if (c->is_stdio && c->out_events)
			loop_del(ms->loop, c->out_fd);
	}
	if (!c->is_stdio)
		close(c->in_fd);
	c->closed = true;
	c->next = ms->dead;
	ms->dead = c;
	/* A descriptor is free again: listeners that ran out may accept. */
	accept_resume(ms);
}

/* The process is out of file descriptors (or the kernel of memory for a
 * socket): accept4 fails while the connection stays in the backlog, so a
 * level-triggered listener would be reported readable again at once and
 * the loop would spin.  Stop watching it until a client leaves (its fd is
 * free again, client_close) or, if no client of ours can leave, for a
 * second. */
static bool out_of_fds(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static void accept_backoff(struct endpoint *ep)
{
	struct monitors *ms = ep->ms;
	struct itimerspec one_second = {.it_value = {.tv_sec = 1}};

	if (ep->paused || !ms->loop)
		return;
	loop_del(ms->loop, ep->fd);
	ep->paused = true;
	if (ms->retry_fd >= 0)
		timerfd_settime(ms->retry_fd, 0, &one_second, NULL);
}

static void endpoint_io(void *opaque, uint32_t events);

static void accept_resume(struct monitors *ms)
{
	for (unsigned i = 0; i < ms->nr_ep; i++) {
		struct endpoint *ep = &ms->ep[i];

		if (!ep->paused)
			continue;
		if (loop_add(ms->loop, ep->fd, EPOLLIN, endpoint_io, ep) < 0)
			continue; /* stays paused: the timer tries again */
		ep->paused = false;
	}
}

static void on_accept_retry(void *opaque, uint32_t events)
{
	struct monitors *ms = opaque;
	uint64_t expirations;

	(void)events;
	if (read(ms->retry_fd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: nothing expired after all */
	}
	accept_resume(ms);
}

/* Returns false when the process ran out of fds (the backlog waits). */
static bool accept_clients(struct endpoint *ep)
{
	struct monitors *ms = ep->ms;

	for (;;) {
		int fd = accept4(ep->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (out_of_fds(errno)) {
				accept_backoff(ep);
				return false;
			}
			return true; /* EAGAIN: the backlog is empty */
		}
		if (ms->nr_clients >= MONITOR_MAX_CLIENTS) {
			close(fd);
			continue;
		}
		c = client_new(ms, ep->cfg->mode, fd, fd, false);
		if (!c) {
			close(fd);
			continue;
		}
		ep->waiting = false;
		if (ms->loop && client_attach(c) < 0)
			client_close(c);
	}
}

static void endpoint_io(void *opaque, uint32_t events)
{
	struct endpoint *ep = opaque;

	(void)events;
	ep->ms->depth++;
	accept_clients(ep);
	ep->ms->depth--;
	reap(ep->ms);
}

unsigned monitors_waiting(const struct monitors *ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ms->nr_ep; i++)
		n += ms->ep[i].waiting;
	return n;
}

int monitors_wait_clients(struct monitors *ms, struct kverr *err)
{
	for (unsigned i = 0; i < ms->nr_ep; i++) {
		struct endpoint *ep = &ms->ep[i];

		while (ep->waiting) {
			struct pollfd pfd = {.fd = ep->fd, .events = POLLIN};

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return kverr_sys(err, errno, "%s %s: waiting for a client", ep->opt,
						 ep->cfg->spec);
			/* Out of fds before the guest runs: nothing else to
			 * serve, so wait a little rather than spin. */
			if (!accept_clients(ep))
				poll(NULL, 0, 100);
		}
	}
	return 0;
}

int monitors_attach(struct monitors *ms, struct loop *loop, struct kverr *err)
{
	int ret;

	ms->loop = loop;
	/* Made now, while fds are free, for the day they are not. */
	ms->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ms->retry_fd < 0)
		return kverr_sys(err, errno, "monitors: timerfd");
	ret = loop_add(loop, ms->retry_fd, EPOLLIN, on_accept_retry, ms);
	if (ret)
		return kverr_sys(err, -ret, "monitors: epoll");
	for (unsigned i = 0; i < ms->nr_ep; i++) {
		struct endpoint *ep = &ms->ep[i];

		if (ep->cfg->kind == CHARDEV_STDIO) {
			if (!client_new(ms, ep->cfg->mode, STDIN_FILENO, STDOUT_FILENO, true))
				return kverr_set(err, ENOMEM, "monitors: out of memory");
			continue;
		}
		ret = loop_add(loop, ep->fd, EPOLLIN, endpoint_io, ep);
		if (ret)
			return kverr_sys(err, -ret, "%s %s: epoll", ep->opt, ep->cfg->spec);
	}
	/* Clients that connected while kvmem waited (wait=on), and stdio. */
	for (struct client *c = ms->clients, *next; c; c = next) {
		next = c->next;
		if (!c->attached && client_attach(c) < 0)
			client_close(c);
	}
	reap(ms);
	return 0;
}

void monitors_event(struct monitors *ms, const char *name, json_t *data)
{
	json_t *ev;
	size_t len;
	char *text;

	if (!ms) {
		json_decref(data);
		return;
	}
	ev = qmp_event(name, data);
	text = ev ? qmp_serialize(ev, &len) : NULL;
	json_decref(ev);
	if (!text)
		return;
	ms->depth++;
	for (struct client *c = ms->clients, *next; c; c = next) {
		next = c->next; /* client_update() may close c */
		if (c->mode == MONITOR_QMP && c->session.command_mode && !c->closing) {
			queue(c, text, len);
			client_update(c);
		}
	}
	ms->depth--;
	reap(ms);
	free(text);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void monitors_flush(struct monitors *ms, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd[MONITOR_MAX_CLIENTS];
		struct client *who[MONITOR_MAX_CLIENTS];
		nfds_t n = 0;
		long long left = deadline - now_ms();

		for (struct client *c = ms->clients; c && n < MONITOR_MAX_CLIENTS; c = c->next) {
			if (!c->out.len)
				continue;
			if (!c->out_pollable) {
				flush_some(c);
				continue;
			}
			pfd[n] = (struct pollfd){.fd = c->out_fd, .events = POLLOUT};
			who[n++] = c;
		}
		if (!n || left <= 0)
			return;
		if (poll(pfd, n, (int)left) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				who[i]->out.len = 0;
			else if (pfd[i].revents & POLLOUT && !flush_some(who[i]))
				who[i]->out.len = 0;
		}
	}
}

void monitors_destroy(struct monitors *ms)
{
	if (!ms)
		return;
	while (ms->clients)
		client_close(ms->clients);
	reap(ms);
	for (unsigned i = 0; i < ms->nr_ep; i++) {
		struct endpoint *ep = &ms->ep[i];

		if (ep->fd >= 0) {
			if (ms->loop)
				loop_del(ms->loop, ep->fd);
			close(ep->fd);
		}
		if (ep->created)
			unlink(ep->cfg->path);
	}
	if (ms->retry_fd >= 0) {
		loop_del(ms->loop, ms->retry_fd);
		close(ms->retry_fd);
	}
	free(ms);
}
