/* hmp.c - human monitor commands; see hmp.h.
 *
 * The output of each command is QEMU 7.2's for the same command (the
 * formats of hmp_info_status, hmp_info_memdev, hmp_info_cpus, ...), so a
 * person or a script that reads QEMU's monitor reads kvmem's.  Only
 * "info mtree" differs: it shows kvmem's memory map (x-kvmem-query-mtree).
 */
#include "qmp/hmp.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/opts.h"

struct hmp {
	const struct qmp_commands *table;
	void *ctx;
	struct buf *out;
};

struct hmp_command {
	const char *name;   /* "stop|s": the name and its aliases */
	const char *params; /* for help */
	const char *help;
	/* Runs the command; args is what follows the name, blanks trimmed. */
	void (*fn)(struct hmp *h, const struct hmp_command *c, const char *args);
	const char *qmp; /* the QMP command fn runs, for the generic ones */
	bool takes_args; /* else anything after the name is refused */
};

/* ---- helpers ---- */

/* Run a QMP command; on failure print QEMU's "Error: ..." and return NULL. */
static json_t *qmp(struct hmp *h, const char *name, json_t *args)
{
	struct qmp_error err;
	json_t *ret;

	if (qmp_execute(h->table, h->ctx, name, args, &ret, &err)) {
		buf_printf(h->out, "Error: %s\n", err.desc);
		return NULL;
	}
	return ret;
}

static bool name_matches(const char *names, const char *word, size_t len)
{
	const char *p = names;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && !strncmp(p, word, len))
			return true;
		p += n + (bar ? 1 : 0);
	}
	return false;
}

static const struct hmp_command *lookup(const struct hmp_command *tab, size_t n, const char *word,
					size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (name_matches(tab[i].name, word, len))
			return &tab[i];
	return NULL;
}

static void print_help_line(struct hmp *h, const char *prefix, const struct hmp_command *c)
{
	buf_printf(h->out, "%s%s %s -- %s\n", prefix, c->name, c->params ? c->params : "", c->help);
}

static void qmp_simple(struct hmp *h, const struct hmp_command *c, const char *args)
{
	(void)args;
	json_decref(qmp(h, c->qmp, NULL));
}

/* ---- info subcommands ---- */

static void info_status(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-status", NULL);
	const char *status;
	bool running;

	(void)c;
	(void)args;
	if (!r)
		return;
	running = json_is_true(json_object_get(r, "running"));
	status = json_string_value(json_object_get(r, "status"));
	buf_printf(h->out, "VM status: %s", running ? "running" : "paused");
	if (!running && status && strcmp(status, "paused"))
		buf_printf(h->out, " (%s)", status);
	buf_puts(h->out, "\n");
	json_decref(r);
}

static void info_version(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-version", NULL), *q;

	(void)c;
	(void)args;
	if (!r)
		return;
	q = json_object_get(r, "qemu");
	buf_printf(h->out,
		   "%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT
		   " (%s)\n",
		   json_integer_value(json_object_get(q, "major")),
		   json_integer_value(json_object_get(q, "minor")),
		   json_integer_value(json_object_get(q, "micro")),
		   json_string_value(json_object_get(r, "package")));
	json_decref(r);
}

static void info_cpus(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-cpus-fast", NULL), *cpu;
	size_t i;

	(void)c;
	(void)args;
	if (!r)
		return;
	/* '*' marks the monitor's current CPU, which is CPU 0 in kvmem */
	json_array_foreach(r, i, cpu)
	{
		json_int_t idx = json_integer_value(json_object_get(cpu, "cpu-index"));

		buf_printf(h->out,
			   "%c CPU #%" JSON_INTEGER_FORMAT ": thread_id=%" JSON_INTEGER_FORMAT "\n",
			   idx == 0 ? '*' : ' ', idx,
			   json_integer_value(json_object_get(cpu, "thread-id")));
	}
	json_decref(r);
}

