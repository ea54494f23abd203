/* qmpcheck - checks a running kvmem's QMP server from outside, as clients
 * would see it.  One C program so the same checks run in CI (against
 * kvmem-sim, tests/qmp/sim_test.py) and beside a real guest (the qmp-*
 * guest scenarios, in the nested L1 where there is no Python).
 *
 *   qmpcheck -s SOCKET robust              the robustness list of issue 3
 *   qmpcheck -s SOCKET transcript FILE     replay QEMU's documented exchanges
 *   qmpcheck -s SOCKET clients N           N clients at once
 *   qmpcheck -s SOCKET silent SECS         a client that connects and sends nothing
 *   qmpcheck -s SOCKET noread SECS         a client that sends and never reads
 *   qmpcheck -s SOCKET hmp                 a -monitor socket: banner, prompt, commands
 *
 * SOCKET: a unix socket path or tcp:HOST:PORT.  Prints "ok - NAME" or
 * "not ok - NAME: why" per check and a last line "qmpcheck: N passed, M
 * failed"; exits 1 if any check failed, 2 on bad usage.
 *
 * The expected error classes and messages are those QEMU 7.2 gives for
 * the same input (taken from a QEMU 7.2 QMP session); where kvmem's text
 * differs (lexical errors) only the class is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;
static int passed, failed;

static void report(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		failed++;
	}
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- a client connection ---- */

struct conn {
	int fd;
	char buf[1 << 17];
	size_t len;
	bool eof;
};

