/* config.c - QEMU-compatible command line parsing.
 *
 * The options are a table (name, argument, handler, help line): adding an
 * option is one row and one function, and --help is printed from the same
 * rows so it cannot drift from what is accepted.
 *
 * Parsing runs in two steps, like QEMU.  Each option is checked on its own
 * as it is met (syntax, numbers, known keys); values given more than once
 * merge key by key, the last one winning, as QEMU's keyval_merge does for
 * -m and -smp.  After the last argument, finish() applies the checks that
 * need the whole command line: -m size/maxmem/slots, the -smp topology,
 * -kernel being present and readable.  Semantics follow QEMU 7.2 for the
 * pc machine; docs/cli.md lists where kvmem deliberately differs.
 */
#include "config/config.h"
#include "config/device.h"
#include "config/kv.h"
#include "config/object.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MiB (1ULL << 20)
#define RAM_ALIGN 8192ULL /* QEMU aligns -m size up to 8 KiB */

enum smp_key {
	SMP_CPUS,
	SMP_SOCKETS,
	SMP_DIES,
	SMP_CLUSTERS,
	SMP_CORES,
	SMP_THREADS,
	SMP_MAXCPUS,
	SMP_NKEYS,
};

/* The keys QEMU 7.2 accepts in -smp, in enum smp_key order; clusters
 * exists there but the pc machine only takes 1, so kvmem does the same. */
static const char *const smp_keys[SMP_NKEYS] = {"cpus",	 "sockets", "dies",   "clusters",
						"cores", "threads", "maxcpus"};

/* A value seen on the command line: the number, and its text for messages. */
struct seen {
	bool given;
	uint64_t val;
	const char *raw; /* points into a scratch buffer or argv */
};

struct parser {
	struct config *cfg;
	struct seen mem_size, mem_maxmem, mem_slots;
	struct seen smp[SMP_NKEYS];
	const char *smp_arg; /* last -smp argument, for topology messages */
	unsigned smp_count;
	const char *serial_arg; /* the -serial already given, if any */
	char **scratch;		/* unescaped copies of key=value arguments */
	size_t nscratch;
};

/* ---- numbers ---- */

static uint64_t suffix_mul(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'B':
		return 1;
	case 'K':
		return 1ULL << 10;
	case 'M':
		return 1ULL << 20;
	case 'G':
		return 1ULL << 30;
	case 'T':
		return 1ULL << 40;
	case 'P':
		return 1ULL << 50;
	case 'E':
		return 1ULL << 60;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return toupper((unsigned char)c) - 'A' + 10;
}

/* floor(0.<digits> * unit), exact for any number of digits: working from
 * the last digit, floor((d * unit + floor(rest)) / 10) equals
 * floor((d * unit + rest) / 10), so no precision is lost on the way. */
static uint64_t fraction_bytes(const char *digits, size_t n, uint64_t unit)
{
	unsigned __int128 acc = 0;

	while (n--)
		acc = ((unsigned __int128)(digits[n] - '0') * unit + acc) / 10;
	return (uint64_t)acc;
}

int config_parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	const char *p = s, *frac = NULL;
	size_t nfrac = 0;
	uint64_t val = 0, unit = default_unit, bytes;
	bool digits = false, range = false, frac_nonzero = false;

	if (!s || default_unit == 0)
		return -EINVAL;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		/* QEMU takes hex sizes as plain numbers only: 0x20M is refused */
		for (p += 2; isxdigit((unsigned char)*p); p++) {
			digits = true;
			if (val >> 60)
				range = true;
			val = val << 4 | (uint64_t)hexval(*p);
		}
		if (!digits || *p)
			return -EINVAL;
	} else {
		for (; isdigit((unsigned char)*p); p++) {
			digits = true;
			if (__builtin_mul_overflow(val, 10, &val) ||
			    __builtin_add_overflow(val, (uint64_t)(*p - '0'), &val))
				range = true;
		}
		if (*p == '.') {
			frac = ++p;
			for (; isdigit((unsigned char)*p); p++)
				frac_nonzero |= *p != '0';
			nfrac = (size_t)(p - frac);
		}
		/* QEMU reads the integer part with qemu_strtou64 first, so a
		 * size needs a digit before any fraction: ".5M" is refused */
		if (!digits)
			return -EINVAL;
		if (*p) {
			unit = suffix_mul(*p++);
			if (!unit || *p)
				return -EINVAL;
		}
		/* "1.5" bytes has no meaning; QEMU wants a unit for a fraction */
		if (frac_nonzero && unit == 1)
			return -EINVAL;
	}
	if (range || __builtin_mul_overflow(val, unit, &bytes))
		return -ERANGE;
	if (nfrac && __builtin_add_overflow(bytes, fraction_bytes(frac, nfrac, unit), &bytes))
		return -ERANGE;
	*out = bytes;
	return 0;
}

/* A QEMU number (QEMU_OPT_NUMBER): strtoull base 0, so 0x10 and 010 (octal)
 * are accepted as QEMU does; no sign, no blanks. */
bool id_wellformed(const char *id)
{
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *c = id + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-._", *c))
			return false;
	return true;
}

