/* kvmemctl - a small QMP client for kvmem (and QEMU).
 *
 *   kvmemctl [-s SOCKET] [--json] [--timeout SECS] [--retry SECS] COMMAND [ARGS...]
 *
 * COMMAND is one of
 *   NAME [KEY=VALUE...]  run QMP command NAME; a VALUE that parses as JSON
 *                        (42, true, [1,2], {"a":1}) is passed as such,
 *                        anything else as a string
 *   hmp 'LINE'           run a human monitor command line, print its output
 *                        (with "\n" line ends; --json keeps QEMU's "\r\n")
 *   raw 'JSON'           send JSON text as it is, print the answer line as
 *                        it came (events are skipped)
 *   wait-event [NAME...] wait for one of the named events (any event if none
 *                        is named) and print it
 *   events               print events as they come, until kvmem goes away
 *
 * SOCKET is a unix socket path, unix:PATH or tcp:HOST:PORT; the default is
 * $KVMEMCTL_SOCKET.  Output is for people (key: value lines, the monitor's
 * text as it is) unless --json asks for the result as one line of JSON.
 *
 * Exit status: 0 done; 1 the command failed (the QMP error goes to stderr;
 * with --json its error object also goes to stdout); 2 bad usage, no
 * connection, or kvmem went away; 3 --timeout passed.
 */
#include <errno.h>
#include <getopt.h>
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

enum { EXIT_OK = 0, EXIT_QMP_ERROR = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3 };

static const char usage[] =
    "usage: kvmemctl [-s SOCKET] [--json] [--timeout SECS] [--retry SECS] COMMAND [ARGS...]\n"
    "  COMMAND: NAME [KEY=VALUE...] | hmp 'LINE' | raw 'JSON' | wait-event [NAME...] | events\n"
    "  SOCKET: PATH, unix:PATH or tcp:HOST:PORT (default: $KVMEMCTL_SOCKET)\n"
    "  --json     print the result as one line of JSON\n"
    "  --timeout  give up after SECS seconds (exit 3); commands default to 60\n"
    "  --retry    keep trying to connect for SECS seconds (kvmem may be starting)\n";

static struct {
	const char *socket;
	bool json;
	double timeout; /* < 0: none */
	double retry;
	int fd;
	char buf[1 << 16];
	size_t len;
	double deadline;
} g = {.timeout = -1, .fd = -1};

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("kvmemctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- connection ---- */

static int try_connect(void)
{
	const char *s = g.socket;

	if (!strncmp(s, "tcp:", 4)) {
		char host[256];
		const char *colon = strrchr(s + 4, ':');
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
		struct addrinfo *res, *ai;
		int fd = -1;

		if (!colon || (size_t)(colon - (s + 4)) >= sizeof(host))
			die(EXIT_USAGE, "'%s': expected tcp:HOST:PORT", s);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - (s + 4)), s + 4);
		if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res))
			die(EXIT_USAGE, "'%s': cannot resolve the address", s);
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(res);
		return fd;
	}
	if (!strncmp(s, "unix:", 5))
		s += 5;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(s) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path '%s' is too long", s);
	strcpy(sa.sun_path, s);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void connect_socket(void)
{
	double give_up = now() + g.retry;

	for (;;) {
		g.fd = try_connect();
		if (g.fd >= 0)
			return;
		if (now() >= give_up)
			die(EXIT_USAGE, "cannot connect to '%s': %s", g.socket, strerror(errno));
		usleep(100 * 1000);
	}
}

static void send_text(const char *text, size_t n)
{
	while (n) {
		ssize_t w = send(g.fd, text, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_USAGE, "sending to kvmem: %s", strerror(errno));
		}
		text += w;
		n -= (size_t)w;
	}
}

/* A message and its line end in one send: kvmem acts on a complete JSON
 * object before the newline arrives, so after "quit" it may be gone before
 * a second send, which would then fail with EPIPE. */
static void send_line(const char *text)
{
	size_t n = strlen(text);
	char *line = malloc(n + 1);

	if (!line)
		die(EXIT_USAGE, "out of memory");
	memcpy(line, text, n);
	line[n] = '\n';
	send_text(line, n + 1);
	free(line);
}

static void send_json(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (!text)
		die(EXIT_USAGE, "out of memory");
	send_line(text);
	free(text);
	json_decref(msg);
}

/* The next line from kvmem (QMP sends one message per line), without its
 * line end, in a static buffer; NULL when the connection closed. */