static int dial(void)
{
	int fd = -1;

	if (!strncmp(sock_path, "tcp:", 4)) {
		char host[256];
		const char *colon = strrchr(sock_path + 4, ':');
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;

		if (!colon)
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - sock_path - 4), sock_path + 4);
		if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res))
			return -1;
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		return fd;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static struct conn *conn_open(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	c->fd = dial();
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void conn_close(struct conn *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

static bool send_all(struct conn *c, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

static bool send_str(struct conn *c, const char *s)
{
	return send_all(c, s, strlen(s));
}

/* Read until buf holds a line or timeout; returns the line (without
 * CRLF, malloc'd) or NULL on timeout/EOF. */
static char *read_line(struct conn *c, double timeout)
{
	double end = now() + timeout;

	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			char *line = malloc(n + 1);

			memcpy(line, c->buf, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		if (c->eof || c->len == sizeof(c->buf))
			return NULL;
		double left = end - now();
		if (left <= 0)
			return NULL;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			c->eof = true;
		} else {
			c->len += (size_t)r;
		}
	}
}

/* The next message that is not an event (events go to *events if given). */
static json_t *read_msg(struct conn *c, double timeout, json_t *events)
{
	char *line;

	while ((line = read_line(c, timeout))) {
		json_t *m = json_loads(line, 0, NULL);

		free(line);
		if (!m)
			continue;
		if (json_object_get(m, "event")) {
			if (events)
				json_array_append(events, m);
			json_decref(m);
			continue;
		}
		return m;
	}
	return NULL;
}

/* Connect, read the greeting, negotiate. */
static struct conn *client(void)
{
	struct conn *c = conn_open();
	json_t *m;

	if (!c)
		return NULL;
	m = read_msg(c, 10, NULL);
	if (!m || !json_object_get(m, "QMP")) {
		json_decref(m);
		conn_close(c);
		return NULL;
	}
	json_decref(m);
	send_str(c, "{\"execute\": \"qmp_capabilities\"}\n");
	m = read_msg(c, 10, NULL);
	if (!m || !json_object_get(m, "return")) {
		json_decref(m);
		conn_close(c);
		return NULL;
	}
	json_decref(m);
	return c;
}

static json_t *request(struct conn *c, const char *text)
{
	if (!send_str(c, text))
		return NULL;
	return read_msg(c, 10, NULL);
}

/* The server still answers on c (in negotiation mode with an error). */
static bool alive(struct conn *c)
{
	json_t *m = request(c, "{\"execute\": \"query-status\", \"id\": \"alive\"}");
	bool ok = m && (json_object_get(m, "return") || json_object_get(m, "error")) &&
		  json_is_string(json_object_get(m, "id"));

	json_decref(m);
	return ok;
}

/* ---- robust ---- */

/* Send text; expect an error of class cls whose desc contains desc (any
 * desc if NULL); expect the id when id_json is non-NULL; then the
 * connection must still answer. */
static void expect_error(struct conn *c, const char *name, const char *text, size_t len,
			 const char *cls, const char *desc, const char *id_json)
{
	json_t *m, *err;
	const char *got_cls, *got_desc;

	if (!send_all(c, text, len)) {
		report(false, name, "send failed");
		return;
	}
	m = read_msg(c, 10, NULL);
	err = json_object_get(m, "error");
	got_cls = json_string_value(json_object_get(err, "class"));
	got_desc = json_string_value(json_object_get(err, "desc"));
	if (!m) {
		report(false, name, "no answer");
	} else if (!err || !got_cls || strcmp(got_cls, cls)) {
		char *t = json_dumps(m, 0);

		report(false, name, "expected a %s error, got %s", cls, t);
		free(t);
	} else if (desc && (!got_desc || !strstr(got_desc, desc))) {
		report(false, name, "desc '%s' lacks '%s'", got_desc ? got_desc : "", desc);
	} else if (id_json) {
		json_t *want = json_loads(id_json, JSON_DECODE_ANY, NULL);
		bool same = json_equal(want, json_object_get(m, "id"));

		json_decref(want);
		if (!same)
			report(false, name, "the id %s was not echoed", id_json);
		else
			report(alive(c), name, "no answer after the error");
	} else if (json_object_get(m, "id")) {
		report(false, name, "an id came back where there was none");
	} else {
		report(alive(c), name, "no answer after the error");
	}
	json_decref(m);
}

/* Send text; the answer's line, as sent, must end with want (QEMU 7.2's
 * bytes).  Read as text, not parsed: jansson here cannot hold an id above
 * 2^63, which is the point of some of these checks. */
static void expect_line_end(struct conn *c, const char *name, const char *text, const char *want)
{
	char *line = NULL;
	size_t n, w = strlen(want);

	if (!send_str(c, text)) {
		report(false, name, "send failed");
		return;
	}
	while ((line = read_line(c, 10)) && strstr(line, "\"event\": ")) /* not an answer */
		free(line);
	n = line ? strlen(line) : 0;
	if (!line)
		report(false, name, "no answer");
	else if (n < w || strcmp(line + n - w, want))
		report(false, name, "got '%s', QEMU 7.2 ends its answer with '%s'", line, want);
	else
		report(alive(c), name, "no answer after it");
	free(line);
}

#define EXPECT(c, name, lit, cls, desc, id)                                                        \
	expect_error(c, name, lit, sizeof(lit) - 1, cls, desc, id)

static void check_negotiation(void)
{
	struct conn *c = conn_open();
	json_t *g = c ? read_msg(c, 10, NULL) : NULL;
	json_t *ver = json_object_get(json_object_get(g, "QMP"), "version");

	report(g && json_is_object(json_object_get(ver, "qemu")) &&
		   json_is_array(json_object_get(json_object_get(g, "QMP"), "capabilities")),
	       "greeting", "bad greeting");
	json_decref(g);
	if (!c)
		return;
	EXPECT(c, "command before qmp_capabilities", "{\"execute\": \"query-status\"}",
	       "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'",
	       NULL);
	EXPECT(c, "unknown command before qmp_capabilities", "{\"execute\": \"nope\", \"id\": 7}",
	       "CommandNotFound", "Expecting capabilities negotiation", "7");
	EXPECT(c, "capability that is not offered",
	       "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}",
	       "GenericError", "Capability 'oob' not available", NULL);
	EXPECT(c, "capability that does not exist",
	       "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"foo\"]}}",
	       "GenericError", "does not accept value 'foo'", NULL);
	send_str(c, "{\"execute\": \"qmp_capabilities\"}");
	json_decref(read_msg(c, 10, NULL));
	EXPECT(c, "qmp_capabilities twice", "{\"execute\": \"qmp_capabilities\", \"id\": 5}",
	       "CommandNotFound", "Capabilities negotiation is already complete", "5");
	conn_close(c);
}

static void check_robust(void)
{
	struct conn *c;

	check_negotiation();
	c = client();
	if (!c) {
		report(false, "connect", "no QMP client connection to %s", sock_path);
		return;
	}
	/* malformed JSON */
	EXPECT(c, "malformed JSON {]", "{]", "GenericError", "JSON parse error", NULL);
	EXPECT(c, "malformed JSON (qmp-spec 3.5)", "{ \"execute\": }", "GenericError",
	       "JSON parse error", NULL);
	EXPECT(c, "a 0xFF byte", "\xff", "GenericError", "JSON parse error", NULL);
	/* A control character is a lexical error; QEMU then skips to the
	 * next brace and answers the lone '}' with a second error: so does
	 * kvmem, and then it reads requests again. */
	{
		json_t *a, *b;

		send_str(c, "{\"execute\": \"query-status\x01\"}\n");
		a = read_msg(c, 10, NULL);
		b = read_msg(c, 10, NULL);
		report(json_object_get(a, "error") && json_object_get(b, "error") && alive(c),
		       "a control character in a string", "expected two errors, then answers");
		json_decref(a);
		json_decref(b);
	}
	EXPECT(c, "a control character between messages", "\x01", "GenericError",
	       "JSON parse error", NULL);
	EXPECT(c, "a lone }", "}", "GenericError", "JSON parse error", NULL);
	EXPECT(c, "invalid UTF-8 in a string", "{\"execute\": \"\xc3\x28\"}", "GenericError",
	       "JSON parse error", NULL);
	EXPECT(c, "a duplicate key", "{\"execute\": \"stop\", \"execute\": \"cont\"}",
	       "GenericError", "JSON parse error", NULL);
	EXPECT(c, "integer too large", "{\"execute\": \"query-status\", \"id\": 1e999999}",
	       "GenericError", "JSON parse error", NULL);
	/* not an object */
	EXPECT(c, "an array", "[1, 2]", "GenericError", "QMP input must be a JSON object", NULL);
	EXPECT(c, "a string", "\"hello\"", "GenericError", "QMP input must be a JSON object", NULL);
	EXPECT(c, "a number", "42 ", "GenericError", "QMP input must be a JSON object", NULL);
	EXPECT(c, "null", "null ", "GenericError", "QMP input must be a JSON object", NULL);
	/* the request object */
	EXPECT(c, "no execute", "{\"id\": 1}", "GenericError", "QMP input lacks member 'execute'",
	       "1");
	EXPECT(c, "empty object", "{}", "GenericError", "QMP input lacks member 'execute'", NULL);
	EXPECT(c, "extra top-level key", "{\"execute\": \"query-status\", \"foo\": 1}",
	       "GenericError", "QMP input member 'foo' is unexpected", NULL);
	EXPECT(c, "exec-oob without the capability", "{\"exec-oob\": \"query-status\", \"id\": 3}",
	       "GenericError", "QMP input member 'exec-oob' is unexpected", "3");
	EXPECT(c, "execute not a string", "{\"execute\": 1}", "GenericError",
	       "QMP input member 'execute' must be a string", NULL);
	EXPECT(c, "arguments not an object", "{\"execute\": \"query-status\", \"arguments\": []}",
	       "GenericError", "QMP input member 'arguments' must be an object", NULL);
	EXPECT(c, "unknown command", "{\"execute\": \"nope\", \"id\": \"x\"}", "CommandNotFound",
	       "The command nope has not been found", "\"x\"");
	EXPECT(c, "unknown command, structured id", "{\"execute\": \"nope\", \"id\": {\"a\": [1]}}",
	       "CommandNotFound", "The command nope has not been found", "{\"a\": [1]}");
	/* arguments */
	EXPECT(c, "wrong argument type",
	       "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": 5}}",
	       "GenericError", "Invalid parameter type for 'command-line', expected: string", NULL);
	EXPECT(c, "wrong optional argument type",
	       "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info "
	       "status\", \"cpu-index\": \"x\"}}",
	       "GenericError", "Invalid parameter type for 'cpu-index', expected: integer", NULL);
	EXPECT(c, "missing argument", "{\"execute\": \"human-monitor-command\", \"id\": 2}",
	       "GenericError", "Parameter 'command-line' is missing", "2");
	EXPECT(c, "extra argument", "{\"execute\": \"query-status\", \"arguments\": {\"a\": 1}}",
	       "GenericError", "Parameter 'a' is unexpected", NULL);
	EXPECT(c, "extra argument to quit",
	       "{\"execute\": \"quit\", \"arguments\": {\"force\": true}}", "GenericError",
	       "Parameter 'force' is unexpected", NULL);
	EXPECT(c, "bad cpu-index",
	       "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info "
	       "cpus\", \"cpu-index\": 999}}",
	       "GenericError", "Parameter 'cpu-index' expects a CPU number", NULL);
	/* what QEMU accepts beyond RFC 8259: ids above 2^63 come back exactly,
	 * U+0000 in strings; the answers are QEMU 7.2's bytes */
	expect_line_end(c, "an id of 2^64-1 is echoed exactly",
			"{\"execute\": \"query-status\", \"id\": 18446744073709551615}",
			"\"id\": 18446744073709551615}");
	expect_line_end(c, "an id beyond uint64 is echoed as QEMU's double",
			"{\"execute\": \"query-status\", \"id\": 99999999999999999999999}",
			"\"id\": 9.9999999999999992e+22}");
	expect_line_end(c, "an id holding \\u0000",
			"{\"execute\": \"query-status\", \"id\": \"a\\u0000b\"}",
			"\"id\": \"a\\u0000b\"}");
	expect_line_end(c, "a command name holding \\u0000",
			"{\"execute\": \"query-status\\u0000x\", \"id\": 1}",
			"{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
			"command query-status\\u0000x has not been found\"}}");
	expect_line_end(c, "an argument name holding \\u0000",
			"{\"execute\": \"query-status\", \"arguments\": {\"a\\u0000\": 1}}",
			"{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter "
			"'a\\u0000' is unexpected\"}}");
	/* two messages in one write, and one split over many writes */
	{
		json_t *a, *b;

		send_str(
		    c, "{\"execute\": \"query-status\", \"id\": 1}{\"execute\": \"query-version\", "
		       "\"id\": 2}");
		a = read_msg(c, 10, NULL);
		b = read_msg(c, 10, NULL);
		report(json_integer_value(json_object_get(a, "id")) == 1 &&
			   json_integer_value(json_object_get(b, "id")) == 2,
		       "two messages in one write", "answers missing or out of order");
		json_decref(a);
		json_decref(b);
		const char *msg = "{\"execute\": \"query-status\", \"id\": \"bytewise\"}";
		for (const char *p = msg; *p; p++) {
			send_all(c, p, 1);
			usleep(1000);
		}
		a = read_msg(c, 10, NULL);
		report(a && json_object_get(a, "return"), "a message split byte by byte",
		       "no answer");
		json_decref(a);
	}
	conn_close(c);

	/* a message larger than the limit: an error, then the connection closes */
	c = client();
	if (c) {
		size_t n = (2u << 20) + 16;
		char *big = malloc(n);
		json_t *m;

		memcpy(big, "{\"execute\": \"", 13);
		memset(big + 13, 'a', n - 13);
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		for (size_t off = 0; off < n;) {
			ssize_t w = send(c->fd, big + off, n - off, MSG_NOSIGNAL);

			if (w < 0 && errno == EAGAIN) {
				struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
				if (poll(&pfd, 1, 2000) <= 0)
					break;
				continue;
			}
			if (w <= 0)
				break; /* the server closed on us: expected */
			off += (size_t)w;
		}
		m = read_msg(c, 10, NULL);
		report(m && json_object_get(m, "error"), "oversized message: error",
		       "no error for a message over the limit");
		json_decref(m);
		report(!read_msg(c, 5, NULL) && c->eof, "oversized message: connection closed",
		       "the connection stayed open");
		free(big);
		conn_close(c);
	}

	/* a client that goes away in the middle of a message */
	c = client();
	if (c) {
		send_str(c, "{\"execute\": \"query-st");
		conn_close(c);
	}
	c = client();
	report(c && alive(c), "a client gone mid-message", "the server stopped answering");
	conn_close(c);
}