int parse_number(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

/* ---- key=value lists (QemuOpts syntax) ---- */

/* Elements are separated by ',', ",," is a literal comma, and a first
 * element without '=' is the value of the implied key ("-m 4G" is
 * "-m size=4G").  A trailing ',' ends the list, as in QEMU. */
bool kv_next(struct kv_iter *it, struct kv *kv)
{
	char *start = it->out, *eq = NULL;
	bool first = it->first;

	if (!*it->p && !first)
		return false;
	it->first = false;
	while (*it->p) {
		if (*it->p == ',') {
			if (it->p[1] != ',') {
				it->p++;
				break;
			}
			it->p++;
		} else if (*it->p == '=' && !eq) {
			eq = it->out;
		}
		*it->out++ = *it->p++;
	}
	*it->out++ = '\0';
	if (eq) {
		*eq = '\0';
		kv->key = start;
		kv->val = eq + 1;
	} else if (first && it->implied) {
		kv->key = it->implied;
		kv->val = start;
	} else {
		kv->key = start;
		kv->val = NULL;
	}
	return true;
}

/* Start iterating over arg; the unescaped copy lives until parsing ends. */
static int kv_begin(struct parser *p, const char *opt, const char *arg, const char *implied,
		    struct kv_iter *it, struct kverr *err)
{
	char **grown, *buf;

	buf = malloc(strlen(arg) + 1);
	grown = realloc(p->scratch, (p->nscratch + 1) * sizeof(*grown));
	if (!buf || !grown) {
		free(buf);
		if (grown)
			p->scratch = grown;
		return kverr_set(err, ENOMEM, "%s: out of memory", opt);
	}
	p->scratch = grown;
	p->scratch[p->nscratch++] = buf;
	/* An empty value is an empty list, as QemuOpts parses it: -m '' and
	 * -smp '' change nothing (while -m , has one empty element). */
	*it = (struct kv_iter){.p = arg, .out = buf, .implied = implied, .first = *arg != '\0'};
	return 0;
}

int kv_need_value(const char *opt, const struct kv *kv, struct kverr *err)
{
	if (kv->val)
		return 0;
	return kverr_set(err, EINVAL, "%s: parameter '%s' needs a value", opt, kv->key);
}

/* ---- option handlers ---- */

static const char size_help[] = "expected a non-negative number below 2^64 with an optional suffix "
				"B, K, M, G, T, P or E";

static int size_error(int ret, const char *what, const char *raw, struct kverr *err)
{
	if (ret == -ERANGE)
		return kverr_set(err, EINVAL, "-m: %s '%s' is too large", what, raw);
	return kverr_set(err, EINVAL, "-m: invalid %s '%s': %s", what, raw, size_help);
}

/* -m size: checked with bytes as the unit first, as QEMU's QemuOpts does,
 * so "-m 1.5" is refused; then a value ending in a digit is re-read in MiB
 * (QEMU's "legacy suffix-less format"). */
static int mem_size(const char *raw, uint64_t *out, struct kverr *err)
{
	uint64_t sz;
	int ret;

	ret = config_parse_size(raw, 1, &sz);
	if (!ret && isdigit((unsigned char)raw[strlen(raw) - 1]))
		ret = config_parse_size(raw, MiB, &sz);
	if (ret)
		return size_error(ret, "size", raw, err);
	/* QEMU quietly turns 0 into its 128M default; kvmem refuses it */
	if (sz == 0)
		return kverr_set(err, EINVAL, "-m: invalid size '%s': must be greater than 0", raw);
	if (sz > UINT64_MAX - (RAM_ALIGN - 1))
		return kverr_set(err, EINVAL, "-m: size '%s' is too large", raw);
	*out = (sz + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);
	return 0;
}

static int opt_m(struct parser *p, const char *arg, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	int ret;

	ret = kv_begin(p, "-m", arg, "size", &it, err);
	while (!ret && kv_next(&it, &kv)) {
		struct seen *s;

		if (!strcmp(kv.key, "size"))
			s = &p->mem_size;
		else if (!strcmp(kv.key, "maxmem"))
			s = &p->mem_maxmem;
		else if (!strcmp(kv.key, "slots"))
			s = &p->mem_slots;
		else
			return kverr_set(err, EINVAL, "-m: unsupported parameter '%s' in '%s'",
					 kv.key, arg);
		ret = kv_need_value("-m", &kv, err);
		if (ret)
			break;
		s->given = true;
		s->raw = kv.val;
		if (s == &p->mem_size) {
			ret = mem_size(kv.val, &s->val, err);
		} else if (s == &p->mem_maxmem) {
			/* a plain maxmem is bytes: QEMU feeds it to qemu_strtosz */
			ret = config_parse_size(kv.val, 1, &s->val);
			if (ret)
				ret = size_error(ret, "maxmem", kv.val, err);
		} else {
			ret = parse_number(kv.val, &s->val);
			if (ret)
				ret =
				    kverr_set(err, EINVAL,
					      "-m: invalid slots '%s': expected a number", kv.val);
			else if (s->val > CONFIG_MAX_SLOTS)
				ret = kverr_set(
				    err, EINVAL,
				    "-m: slots=%s is more than the %d memory slots kvmem supports",
				    kv.val, CONFIG_MAX_SLOTS);
		}
	}
	return ret;
}

static int opt_smp(struct parser *p, const char *arg, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	int ret;

	ret = kv_begin(p, "-smp", arg, "cpus", &it, err);
	if (!*arg) /* changes nothing, so messages name the -smp that did */
		return ret;
	p->smp_arg = arg;
	p->smp_count++;
	while (!ret && kv_next(&it, &kv)) {
		struct seen *s = NULL;

		for (int i = 0; i < SMP_NKEYS; i++)
			if (!strcmp(kv.key, smp_keys[i]))
				s = &p->smp[i];
		if (!s)
			return kverr_set(err, EINVAL, "-smp: unsupported parameter '%s' in '%s'",
					 kv.key, arg);
		ret = kv_need_value("-smp", &kv, err);
		if (ret)
			break;
		ret = parse_number(kv.val, &s->val);
		if (ret == -ERANGE || (!ret && s->val > UINT32_MAX))
			return kverr_set(err, EINVAL, "-smp: %s '%s' is too large", kv.key, kv.val);
		if (ret)
			return kverr_set(err, EINVAL, "-smp: invalid %s '%s': expected a number",
					 kv.key, kv.val);
		/* QEMU 7.2 warned and ignored 0; since 9.0 it is an error */
		if (s->val == 0)
			return kverr_set(err, EINVAL,
					 "-smp %s: Invalid CPU topology: CPU topology parameters "
					 "must be greater than zero (%s=0)",
					 arg, kv.key);
		s->given = true;
		s->raw = kv.val;
	}
	return ret;
}

static int opt_name(struct parser *p, const char *arg, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	int ret;

	ret = kv_begin(p, "-name", arg, "guest", &it, err);
	while (!ret && kv_next(&it, &kv)) {
		char *copy;

		/* kvmem always names its vCPU threads (vcpuN): debug-threads
		 * has nothing to switch, either way */
		if (!strcmp(kv.key, "debug-threads") && kv.val &&
		    (!strcmp(kv.val, "on") || !strcmp(kv.val, "off")))
			continue;
		if (strcmp(kv.key, "guest"))
			return kverr_set(err, EINVAL, "-name: unsupported parameter '%s' in '%s'",
					 kv.key, arg);
		ret = kv_need_value("-name", &kv, err);
		if (ret)
			break;
		copy = strdup(kv.val);
		if (!copy)
			return kverr_set(err, ENOMEM, "-name: out of memory");
		free(p->cfg->name_buf);
		p->cfg->name_buf = copy;
		p->cfg->name = copy;
	}
	return ret;
}

static int opt_serial(struct parser *p, const char *arg, struct kverr *err)
{
	struct config *cfg = p->cfg;

	if (p->serial_arg)
		return kverr_set(err, EINVAL,
				 "-serial %s: kvmem has one serial port, already set by -serial %s",
				 arg, p->serial_arg);
	if (!strcmp(arg, "stdio")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(arg, "none")) {
		cfg->serial = SERIAL_NONE;
	} else if (!strncmp(arg, "file:", 5)) {
		if (!arg[5])
			return kverr_set(err, EINVAL, "-serial: '%s' needs a path after 'file:'",
					 arg);
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = arg + 5;
	} else {
		return kverr_set(err, EINVAL,
				 "-serial: unsupported backend '%s' (kvmem supports stdio, "
				 "file:PATH and none)",
				 arg);
	}
	p->serial_arg = arg;
	return 0;
}

static int opt_kernel(struct parser *p, const char *arg, struct kverr *err)
{
	(void)err;
	p->cfg->kernel = arg;
	return 0;
}

static int opt_initrd(struct parser *p, const char *arg, struct kverr *err)
{
	(void)err;
	p->cfg->initrd = arg;
	return 0;
}

static int opt_append(struct parser *p, const char *arg, struct kverr *err)
{
	(void)err;
	p->cfg->append = arg;
	return 0;
}

static int opt_nographic(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->nographic = true;
	return 0;
}

static int opt_no_reboot(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->on.reboot = CONFIG_REBOOT_SHUTDOWN;
	return 0;
}

static int opt_no_shutdown(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->on.shutdown = CONFIG_SHUTDOWN_PAUSE;
	return 0;
}

/* QEMU 7.2's values for each -action key, in the enums' order. */
static const char *const reboot_actions[] = {"reset", "shutdown", NULL};
static const char *const shutdown_actions[] = {"poweroff", "pause", NULL};
static const char *const panic_actions[] = {"pause", "shutdown", "exit-failure", "none", NULL};
static const char *const watchdog_actions[] = {"reset", "shutdown", "poweroff",	  "pause",
					       "debug", "none",	    "inject-nmi", NULL};

/* -action reboot=reset|shutdown,shutdown=poweroff|pause,panic=...,watchdog=...
 * with QEMU's messages; an empty list changes nothing, as in QEMU. */
static int opt_action(struct parser *p, const char *arg, struct kverr *err)
{
	static const struct {
		const char *key;
		const char *const *values;
	} keys[] = {
	    {"reboot", reboot_actions},
	    {"shutdown", shutdown_actions},
	    {"panic", panic_actions},
	    {"watchdog", watchdog_actions},
	};
	/* in keys[] order; each enum's values are its list's indexes */
	unsigned set[] = {p->cfg->on.reboot, p->cfg->on.shutdown, p->cfg->on.panic,
			  p->cfg->on.watchdog};
	struct kv_iter it;
	struct kv kv;
	int ret;

	if (!*arg)
		return 0;
	ret = kv_begin(p, "-action", arg, NULL, &it, err);
	if (ret)
		return ret;
	while (kv_next(&it, &kv)) {
		const char *val = kv.val ? kv.val : "on"; /* QEMU's short-form boolean */
		size_t k, v;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k].key, kv.key); k++)
			;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return kverr_set(err, EINVAL, "-action %s: Invalid parameter '%s'", arg,
					 kv.key);
		for (v = 0; keys[k].values[v] && strcmp(keys[k].values[v], val); v++)
			;
		if (!keys[k].values[v])
			return kverr_set(err, EINVAL,
					 "-action %s: Parameter '%s' does not accept value '%s'",
					 arg, kv.key, val);
		set[k] = (unsigned)v;
	}
	p->cfg->on = (struct config_run_actions){
	    .reboot = set[0], .shutdown = set[1], .panic = set[2], .watchdog = set[3]};
	return 0;
}