static char *read_line(void)
{
	static char line[sizeof(g.buf) + 1];

	for (;;) {
		char *nl = memchr(g.buf, '\n', g.len);

		if (nl) {
			size_t n = (size_t)(nl - g.buf);

			memcpy(line, g.buf, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			memmove(g.buf, nl + 1, g.len - n - 1);
			g.len -= n + 1;
			return line;
		}
		if (g.len == sizeof(g.buf))
			die(EXIT_USAGE, "a message from kvmem is longer than %zu bytes",
			    sizeof(g.buf));

		struct pollfd pfd = {.fd = g.fd, .events = POLLIN};
		int wait_ms = -1;
		if (g.deadline > 0) {
			double left = g.deadline - now();

			if (left <= 0)
				die(EXIT_TIMEOUT, "gave up after %g seconds (--timeout)",
				    g.timeout);
			wait_ms = (int)(left * 1000) + 1;
		}
		int r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* the deadline check above ends it */
		ssize_t n = recv(g.fd, g.buf + g.len, sizeof(g.buf) - g.len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		g.len += (size_t)n;
	}
}

static json_t *read_message(void)
{
	char *line;

	while ((line = read_line())) {
		json_error_t jerr;
		json_t *msg;

		if (!line[0])
			continue;
		msg = json_loads(line, 0, &jerr);
		if (!msg)
			die(EXIT_USAGE, "kvmem sent something that is not JSON: %s", jerr.text);
		return msg;
	}
	return NULL;
}

/* The answer to the request just sent, skipping events; the connection
 * closing first is an error unless quitting (kvmem may go before). */
static json_t *read_answer(bool eof_ok)
{
	json_t *msg;

	while ((msg = read_message())) {
		if (json_object_get(msg, "return") || json_object_get(msg, "error"))
			return msg;
		json_decref(msg);
	}
	if (eof_ok)
		return NULL;
	die(EXIT_USAGE, "kvmem closed the connection without an answer");
}

static void negotiate(void)
{
	json_t *greeting = read_message(), *rsp;

	if (!greeting || !json_object_get(greeting, "QMP"))
		die(EXIT_USAGE, "'%s' did not greet as a QMP server", g.socket);
	json_decref(greeting);
	send_json(json_pack("{s:s}", "execute", "qmp_capabilities"));
	rsp = read_answer(false);
	if (!json_object_get(rsp, "return"))
		die(EXIT_USAGE, "capabilities negotiation failed");
	json_decref(rsp);
}

/* ---- output ---- */

static void print_scalar(json_t *v)
{
	if (json_is_string(v)) {
		fputs(json_string_value(v), stdout);
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY);

		fputs(t ? t : "?", stdout);
		free(t);
	}
}

static bool is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static bool scalar_list(json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(v, i, e) if (!is_scalar(e)) return false;
	return true;
}

static void print_list(json_t *list, int indent);

/* The members of obj as "key: value" lines at indent; the first one
 * continues the current line when first_inline (after a list's "- "). */
static void print_object(json_t *obj, int indent, bool first_inline)
{
	const char *key;
	json_t *e;
	bool first = true;

	json_object_foreach(obj, key, e)
	{
		if (!(first && first_inline))
			printf("%*s", indent, "");
		first = false;
		printf("%s:", key);
		if (is_scalar(e)) {
			putchar(' ');
			print_scalar(e);
			putchar('\n');
		} else if (json_is_array(e) && scalar_list(e)) {
			for (size_t i = 0; i < json_array_size(e); i++) {
				fputs(i ? ", " : " ", stdout);
				print_scalar(json_array_get(e, i));
			}
			putchar('\n');
		} else if (json_is_object(e)) {
			putchar('\n');
			print_object(e, indent + 2, false);
		} else {
			putchar('\n');
			print_list(e, indent + 2);
		}
	}
	if (first && first_inline)
		puts("{}");
}

/* One "- item" per element; objects continue on the item's line. */
static void print_list(json_t *list, int indent)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		printf("%*s- ", indent, "");
		if (is_scalar(e)) {
			print_scalar(e);
			putchar('\n');
		} else if (json_is_object(e)) {
			print_object(e, indent + 2, true);
		} else {
			putchar('\n');
			print_list(e, indent + 2);
		}
	}
}

/* For people: key: value lines, nested values indented, list items "- ". */
static void print_human(json_t *v)
{
	if (json_is_object(v)) {
		print_object(v, 0, false);
	} else if (json_is_array(v)) {
		print_list(v, 0);
	} else {
		print_scalar(v);
		putchar('\n');
	}
}

static void print_json(json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	puts(t ? t : "null");
	free(t);
}

static void print_event(json_t *ev)
{
	json_t *data = json_object_get(ev, "data"), *ts = json_object_get(ev, "timestamp");
	const char *key;
	json_t *v;

	if (g.json) {
		print_json(ev);
	} else {
		printf("%s", json_string_value(json_object_get(ev, "event")));
		json_object_foreach(data, key, v)
		{
			printf(" %s=", key);
			print_scalar(v);
		}
		printf(" (at %lld.%06lld)\n",
		       (long long)json_integer_value(json_object_get(ts, "seconds")),
		       (long long)json_integer_value(json_object_get(ts, "microseconds")));
	}
	fflush(stdout);
}