/* ---- clients N ---- */

static void check_clients(int n)
{
	struct conn **cs = calloc((size_t)n, sizeof(*cs));
	int ok = 0;

	/* all connect first, then all talk */
	for (int i = 0; i < n; i++)
		cs[i] = conn_open();
	for (int i = 0; i < n; i++) {
		json_t *g = cs[i] ? read_msg(cs[i], 20, NULL) : NULL;

		if (g && cs[i])
			send_str(cs[i], "{\"execute\": \"qmp_capabilities\"}"
					"{\"execute\": \"query-status\", \"id\": 1}");
		json_decref(g);
	}
	for (int i = 0; i < n; i++) {
		json_t *a = cs[i] ? read_msg(cs[i], 20, NULL) : NULL;
		json_t *b = cs[i] ? read_msg(cs[i], 20, NULL) : NULL;

		ok += a && json_object_get(a, "return") && b && json_object_get(b, "return");
		json_decref(a);
		json_decref(b);
		conn_close(cs[i]);
	}
	free(cs);
	report(ok == n, "clients at once", "%d of %d clients were served", ok, n);
}

/* ---- silent / noread ---- */

/* A server that waited for the misbehaving client would not answer at all
 * (read_msg gives up after 10 s); this bound only has to allow for a slow
 * machine, such as the nested L1 under TCG. */