/* -qmp and -monitor: QEMU's character device spellings for a listening
 * socket or stdio (qemu_chr_parse_compat), with server=on|off,
 * wait=on|off and QEMU 7.2's legacy bare "server" and "nowait". */
static int monitor_opts(struct parser *p, const char *opt, const char *arg, const char *rest,
			struct config_monitor *mon, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	bool server = false;
	int ret;

	mon->wait = true;
	ret = kv_begin(p, opt, rest, NULL, &it, err);
	if (ret)
		return ret;
	kv_next(&it, &kv); /* the address, already taken apart by the caller */
	while (kv_next(&it, &kv)) {
		bool *flag, on;

		if (!kv.val && !strcmp(kv.key, "server")) {
			server = true;
			continue;
		}
		if (!kv.val && !strcmp(kv.key, "nowait")) {
			mon->wait = false;
			continue;
		}
		if (!strcmp(kv.key, "server"))
			flag = &server;
		else if (!strcmp(kv.key, "wait"))
			flag = &mon->wait;
		else
			return kverr_set(err, EINVAL, "%s: unsupported parameter '%s' in '%s'", opt,
					 kv.key, arg);
		if (!kv.val || (strcmp(kv.val, "on") && strcmp(kv.val, "off")))
			return kverr_set(err, EINVAL,
					 "%s: parameter '%s' expects 'on' or 'off' in '%s'", opt,
					 kv.key, arg);
		on = !strcmp(kv.val, "on");
		*flag = on;
	}
	if (!server)
		return kverr_set(err, EINVAL,
				 "%s %s: kvmem only listens for clients; add server=on "
				 "(and wait=off to start the guest at once)",
				 opt, arg);
	return 0;
}