/* The monitor's text, its "\r\n" line ends made "\n" for a terminal. */
static void print_text(const char *s)
{
	for (; *s; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			putchar(*s);
}

/* Print a command's answer; returns the exit status. */
static int report(json_t *rsp)
{
	json_t *ret = json_object_get(rsp, "return"), *error = json_object_get(rsp, "error");

	if (error) {
		fprintf(stderr, "kvmemctl: %s: %s\n",
			json_string_value(json_object_get(error, "class")),
			json_string_value(json_object_get(error, "desc")));
		if (g.json)
			print_json(rsp);
		return EXIT_QMP_ERROR;
	}
	if (g.json)
		print_json(ret);
	else if (json_is_string(ret))
		print_text(json_string_value(ret));
	else if (!(json_is_object(ret) && !json_object_size(ret)))
		print_human(ret);
	return EXIT_OK;
}

/* ---- commands ---- */

static json_t *parse_args(int argc, char **argv)
{
	json_t *args = json_object();

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		json_t *v;

		if (!eq || eq == argv[i])
			die(EXIT_USAGE, "argument '%s' is not KEY=VALUE", argv[i]);
		*eq = '\0';
		v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		if (!v)
			v = json_string(eq + 1);
		if (!v)
			die(EXIT_USAGE, "argument '%s' is not valid UTF-8", argv[i]);
		json_object_set_new(args, argv[i], v);
	}
	return args;
}

static int run_command(const char *name, json_t *args)
{
	json_t *req = json_pack("{s:s, s:s}", "execute", name, "id", "kvmemctl"), *rsp;
	int status;

	if (json_object_size(args))
		json_object_set(req, "arguments", args);
	json_decref(args);
	send_json(req);
	rsp = read_answer(!strcmp(name, "quit"));
	if (!rsp)
		return EXIT_OK; /* quit: kvmem went before answering, as QEMU may */
	status = report(rsp);
	json_decref(rsp);
	return status;
}

static int run_raw(const char *text)
{
	char *line;

	send_line(text);
	while ((line = read_line())) {
		json_t *msg = json_loads(line, 0, NULL);
		bool event = msg && json_object_get(msg, "event");
		bool error = msg && json_object_get(msg, "error");

		json_decref(msg);
		if (event || !line[0])
			continue;
		puts(line);
		return error ? EXIT_QMP_ERROR : EXIT_OK;
	}
	die(EXIT_USAGE, "kvmem closed the connection without an answer");
}

static int wait_events(char **names, int n, bool forever)
{
	json_t *msg;

	while ((msg = read_message())) {
		const char *ev = json_string_value(json_object_get(msg, "event"));
		bool wanted = ev && (n == 0 || forever);

		for (int i = 0; ev && i < n && !wanted; i++)
			wanted = !strcmp(names[i], ev);
		if (wanted)
			print_event(msg);
		json_decref(msg);
		if (wanted && !forever)
			return EXIT_OK;
	}
	if (forever)
		return EXIT_OK;
	die(EXIT_USAGE, "kvmem closed the connection before the event came");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'}, {"retry", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},	       {0},
	};
	const char *cmd;
	bool waits;
	int opt;

	g.socket = getenv("KVMEMCTL_SOCKET");
	while ((opt = getopt_long(argc, argv, "+s:jt:r:h", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 's':
			g.socket = optarg;
			break;
		case 'j':
			g.json = true;
			break;
		case 't':
		case 'r':
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || *end || v < 0)
				die(EXIT_USAGE, "--%s: '%s' is not a number of seconds",
				    opt == 't' ? "timeout" : "retry", optarg);
			*(opt == 't' ? &g.timeout : &g.retry) = v;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!g.socket)
		die(EXIT_USAGE, "no socket: give -s SOCKET or set KVMEMCTL_SOCKET");
	cmd = argv[optind++];
	waits = !strcmp(cmd, "wait-event") || !strcmp(cmd, "events");
	if (!strcmp(cmd, "hmp") || !strcmp(cmd, "raw")) {
		if (argc - optind != 1)
			die(EXIT_USAGE, "%s takes one argument (quote it)", cmd);
	}
	if (g.timeout < 0 && !waits)
		g.timeout = 60;

	connect_socket();
	if (g.timeout >= 0)
		g.deadline = now() + g.timeout;
	negotiate();
	if (!strcmp(cmd, "hmp"))
		return run_command("human-monitor-command",
				   json_pack("{s:s}", "command-line", argv[optind]));
	if (!strcmp(cmd, "raw"))
		return run_raw(argv[optind]);
	if (!strcmp(cmd, "wait-event"))
		return wait_events(argv + optind, argc - optind, false);
	if (!strcmp(cmd, "events"))
		return wait_events(NULL, 0, true);
	return run_command(cmd, parse_args(argc - optind, argv + optind));
}