#define MAX_LATENCY 2.0

/* Poll the server from a second client during secs; the worst latency. */
static double probe_latency(double secs, void (*tick)(void *), void *arg)
{
	struct conn *c = client();
	double worst = 0, end = now() + secs;

	if (!c)
		return 1e9;
	while (now() < end) {
		double t0 = now();

		if (!alive(c)) {
			worst = 1e9;
			break;
		}
		if (now() - t0 > worst)
			worst = now() - t0;
		if (tick)
			tick(arg);
		usleep(200 * 1000);
	}
	conn_close(c);
	return worst;
}

static void check_silent(double secs)
{
	struct conn *quiet = conn_open(), *half = client();
	double worst;

	if (half)
		send_str(half, "{\"execute\": \"query-");
	worst = probe_latency(secs, NULL, NULL);
	report(quiet && half && worst < MAX_LATENCY, "silent clients do not stall the server",
	       "worst answer took %.2f s", worst);
	conn_close(quiet);
	conn_close(half);
}

struct flood {
	struct conn *c;
	size_t sent;
};

static void flood_more(void *arg)
{
	struct flood *f = arg;
	const char *req = "{\"execute\": \"query-commands\"}";

	for (;;) {
		ssize_t w = send(f->c->fd, req, strlen(req), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w <= 0)
			return; /* the socket is full: the server stopped reading us */
		f->sent += (size_t)w;
	}
}