static int opt_monitor_common(struct parser *p, const char *opt, enum monitor_mode mode,
			      const char *arg, struct kverr *err)
{
	struct config *cfg = p->cfg;
	struct config_monitor mon = {.mode = mode, .spec = arg, .fd = -1};
	char first[512];
	size_t n;
	int ret;

	if (!strcmp(arg, "none"))
		return 0;
	if (cfg->nr_monitors == CONFIG_MAX_MONITORS)
		return kverr_set(err, EINVAL, "%s %s: more than %d monitors", opt, arg,
				 CONFIG_MAX_MONITORS);
	if (!strcmp(arg, "stdio")) {
		mon.kind = CHARDEV_STDIO;
		cfg->monitor[cfg->nr_monitors++] = mon;
		return 0;
	}
	/* The address is the first comma-separated element, ",," escaped. */
	n = 0;
	for (const char *q = arg; *q; q++) {
		if (*q == ',') {
			if (q[1] != ',')
				break;
			q++;
		}
		if (n == sizeof(first) - 1)
			return kverr_set(err, EINVAL, "%s: address '%.40s...' is too long", opt,
					 arg);
		first[n++] = *q;
	}
	first[n] = '\0';
	if (!strncmp(first, "unix:", 5)) {
		mon.kind = CHARDEV_UNIX;
		if (!first[5])
			return kverr_set(err, EINVAL, "%s %s: 'unix:' needs a path", opt, arg);
		if (strlen(first + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return kverr_set(err, EINVAL,
					 "%s: socket path '%s' is longer than the %zu bytes a "
					 "unix socket address holds",
					 opt, first + 5,
					 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		mon.path = strdup(first + 5);
		if (!mon.path)
			return kverr_set(err, ENOMEM, "%s: out of memory", opt);
	} else if (!strncmp(first, "tcp:", 4)) {
		char *colon = strrchr(first + 4, ':');
		uint64_t port;

		mon.kind = CHARDEV_TCP;
		if (!colon)
			return kverr_set(err, EINVAL, "%s %s: expected tcp:HOST:PORT", opt, arg);
		*colon = '\0';
		if (parse_number(colon + 1, &port) || port == 0 || port > 65535)
			return kverr_set(err, EINVAL,
					 "%s %s: port '%s' is not a number from 1 to 65535", opt,
					 arg, colon + 1);
		mon.host = strdup(first + 4);
		mon.port = strdup(colon + 1);
		if (!mon.host || !mon.port) {
			free(mon.host);
			free(mon.port);
			return kverr_set(err, ENOMEM, "%s: out of memory", opt);
		}
	} else {
		return kverr_set(err, EINVAL,
				 "%s: unsupported character device '%s' (kvmem supports stdio, "
				 "unix:PATH,server=on and tcp:HOST:PORT,server=on)",
				 opt, arg);
	}
	/* Stored first, so that config_free releases it if the options fail. */
	cfg->monitor[cfg->nr_monitors++] = mon;
	ret = monitor_opts(p, opt, arg, arg, &cfg->monitor[cfg->nr_monitors - 1], err);
	return ret;
}

static int opt_qmp(struct parser *p, const char *arg, struct kverr *err)
{
	return opt_monitor_common(p, "-qmp", MONITOR_QMP, arg, err);
}

static int opt_monitor(struct parser *p, const char *arg, struct kverr *err)
{
	return opt_monitor_common(p, "-monitor", MONITOR_HMP, arg, err);
}

static int opt_start_paused(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->start_paused = true;
	return 0;
}

static int opt_numa(struct parser *p, const char *arg, struct kverr *err)
{
	return config_numa_parse(&p->cfg->numa, arg, err);
}

static int opt_print_layout(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->print_layout = true;
	return 0;
}

static int opt_object(struct parser *p, const char *arg, struct kverr *err)
{
	return config_object_parse(p->cfg, arg, err);
}

static int opt_machine(struct parser *p, const char *arg, struct kverr *err)
{
	return config_machine_parse(p->cfg, arg, err);
}

static int opt_device(struct parser *p, const char *arg, struct kverr *err)
{
	return config_device_parse(p->cfg, arg, err);
}

static int opt_nodefaults(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->compat.nodefaults = true;
	return 0;
}

static int opt_no_user_config(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->compat.no_user_config = true; /* kvmem reads no configuration file */
	return 0;
}

static int opt_daemonize(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->compat.daemonize = true;
	return 0;
}

/* Options whose handler takes the config alone (compat.c, chardev.c). */
#define CFG_HANDLER(fn)                                                                            \
	static int opt_##fn(struct parser *p, const char *arg, struct kverr *err)                  \
	{                                                                                          \
		return config_##fn(p->cfg, arg, err);                                              \
	}
CFG_HANDLER(compat_accel)
CFG_HANDLER(compat_pidfile)
CFG_HANDLER(compat_uuid)
CFG_HANDLER(compat_display)
CFG_HANDLER(compat_rtc)
CFG_HANDLER(compat_boot)
CFG_HANDLER(compat_msg)
CFG_HANDLER(compat_overcommit)
CFG_HANDLER(compat_audiodev)
CFG_HANDLER(compat_cpu)
CFG_HANDLER(compat_sandbox)
CFG_HANDLER(compat_no_acpi)
CFG_HANDLER(chardev_parse)
CFG_HANDLER(mon_parse)
CFG_HANDLER(add_fd_parse)

static int opt_help(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->action = CONFIG_HELP;
	return 0;
}

static int opt_version(struct parser *p, const char *arg, struct kverr *err)
{
	(void)arg;
	(void)err;
	p->cfg->action = CONFIG_VERSION;
	return 0;
}

struct option {
	const char *name; /* without the dash */
	bool has_arg;
	int (*handle)(struct parser *p, const char *arg, struct kverr *err);
	const char *synopsis; /* NULL: an alias, left out of --help */
	const char *help;
};

static const struct option options[] = {
    {"h", false, opt_help, "-h, -help", "display this help and exit"},
    {"help", false, opt_help, NULL, NULL},
    {"version", false, opt_version, "-version", "display version information and exit"},
    {"m", true, opt_m, "-m [size=]megs[,slots=n,maxmem=size]",
     "guest RAM (default 128M); plain megs in MiB, suffixes B K M G T P E"},
    {"smp", true, opt_smp, "-smp [[cpus=]n][,maxcpus=n][,sockets=n][,dies=n][,cores=n][,threads=n]",
     "vCPUs at boot and their topology (default 1)"},
    {"kernel", true, opt_kernel, "-kernel bzImage", "use 'bzImage' as kernel image (required)"},
    {"append", true, opt_append, "-append cmdline", "use 'cmdline' as kernel command line"},
    {"initrd", true, opt_initrd, "-initrd file", "use 'file' as initial ram disk"},
    {"serial", true, opt_serial, "-serial stdio|file:path|none",
     "redirect the serial port (default stdio)"},
    {"nographic", false, opt_nographic, "-nographic",
     "no graphical output, serial on stdio (kvmem has no display)"},
    {"name", true, opt_name, "-name [guest=]name", "set the name of the guest"},
    {"no-reboot", false, opt_no_reboot, "-no-reboot",
     "exit instead of rebooting (-action reboot=shutdown)"},
    {"no-shutdown", false, opt_no_shutdown, "-no-shutdown",
     "stop, not exit, when the guest powers off (-action shutdown=pause)"},
    {"action", true, opt_action,
     "-action reboot=reset|shutdown,shutdown=poweroff|pause,panic=...,watchdog=...",
     "what the guest's reboot and power-off do (docs/cli.md)"},
    {"numa", true, opt_numa,
     "-numa node[,nodeid=n][,cpus=a[-b]][,mem=size|memdev=id][,initiator=n]",
     "a guest NUMA node; also -numa dist,src=,dst=,val= / cpu,node-id=,... / hmat-lb / "
     "hmat-cache (docs/numa.md)"},
    {"print-layout", false, opt_print_layout, "-print-layout",
     "print the resolved plan (memory map, NUMA nodes, e820, CPUs) and exit"},
    {"object", true, opt_object, "-object memory-backend-{ram|memfd|file},id=ID,size=SIZE[,...]",
     "host memory backend (docs/memory-backends.md)"},
    {"machine", true, opt_machine,
     "-machine [type=]pc|none[,memory-backend=ID][,hmat=on|off][,accel=kvm]",
     "machine options; memory-backend backs guest RAM with -object ID, hmat=on adds an ACPI "
     "HMAT; none is a QMP-only process without a guest"},
    {"M", true, opt_machine, NULL, NULL},
    {"S", false, opt_start_paused, "-S", "do not start the vCPUs until 'cont' (QMP or monitor)"},
    {"qmp", true, opt_qmp, "-qmp dev",
     "QMP on dev: unix:PATH,server=on[,wait=off], tcp:HOST:PORT,server=on[,wait=off] or stdio"},
    {"monitor", true, opt_monitor, "-monitor dev",
     "human monitor on dev (same forms as -qmp, or none)"},
    {"device", true, opt_device, "-device driver[,prop=value][,...]",
     "add a device; -device help lists the drivers, -device driver,help its properties"},
    {"chardev", true, opt_chardev_parse, "-chardev socket|file|pty|null|stdio,id=ID[,...]",
     "a character device for -mon or a device's chardev= (docs/cli.md)"},
    {"mon", true, opt_mon_parse, "-mon [chardev=]ID[,mode=control|readline]",
     "a monitor on a -chardev: QMP (control) or the human monitor"},
    {"add-fd", true, opt_add_fd_parse, "-add-fd fd=FD,set=SET[,opaque=TEXT]",
     "pass an open file descriptor; path=/dev/fdset/SET names it"},
    {"accel", true, opt_compat_accel, "-accel kvm", "the accelerator (kvmem has KVM)"},
    {"nodefaults", false, opt_nodefaults, "-nodefaults",
     "no default devices: no serial port unless -serial or -device isa-serial"},
    {"no-user-config", false, opt_no_user_config, "-no-user-config",
     "accepted: kvmem reads no configuration file"},
    {"pidfile", true, opt_compat_pidfile, "-pidfile file", "write kvmem's pid to file"},
    {"daemonize", false, opt_daemonize, "-daemonize",
     "run in the background once the monitors listen"},
    {"uuid", true, opt_compat_uuid, "-uuid UUID", "accepted (kvmem has no SMBIOS)"},
    {"display", true, opt_compat_display, "-display none", "accepted: kvmem has no display"},
    {"rtc", true, opt_compat_rtc, "-rtc base=utc[,clock=host]",
     "accepted: kvmem's RTC shows the host's UTC time"},
    {"boot", true, opt_compat_boot, "-boot [strict=on|off]",
     "accepted: kvmem boots -kernel directly"},
    {"msg", true, opt_compat_msg, "-msg timestamp=on|off", "date kvmem's error messages"},
    {"overcommit", true, opt_compat_overcommit, "-overcommit mem-lock=off",
     "accepted: kvmem does not lock guest memory"},
    {"audiodev", true, opt_compat_audiodev, "-audiodev none,id=ID", "accepted: kvmem has no sound"},
    {"cpu", true, opt_compat_cpu, "-cpu host|max",
     "the guest's CPU: the host's, as KVM supports it"},
    {"sandbox", true, opt_compat_sandbox, NULL, NULL},
    {"no-acpi", false, opt_compat_no_acpi, NULL, NULL},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option *find_option(const char *arg)
{
	const char *name = arg + 1;

	/* QEMU treats --foo as -foo */
	if (name[0] == '-')
		name++;
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

bool config_option_exists(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return true;
	return false;
}

void config_print_help(FILE *out)
{
	fputs("kvmem: a KVM virtual machine monitor whose guest memory is correct by "
	      "construction and controllable at runtime\n"
	      "usage: kvmem -kernel bzImage [options]\n"
	      "Options follow QEMU's syntax and take one or two dashes.\n\n",
	      out);
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option *o = &options[i];

		if (!o->synopsis)
			continue;
		if (strlen(o->synopsis) < 30)
			fprintf(out, "%-30s%s\n", o->synopsis, o->help);
		else
			fprintf(out, "%s  %s\n", o->synopsis, o->help);
	}
}

/* ---- whole-command-line checks ---- */

static int finish_mem(struct parser *p, struct kverr *err)
{
	struct config_mem *m = &p->cfg->mem;

	m->size = p->mem_size.given ? p->mem_size.val : CONFIG_DEFAULT_RAM;
	m->maxmem = m->size;
	m->slots = 0;
	if (!p->mem_maxmem.given) {
		if (p->mem_slots.given)
			return kverr_set(err, EINVAL,
					 "-m: slots=%s given without maxmem (slots are for "
					 "memory hotplug up to maxmem)",
					 p->mem_slots.raw);
		return 0;
	}
	if (p->mem_maxmem.val < m->size)
		return kverr_set(err, EINVAL,
				 "-m: maxmem=%s (0x%llx) must be at least the initial memory "
				 "size (0x%llx)",
				 p->mem_maxmem.raw, (unsigned long long)p->mem_maxmem.val,
				 (unsigned long long)m->size);
	if (p->mem_slots.given && p->mem_slots.val && p->mem_maxmem.val == m->size)
		return kverr_set(err, EINVAL,
				 "-m: slots=%s given but maxmem=%s (0x%llx) is equal to the "
				 "initial memory size (0x%llx)",
				 p->mem_slots.raw, p->mem_maxmem.raw,
				 (unsigned long long)p->mem_maxmem.val,
				 (unsigned long long)m->size);
	/* maxmem above size with no slots is QEMU 7.2's: a device-memory
	 * region for virtio-mem, into which no DIMM can go */
	m->maxmem = p->mem_maxmem.val;
	m->slots = (uint32_t)p->mem_slots.val;
	return 0;
}

/* Multiplication that sticks at UINT64_MAX: a topology that large can only
 * fail the "product == maxcpus" check, which is what it should do. */
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* QEMU 7.2 machine_parse_smp_config() for pc: cores are preferred over
 * sockets when filling in what is missing (since QEMU 6.2). */
static int finish_smp(struct parser *p, struct kverr *err)
{
	struct config_smp *t = &p->cfg->smp;
	uint64_t v[SMP_NKEYS], total;
	const char *more = p->smp_count > 1 ? " (merged with earlier -smp)" : "";

	for (int i = 0; i < SMP_NKEYS; i++)
		v[i] = p->smp[i].given ? p->smp[i].val : 0;
	if (v[SMP_CLUSTERS] > 1)
		return kverr_set(err, EINVAL,
				 "-smp %s: clusters > 1 not supported by this machine's CPU "
				 "topology (clusters=%s)",
				 p->smp_arg, p->smp[SMP_CLUSTERS].raw);
	v[SMP_DIES] = v[SMP_DIES] ? v[SMP_DIES] : 1;
	v[SMP_CLUSTERS] = 1;

	if (!v[SMP_CPUS] && !v[SMP_MAXCPUS]) {
		v[SMP_SOCKETS] = v[SMP_SOCKETS] ? v[SMP_SOCKETS] : 1;
		v[SMP_CORES] = v[SMP_CORES] ? v[SMP_CORES] : 1;
		v[SMP_THREADS] = v[SMP_THREADS] ? v[SMP_THREADS] : 1;
	} else {
		uint64_t maxcpus = v[SMP_MAXCPUS] ? v[SMP_MAXCPUS] : v[SMP_CPUS];

		v[SMP_MAXCPUS] = maxcpus;
		if (!v[SMP_CORES]) {
			v[SMP_SOCKETS] = v[SMP_SOCKETS] ? v[SMP_SOCKETS] : 1;
			v[SMP_THREADS] = v[SMP_THREADS] ? v[SMP_THREADS] : 1;
			v[SMP_CORES] =
			    maxcpus / sat_mul(sat_mul(v[SMP_SOCKETS], v[SMP_DIES]), v[SMP_THREADS]);
		} else if (!v[SMP_SOCKETS]) {
			v[SMP_THREADS] = v[SMP_THREADS] ? v[SMP_THREADS] : 1;
			v[SMP_SOCKETS] =
			    maxcpus / sat_mul(sat_mul(v[SMP_DIES], v[SMP_CORES]), v[SMP_THREADS]);
		}
		if (!v[SMP_THREADS])
			v[SMP_THREADS] =
			    maxcpus / sat_mul(sat_mul(v[SMP_SOCKETS], v[SMP_DIES]), v[SMP_CORES]);
	}
	total =
	    sat_mul(sat_mul(sat_mul(v[SMP_SOCKETS], v[SMP_DIES]), v[SMP_CORES]), v[SMP_THREADS]);
	v[SMP_MAXCPUS] = v[SMP_MAXCPUS] ? v[SMP_MAXCPUS] : total;
	v[SMP_CPUS] = v[SMP_CPUS] ? v[SMP_CPUS] : v[SMP_MAXCPUS];

	if (total != v[SMP_MAXCPUS])
		return kverr_set(err, EINVAL,
				 "-smp %s%s: Invalid CPU topology: product of the hierarchy must "
				 "match maxcpus: sockets (%llu) * dies (%llu) * cores (%llu) * "
				 "threads (%llu) != maxcpus (%llu)",
				 p->smp_arg, more, (unsigned long long)v[SMP_SOCKETS],
				 (unsigned long long)v[SMP_DIES], (unsigned long long)v[SMP_CORES],
				 (unsigned long long)v[SMP_THREADS],
				 (unsigned long long)v[SMP_MAXCPUS]);
	if (v[SMP_MAXCPUS] < v[SMP_CPUS])
		return kverr_set(err, EINVAL,
				 "-smp %s%s: Invalid CPU topology: maxcpus must be equal to or "
				 "greater than smp: sockets (%llu) * dies (%llu) * cores (%llu) * "
				 "threads (%llu) == maxcpus (%llu) < smp_cpus (%llu)",
				 p->smp_arg, more, (unsigned long long)v[SMP_SOCKETS],
				 (unsigned long long)v[SMP_DIES], (unsigned long long)v[SMP_CORES],
				 (unsigned long long)v[SMP_THREADS],
				 (unsigned long long)v[SMP_MAXCPUS],
				 (unsigned long long)v[SMP_CPUS]);
	if (v[SMP_MAXCPUS] == UINT64_MAX) /* only sat_mul() gets here */
		return kverr_set(err, EINVAL,
				 "-smp %s%s: Invalid SMP CPUs: the topology's product is beyond "
				 "2^64; the max CPUs supported by kvmem is %d",
				 p->smp_arg, more, CONFIG_MAX_CPUS);
	if (v[SMP_MAXCPUS] > CONFIG_MAX_CPUS)
		return kverr_set(err, EINVAL,
				 "-smp %s%s: Invalid SMP CPUs %llu. The max CPUs supported by "
				 "kvmem is %d",
				 p->smp_arg, more, (unsigned long long)v[SMP_MAXCPUS],
				 CONFIG_MAX_CPUS);

	/* every value is now at most CONFIG_MAX_CPUS */
	t->cpus = (uint32_t)v[SMP_CPUS];
	t->sockets = (uint32_t)v[SMP_SOCKETS];
	t->dies = (uint32_t)v[SMP_DIES];
	t->cores = (uint32_t)v[SMP_CORES];
	t->threads = (uint32_t)v[SMP_THREADS];
	t->maxcpus = (uint32_t)v[SMP_MAXCPUS];
	return 0;
}

/* Open for reading and close again: the one side effect parsing allows,
 * so that a typo in a path fails before any guest memory is set up. */
static int check_readable(const char *opt, const char *path, struct kverr *err)
{
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		kverr_sys(err, e, "%s: cannot read '%s'", opt, path);
		return -EINVAL;
	}
	e = fstat(fd, &st) < 0 ? errno : 0;
	close(fd);
	if (e) {
		kverr_sys(err, e, "%s: cannot read '%s'", opt, path);
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		kverr_sys(err, EISDIR, "%s: cannot read '%s'", opt, path);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode))
		return kverr_set(err, EINVAL, "%s: '%s' is not a regular file", opt, path);
	return 0;
}

/* stdio carries one thing: the serial console or one monitor (QEMU's
 * "cannot use stdio by multiple character devices"). */
static int finish_stdio(struct parser *p, struct kverr *err)
{
	const struct config *cfg = p->cfg;
	const char *user =
	    cfg->serial == SERIAL_STDIO ? "the serial port (-serial stdio, the default)" : NULL;

	for (unsigned i = 0; i < cfg->nr_monitors; i++) {
		const struct config_monitor *mon = &cfg->monitor[i];
		const char *opt = mon->mode == MONITOR_QMP ? "-qmp" : "-monitor";

		if (mon->kind != CHARDEV_STDIO)
			continue;
		if (user)
			return kverr_set(
			    err, EINVAL,
			    "%s stdio: cannot use stdio by multiple character devices: "
			    "%s already uses it (give -serial none or -serial file:PATH)",
			    opt, user);
		user = mon->mode == MONITOR_QMP ? "-qmp stdio" : "-monitor stdio";
	}
	return 0;
}

static int finish(struct parser *p, struct kverr *err)
{
	struct config *cfg = p->cfg;
	uint64_t backend_size;
	int ret;

	/* -machine memory-backend=ID without -m size: RAM is the backend's size */
	ret = config_machine_ram_size(cfg, &backend_size, err);
	if (!ret && backend_size && !p->mem_size.given)
		p->mem_size = (struct seen){.given = true, .val = backend_size, .raw = "backend"};
	if (!ret)
		ret = finish_mem(p, err);
	if (!ret)
		ret = config_machine_check(cfg, err);
	if (!ret)
		ret = finish_smp(p, err);
	if (ret)
		return ret;
	ret = config_chardevs_finish(cfg, err);
	if (!ret)
		ret = config_compat_finish(cfg, p->serial_arg != NULL, err);
	if (!ret)
		ret = finish_stdio(p, err);
	if (ret)
		return ret;
	if (cfg->compat.machine_none)
		return 0; /* no guest: no -kernel */
	/* -print-layout shows the plan, which does not depend on the kernel */
	if (!cfg->kernel && cfg->print_layout)
		return config_devices_check(cfg, err);
	if (!cfg->kernel)
		return kverr_set(err, EINVAL,
				 "-kernel: missing; kvmem boots a Linux kernel "
				 "given as -kernel bzImage");
	ret = check_readable("-kernel", cfg->kernel, err);
	if (!ret && cfg->initrd)
		ret = check_readable("-initrd", cfg->initrd, err);
	if (!ret)
		ret = config_devices_check(cfg, err);
	return ret;
}

int config_parse(struct config *cfg, int argc, char **argv, struct kverr *err)
{
	struct parser p = {.cfg = cfg};
	int ret = 0;

	*cfg = (struct config){
	    .action = CONFIG_RUN,
	    .mem = {.size = CONFIG_DEFAULT_RAM, .maxmem = CONFIG_DEFAULT_RAM},
	    .smp = {1, 1, 1, 1, 1, 1},
	    .append = "",
	    .serial = SERIAL_STDIO,
	    .on = {.panic = CONFIG_PANIC_SHUTDOWN}, /* QEMU's defaults; the others are 0 */
	    .compat = {.dump_guest_core = true},
	};
	for (int i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i], *val = NULL;
		const struct option *o;

		if (arg[0] != '-') {
			ret = kverr_set(err, EINVAL,
					"%s: unexpected argument (kvmem takes no disk image; "
					"options start with '-')",
					arg);
			break;
		}
		o = find_option(arg);
		if (!o) {
			ret = kverr_set(err, EINVAL, "%s: unsupported option", arg);
			break;
		}
		if (o->has_arg) {
			if (i + 1 >= argc) {
				ret = kverr_set(err, EINVAL, "-%s: missing value", o->name);
				break;
			}
			val = argv[++i];
		}
		ret = o->handle(&p, val, err);
		/* like QEMU, -h and -version act where they stand */
		if (cfg->action != CONFIG_RUN)
			break;
	}
	if (!ret && cfg->action == CONFIG_RUN)
		ret = finish(&p, err);

	for (size_t i = 0; i < p.nscratch; i++)
		free(p.scratch[i]);
	free(p.scratch);
	if (ret) {
		config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_monitors; i++) {
		free(cfg->monitor[i].path);
		free(cfg->monitor[i].host);
		free(cfg->monitor[i].port);
	}
	cfg->nr_monitors = 0;
	config_numa_free(&cfg->numa);
	config_objects_free(cfg);
	config_devices_free(cfg);
	config_chardevs_free(cfg);
	config_compat_free(cfg);
	free(cfg->name_buf);
	cfg->name_buf = NULL;
	cfg->name = NULL;
}