/* QEMU's string output visitor for a uint16 list: ranges, "0-2,5". */
static void print_ranges(struct buf *out, json_t *list)
{
	size_t n = json_array_size(list);

	for (size_t i = 0; i < n;) {
		json_int_t first = json_integer_value(json_array_get(list, i)), last = first;
		size_t j = i + 1;

		while (j < n && json_integer_value(json_array_get(list, j)) == last + 1)
			last = json_integer_value(json_array_get(list, j++));
		buf_printf(out, "%s%" JSON_INTEGER_FORMAT, i ? "," : "", first);
		if (last != first)
			buf_printf(out, "-%" JSON_INTEGER_FORMAT, last);
		i = j;
	}
}

static const char *bool_word(json_t *v)
{
	return json_is_true(v) ? "true" : "false";
}

static void info_memdev(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-memdev", NULL), *m;
	size_t i;

	(void)c;
	(void)args;
	if (!r)
		return;
	json_array_foreach(r, i, m)
	{
		json_t *reserve = json_object_get(m, "reserve");

		buf_printf(h->out, "memory backend: %s\n",
			   json_string_value(json_object_get(m, "id")));
		buf_printf(h->out, "  size:  %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(json_object_get(m, "size")));
		buf_printf(h->out, "  merge: %s\n", bool_word(json_object_get(m, "merge")));
		buf_printf(h->out, "  dump: %s\n", bool_word(json_object_get(m, "dump")));
		buf_printf(h->out, "  prealloc: %s\n", bool_word(json_object_get(m, "prealloc")));
		buf_printf(h->out, "  share: %s\n", bool_word(json_object_get(m, "share")));
		if (reserve)
			buf_printf(h->out, "  reserve: %s\n", bool_word(reserve));
		buf_printf(h->out, "  policy: %s\n",
			   json_string_value(json_object_get(m, "policy")));
		buf_puts(h->out, "  host nodes: ");
		print_ranges(h->out, json_object_get(m, "host-nodes"));
		buf_puts(h->out, "\n");
	}
	buf_puts(h->out, "\n");
	json_decref(r);
}

/* QEMU's hmp_info_memory_devices: DIMMs and virtio-mem devices. */
static void info_memory_devices(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-memory-devices", NULL), *dev;
	size_t i;

	(void)c;
	(void)args;
	if (!r)
		return;
	json_array_foreach(r, i, dev)
	{
		json_t *d = json_object_get(dev, "data");
		const char *id = json_string_value(json_object_get(d, "id"));

		buf_printf(h->out, "Memory device [%s]: \"%s\"\n",
			   json_string_value(json_object_get(dev, "type")), id ? id : "");
		if (json_object_get(d, "memaddr")) {
			/* QEMU's VirtioMEMDeviceInfo */
			buf_printf(
			    h->out, "  memaddr: 0x%llx\n",
			    (unsigned long long)json_integer_value(json_object_get(d, "memaddr")));
			buf_printf(h->out, "  node: %" JSON_INTEGER_FORMAT "\n",
				   json_integer_value(json_object_get(d, "node")));
			buf_printf(h->out, "  requested-size: %" JSON_INTEGER_FORMAT "\n",
				   json_integer_value(json_object_get(d, "requested-size")));
			buf_printf(h->out, "  size: %" JSON_INTEGER_FORMAT "\n",
				   json_integer_value(json_object_get(d, "size")));
			buf_printf(h->out, "  max-size: %" JSON_INTEGER_FORMAT "\n",
				   json_integer_value(json_object_get(d, "max-size")));
			buf_printf(h->out, "  block-size: %" JSON_INTEGER_FORMAT "\n",
				   json_integer_value(json_object_get(d, "block-size")));
			buf_printf(h->out, "  memdev: %s\n",
				   json_string_value(json_object_get(d, "memdev")));
			continue;
		}
		buf_printf(h->out, "  addr: 0x%llx\n",
			   (unsigned long long)json_integer_value(json_object_get(d, "addr")));
		buf_printf(h->out, "  slot: %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(json_object_get(d, "slot")));
		buf_printf(h->out, "  node: %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(json_object_get(d, "node")));
		buf_printf(h->out, "  size: %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(json_object_get(d, "size")));
		buf_printf(h->out, "  memdev: %s\n",
			   json_string_value(json_object_get(d, "memdev")));
		buf_printf(h->out, "  hotplugged: %s\n",
			   bool_word(json_object_get(d, "hotplugged")));
		buf_printf(h->out, "  hotpluggable: %s\n",
			   bool_word(json_object_get(d, "hotpluggable")));
	}
	json_decref(r);
}

static void info_memory_size_summary(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-memory-size-summary", NULL), *plugged;

	(void)c;
	(void)args;
	if (!r)
		return;
	buf_printf(h->out, "base memory: %" JSON_INTEGER_FORMAT "\n",
		   json_integer_value(json_object_get(r, "base-memory")));
	plugged = json_object_get(r, "plugged-memory");
	if (plugged)
		buf_printf(h->out, "plugged memory: %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(plugged));
	json_decref(r);
}

/* Commands whose QMP result is QEMU's HumanReadableText. */
static void human_readable(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, c->qmp, NULL);

	(void)args;
	if (!r)
		return;
	buf_puts(h->out, json_string_value(json_object_get(r, "human-readable-text")));
	json_decref(r);
}

/* QEMU's hmp_info_balloon: the guest's memory in MiB. */
static void info_balloon(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *r = qmp(h, "query-balloon", NULL);

	(void)c;
	(void)args;
	if (!r)
		return;
	buf_printf(h->out, "balloon: actual=%" JSON_INTEGER_FORMAT "\n",
		   json_integer_value(json_object_get(r, "actual")) >> 20);
	json_decref(r);
}

static const struct hmp_command info_table[] = {
    {.name = "balloon", .help = "show balloon information", .fn = info_balloon},
    {.name = "cpus", .help = "show infos for each CPU", .fn = info_cpus},
    {.name = "memdev", .help = "show memory backends", .fn = info_memdev},
    {.name = "memory-devices", .help = "show memory devices", .fn = info_memory_devices},
    {.name = "memory_size_summary",
     .help = "show the amount of initially allocated and present hotpluggable (if enabled) "
	     "memory in bytes.",
     .fn = info_memory_size_summary},
    {.name = "mtree",
     .help = "show kvmem's guest physical memory map: regions, backends, KVM slots",
     .fn = human_readable,
     .qmp = "x-kvmem-query-mtree"},
    {.name = "numa", .help = "show NUMA information", .fn = human_readable, .qmp = "x-query-numa"},
    {.name = "status", .help = "show the current VM status (running|paused)", .fn = info_status},
    {.name = "version", .help = "show the version of kvmem", .fn = info_version},
};

#define NINFO (sizeof(info_table) / sizeof(info_table[0]))

/* ---- top-level commands ---- */

/* QEMU's answer to a command whose one argument is missing. */
static void string_expected(struct hmp *h, const struct hmp_command *c)
{
	buf_printf(h->out, "%s: string expected\n", c->name);
	buf_printf(h->out, "Try \"help %s\" for more information\n", c->name);
}

/* object_add TYPE,id=ID,...: -object's syntax, or QEMU's JSON form (an
 * object-add argument object). */
static void cmd_object_add(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *a;

	if (!*args) {
		string_expected(h, c);
		return;
	}
	if (args[0] == '{') {
		json_error_t jerr;

		a = json_loads(args, 0, &jerr);
		if (!json_is_object(a)) {
			json_decref(a);
			buf_printf(h->out, "Error: JSON parse error, %s\n", jerr.text);
			return;
		}
	} else {
		a = json_pack("{s:s}", "options", args);
	}
	json_decref(qmp(h, args[0] == '{' ? "object-add" : "x-kvmem-object-add", a));
	json_decref(a);
}

static void cmd_object_del(struct hmp *h, const struct hmp_command *c, const char *args)
{
	json_t *a;

	if (!*args) {
		string_expected(h, c);
		return;
	}
	a = json_pack("{s:s}", "id", args);
	json_decref(qmp(h, "object-del", a));
	json_decref(a);
}

static void cmd_help(struct hmp *h, const struct hmp_command *c, const char *args);
static void cmd_balloon(struct hmp *h, const struct hmp_command *c, const char *args);
static void cmd_info(struct hmp *h, const struct hmp_command *c, const char *args);
static void cmd_device_add(struct hmp *h, const struct hmp_command *c, const char *args);
static void cmd_device_del(struct hmp *h, const struct hmp_command *c, const char *args);

static const struct hmp_command table[] = {
    {.name = "balloon",
     .params = "target",
     .help = "request VM to change its memory allocation (in MB)",
     .fn = cmd_balloon,
     .takes_args = true},
    {.name = "cont|c", .help = "resume emulation", .fn = qmp_simple, .qmp = "cont"},
    {.name = "device_add",
     .params = "driver[,prop=value][,...]",
     .help = "add device, like -device on the command line",
     .fn = cmd_device_add,
     .takes_args = true},
    {.name = "device_del",
     .params = "device",
     .help = "remove device",
     .fn = cmd_device_del,
     .takes_args = true},
    {.name = "help|?",
     .params = "[cmd]",
     .help = "show the help",
     .fn = cmd_help,
     .takes_args = true},
    {.name = "info",
     .params = "[subcommand]",
     .help = "show various information about the system state",
     .fn = cmd_info,
     .takes_args = true},
    {.name = "object_add",
     .params = "[qom-type=]type,id=str[,prop=value][,...]",
     .help = "create QOM object",
     .fn = cmd_object_add,
     .takes_args = true},
    {.name = "object_del",
     .params = "id",
     .help = "destroy QOM object",
     .fn = cmd_object_del,
     .takes_args = true},
    {.name = "quit|q", .help = "quit the emulator", .fn = qmp_simple, .qmp = "quit"},
    {.name = "stop|s", .help = "stop emulation", .fn = qmp_simple, .qmp = "stop"},
    {.name = "system_powerdown",
     .help = "send system power down event",
     .fn = qmp_simple,
     .qmp = "system_powerdown"},
    {.name = "system_reset", .help = "reset the system", .fn = qmp_simple, .qmp = "system_reset"},
};

#define NCMDS (sizeof(table) / sizeof(table[0]))

static const char *skip_blanks(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static size_t word_len(const char *p)
{
	size_t n = 0;

	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	return n;
}

static void extraneous(struct hmp *h, const char *name, const char *help_topic)
{
	buf_printf(h->out, "%s: extraneous characters at the end of line\n", name);
	buf_printf(h->out, "Try \"help %s\" for more information\n", help_topic);
}

static void cmd_info(struct hmp *h, const struct hmp_command *c, const char *args)
{
	const struct hmp_command *sub;
	size_t len = word_len(args);
	char topic[80];

	(void)c;
	if (!len) {
		for (size_t i = 0; i < NINFO; i++)
			print_help_line(h, "info ", &info_table[i]);
		return;
	}
	sub = lookup(info_table, NINFO, args, len);
	if (!sub) {
		buf_printf(h->out, "unknown command: 'info %.*s'\n", (int)len, args);
		return;
	}
	if (*skip_blanks(args + len)) {
		snprintf(topic, sizeof(topic), "info %s", sub->name);
		extraneous(h, sub->name, topic);
		return;
	}
	sub->fn(h, sub, "");
}

static void cmd_help(struct hmp *h, const struct hmp_command *c, const char *args)
{
	size_t len = word_len(args);

	(void)c;
	if (len && !strncmp(args, "info", len) && len == 4) {
		cmd_info(h, c, "");
		return;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (!len || name_matches(table[i].name, args, len))
			print_help_line(h, "", &table[i]);
}

/* The one word a command takes; false (and QEMU's complaint) when there is
 * more.  *word is empty when there is none. */
static bool one_word(struct hmp *h, const char *name, const char *args, char *word, size_t size)
{
	size_t len = word_len(args);

	if (*skip_blanks(args + len)) {
		extraneous(h, name, name);
		return false;
	}
	if (len >= size)
		len = size - 1;
	memcpy(word, args, len);
	word[len] = '\0';
	return true;
}

/* QEMU's device_add: the -device text form, and "help" as -device's. */
static void cmd_device_add(struct hmp *h, const struct hmp_command *c, const char *args)
{
	char word[4096];
	struct dev_opts o;
	struct kverr err;
	json_t *a, *r;

	(void)c;
	if (!one_word(h, "device_add", args, word, sizeof(word)))
		return;
	if (dev_opts_parse_text(word, &o, &err)) {
		buf_printf(h->out, "Error: %s\n", err.msg);
		return;
	}
	if (o.help || (o.driver && (!strcmp(o.driver, "help") || !strcmp(o.driver, "?")))) {
		a = json_object();
		if (o.help && o.driver)
			json_object_set_new(a, "driver", json_string(o.driver));
		r = qmp(h, "x-kvmem-query-device-help", a);
		if (r)
			buf_puts(h->out,
				 json_string_value(json_object_get(r, "human-readable-text")));
	} else {
		a = dev_opts_to_qmp(&o);
		r = qmp(h, "device_add", a);
	}
	json_decref(a);
	json_decref(r);
	dev_opts_free(&o);
}

static void cmd_device_del(struct hmp *h, const struct hmp_command *c, const char *args)
{
	char word[4096];
	json_t *a;

	(void)c;
	if (!one_word(h, "device_del", args, word, sizeof(word)))
		return;
	if (!word[0]) {
		buf_puts(h->out, "device_del: string expected\n");
		buf_puts(h->out, "Try \"help device_del\" for more information\n");
		return;
	}
	a = json_pack("{s:s}", "id", word);
	json_decref(qmp(h, "device_del", a));
	json_decref(a);
}

/* balloon N: N MiB, read as QEMU's monitor reads an 'M' argument (an
 * integer: decimal, 0x hex or 0 octal, and a leading minus). */
static void cmd_balloon(struct hmp *h, const struct hmp_command *c, const char *args)
{
	const char *p = skip_blanks(args);
	char *end;
	long long v;
	json_t *a;

	(void)c;
	if (!*p) {
		buf_puts(h->out, "unexpected end of expression\n");
		buf_puts(h->out, "Try \"help balloon\" for more information\n");
		return;
	}
	if (!isdigit((unsigned char)*p) && *p != '-') {
		buf_printf(h->out, "invalid char '%c' in expression\n", *p);
		buf_puts(h->out, "Try \"help balloon\" for more information\n");
		return;
	}
	v = strtoll(p, &end, 0);
	if (*skip_blanks(end)) {
		extraneous(h, "balloon", "balloon");
		return;
	}
	if (v < 0) {
		buf_puts(h->out, "enter a positive value\n");
		buf_puts(h->out, "Try \"help balloon\" for more information\n");
		return;
	}
	a = json_pack("{s:I}", "value", (json_int_t)((unsigned long long)v << 20));
	json_decref(qmp(h, "balloon", a));
	json_decref(a);
}

void hmp_execute(const struct qmp_commands *qmp_table, void *ctx, const char *line, struct buf *out)
{
	struct hmp h = {.table = qmp_table, .ctx = ctx, .out = out};
	const struct hmp_command *c;
	const char *p = skip_blanks(line), *args;
	size_t len = word_len(p);
	char trimmed[4096];
	size_t n;

	if (!len)
		return;
	c = lookup(table, NCMDS, p, len);
	if (!c) {
		buf_printf(out, "unknown command: '%.*s'\n", (int)len, p);
		return;
	}
	args = skip_blanks(p + len);
	n = strlen(args);
	while (n && isspace((unsigned char)args[n - 1]))
		n--;
	if (n >= sizeof(trimmed))
		n = sizeof(trimmed) - 1;
	memcpy(trimmed, args, n);
	trimmed[n] = '\0';
	if (n && !c->takes_args) {
		char topic[64];

		snprintf(topic, sizeof(topic), "%.*s", (int)strcspn(c->name, "|"), c->name);
		extraneous(&h, c->name, topic);
		return;
	}
	c->fn(&h, c, trimmed);
}

void hmp_crlf(struct buf *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			buf_append(out, "\r", 1);
		buf_append(out, &text[i], 1);
	}
}