static void check_noread(double secs)
{
	struct flood f = {.c = client()};
	double worst;

	if (!f.c) {
		report(false, "noread", "no connection");
		return;
	}
	flood_more(&f);
	worst = probe_latency(secs, flood_more, &f);
	printf("# the client that does not read got %zu bytes of requests in\n", f.sent);
	report(worst < MAX_LATENCY, "a client that stops reading does not stall the server",
	       "worst answer took %.2f s", worst);
	conn_close(f.c);
}

/* ---- hmp ---- */

static bool read_until(struct conn *c, const char *needle, char *out, size_t size)
{
	size_t n = 0;
	double end = now() + 10;

	out[0] = '\0';
	while (!strstr(out, needle) && now() < end) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, 500) <= 0)
			continue;
		r = recv(c->fd, out + n, size - n - 1, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
		out[n] = '\0';
	}
	return strstr(out, needle) != NULL;
}

static void check_hmp(void)
{
	struct conn *c = conn_open();
	char out[8192];

	if (!c) {
		report(false, "hmp connect", "cannot connect to %s", sock_path);
		return;
	}
	report(read_until(c, "(qemu) ", out, sizeof(out)) && strstr(out, "monitor"),
	       "hmp banner and prompt", "got '%s'", out);
	send_str(c, "info status\n");
	report(read_until(c, "(qemu) ", out, sizeof(out)) && strstr(out, "VM status: "),
	       "hmp info status", "got '%s'", out);
	send_str(c, "nope\r\n");
	report(read_until(c, "(qemu) ", out, sizeof(out)) &&
		   strstr(out, "unknown command: 'nope'\r\n"),
	       "hmp unknown command", "got '%s'", out);
	send_str(c, "info memdev\n");
	report(read_until(c, "(qemu) ", out, sizeof(out)) && strstr(out, "memory backend: "),
	       "hmp info memdev", "got '%s'", out);
	send_str(c, "stop now\n");
	report(read_until(c, "(qemu) ", out, sizeof(out)) &&
		   strstr(out, "extraneous characters at the end of line"),
	       "hmp extra argument", "got '%s'", out);
	/* a line longer than the limit is refused, the monitor goes on */
	{
		static char longline[10000];

		memset(longline, 'x', sizeof(longline) - 2);
		longline[sizeof(longline) - 2] = '\n';
		send_str(c, longline);
		report(read_until(c, "(qemu) ", out, sizeof(out)) && strstr(out, "too long"),
		       "hmp line too long", "got '%s'", out);
		send_str(c, "info status\n");
		report(read_until(c, "VM status", out, sizeof(out)), "hmp after a long line",
		       "got '%s'", out);
	}
	conn_close(c);
}

/* ---- transcript ---- */

/* kvmem's value has the documented one's shape: same JSON type; every
 * member the documentation shows, recursively; array elements each like
 * the documented first element.  Members kvmem adds are listed in extra. */
static bool same_shape(json_t *doc, json_t *got, const char *path, char *why, size_t size,
		       json_t *extra)
{
	const char *key;
	json_t *v;

	if (json_typeof(doc) != json_typeof(got) &&
	    !(json_is_boolean(doc) && json_is_boolean(got))) {
		snprintf(why, size, "%s: documented as JSON type %d, kvmem sent type %d",
			 path[0] ? path : "(top)", json_typeof(doc), json_typeof(got));
		return false;
	}
	if (json_is_object(doc)) {
		json_object_foreach(doc, key, v)
		{
			char sub[256];
			json_t *g = json_object_get(got, key);

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!g) {
				snprintf(why, size, "%s: missing", sub);
				return false;
			}
			if (!same_shape(v, g, sub, why, size, extra))
				return false;
		}
		json_object_foreach(got, key, v)
		{
			if (!json_object_get(doc, key)) {
				char sub[256];

				snprintf(sub, sizeof(sub), "%s.%s", path, key);
				json_array_append_new(extra, json_string(sub));
			}
		}
	} else if (json_is_array(doc) && json_array_size(doc)) {
		size_t i;

		json_array_foreach(got, i, v)
		{
			char sub[256];

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!same_shape(json_array_get(doc, 0), v, sub, why, size, extra))
				return false;
		}
	}
	return true;
}

struct step {
	char dir;    /* '>' request, '<' answer or event */
	char *text;  /* a request as written (it may be malformed on purpose) */
	json_t *msg; /* an answer or event */
	char title[160];
};

static int load_transcript(const char *file, struct step *steps, int max)
{
	FILE *f = fopen(file, "r");
	char line[4096], title[160] = "", text[65536] = "";
	int n = 0;
	char dir = 0;

	if (!f) {
		fprintf(stderr, "qmpcheck: cannot open %s\n", file);
		exit(2);
	}
	for (bool more = true; more;) {
		more = fgets(line, sizeof(line), f) != NULL;
		bool marker = more && (!strncmp(line, "->", 2) || !strncmp(line, "<-", 2));
		bool section = more && !strncmp(line, "## ", 3);

		if ((marker || section || !more) && dir) {
			json_error_t jerr;
			json_t *m = dir == '<' ? json_loads(text, 0, &jerr) : NULL;

			if (dir == '<' && !m) {
				fprintf(stderr, "qmpcheck: %s: bad JSON in '%s': %s\n", file, title,
					jerr.text);
				exit(2);
			}
			if (n == max)
				break;
			steps[n] = (struct step){.dir = dir, .msg = m};
			if (dir == '>')
				steps[n].text = strdup(text);
			snprintf(steps[n].title, sizeof(steps[n].title), "%s", title);
			n++;
			dir = 0;
			text[0] = '\0';
		}
		if (section) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(title, sizeof(title), "%.150s", line + 3);
		} else if (marker) {
			dir = line[0] == '-' ? '>' : '<';
			snprintf(text, sizeof(text), "%s", line + 2);
		} else if (more && dir && line[0] != '#') {
			strncat(text, line, sizeof(text) - strlen(text) - 1);
		}
	}
	fclose(f);
	return n;
}

/* The next message of any kind, or NULL. */
static json_t *read_any(struct conn *c, double timeout)
{
	char *line;

	while ((line = read_line(c, timeout))) {
		json_t *m = json_loads(line, 0, NULL);

		free(line);
		if (m)
			return m;
	}
	return NULL;
}

static void check_transcript(const char *file)
{
	static struct step steps[256];
	int n = load_transcript(file, steps, 256);
	struct conn *c = conn_open();
	json_t *events = json_array();
	json_t *held = NULL;	 /* an answer read while waiting for an event */
	bool unanswered = false; /* a request was sent, its answer step not reached */

	if (!c) {
		report(false, "transcript", "cannot connect to %s", sock_path);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct step *s = &steps[i];
		json_t *got = NULL, *extra = json_array();
		const char *ev = json_string_value(json_object_get(s->msg, "event"));
		char why[512] = "", name[256];
		bool answer_first = false;

		snprintf(name, sizeof(name), "transcript: %s", s->title);
		if (s->dir == '>') {
			send_str(c, s->text);
			free(s->text);
			json_decref(extra);
			unanswered = true;
			continue;
		}
		if (ev) {
			/* the event the request before caused: before that
			 * request's answer if the file has it there */
			bool before_answer = unanswered;
			double end = now() + 240; /* a real guest may reboot first */
			size_t k;
			json_t *e;

			json_array_foreach(events, k, e)
			{
				if (!strcmp(json_string_value(json_object_get(e, "event")), ev)) {
					got = json_incref(e);
					json_array_remove(events, k);
					break;
				}
			}
			while (!got && now() < end) {
				json_t *m = read_any(c, 0.2);

				if (!m)
					continue;
				if (!json_object_get(m, "event")) {
					/* the answer came first */
					answer_first = answer_first || (before_answer && !held);
					if (!held)
						held = m;
					else
						json_decref(m);
					continue;
				}
				if (!strcmp(json_string_value(json_object_get(m, "event")), ev))
					got = m;
				else
					json_array_append_new(events, m);
			}
		} else {
			got = held ? held : read_msg(c, 30, events);
			held = NULL;
			unanswered = false;
		}
		if (!got)
			report(false, name, "nothing came");
		else if (answer_first)
			report(false, name,
			       "the request's answer came before %s; QEMU 7.2 sends %s first", ev,
			       ev);
		else if (!same_shape(s->msg, got, "", why, sizeof(why), extra))
			report(false, name, "%s", why);
		else
			report(true, name, "%s", "");
		if (json_array_size(extra)) {
			char *t = json_dumps(extra, JSON_COMPACT);

			printf("#   kvmem also sends %s\n", t);
			free(t);
		}
		json_decref(extra);
		json_decref(got);
		json_decref(s->msg);
	}
	json_decref(held);
	json_decref(events);
	conn_close(c);
}

int main(int argc, char **argv)
{
	const char *mode;

	if (argc < 4 || strcmp(argv[1], "-s")) {
		fprintf(stderr, "usage: qmpcheck -s SOCKET robust|transcript FILE|clients N|silent "
				"SECS|noread SECS|hmp\n");
		return 2;
	}
	sock_path = argv[2];
	mode = argv[3];
	if (!strcmp(mode, "robust"))
		check_robust();
	else if (!strcmp(mode, "transcript") && argc > 4)
		check_transcript(argv[4]);
	else if (!strcmp(mode, "clients") && argc > 4)
		check_clients(atoi(argv[4]));
	else if (!strcmp(mode, "silent") && argc > 4)
		check_silent(atof(argv[4]));
	else if (!strcmp(mode, "noread") && argc > 4)
		check_noread(atof(argv[4]));
	else if (!strcmp(mode, "hmp"))
		check_hmp();
	else {
		fprintf(stderr, "qmpcheck: unknown mode '%s'\n", mode);
		return 2;
	}
	printf("qmpcheck: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
