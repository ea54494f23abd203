/* compat.c - options kvmem takes for QEMU's sake; see compat.h.
 *
 * Each handler checks its argument with QEMU 7.2's syntax and messages
 * (key=value lists, on/off booleans) and then either records the one fact
 * kvmem acts on, or accepts the value that asks for what kvmem does anyway
 * and refuses every other value with the reason.  docs/cli.md has the
 * table of these options.
 */
#include "config/compat.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

/* QEMU 7.2's accelerator names (qemu-system-x86_64 -accel help lists
 * those built in; these are all it knows of). */
static const char *const accel_names[] = {"kvm",  "tcg", "xen",	  "hax", "whpx",
					  "nvmm", "hvf", "qtest", NULL};

bool config_accel_known(const char *name)
{
	for (const char *const *n = accel_names; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

/* QEMU's qapi_bool_parse. */
static int parse_onoff(const char *s, bool *out)
{
	static const char *const on[] = {"on", "yes", "true", "y"};
	static const char *const off[] = {"off", "no", "false", "n"};

	for (int i = 0; s && i < 4; i++) {
		if (!strcmp(s, on[i]) || !strcmp(s, off[i])) {
			*out = !strcmp(s, on[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* Iterate over a QemuOpts list with a private copy; fn gets each element
 * and returns 0 or -errno.  implied names a leading element's key. */
static int each_kv(const char *arg, const char *implied,
		   int (*fn)(void *ctx, const struct kv *kv, struct kverr *err), void *ctx,
		   struct kverr *err)
{
	char *buf = malloc(strlen(arg) + 1);
	struct kv_iter it = {.p = arg, .implied = implied, .first = *arg != '\0'};
	struct kv kv;
	int ret = 0;

	if (!buf)
		return kverr_set(err, ENOMEM, "out of memory");
	it.out = buf;
	while (!ret && kv_next(&it, &kv))
		ret = fn(ctx, &kv, err);
	free(buf);
	return ret;
}

/* Keep a copy of s in cfg->compat.buf's storage; NULL when out of memory. */
static const char *keep(struct config *cfg, const char *s)
{
	size_t used = 0, len = strlen(s) + 1;
	char *grown;

	for (unsigned i = 0; cfg->compat.buf && i < cfg->compat.nr_accels; i++)
		used += strlen(cfg->compat.accel[i]) + 1;
	/* accel names are re-pointed after a realloc, so keep only them here */
	grown = realloc(cfg->compat.buf, used + len);
	if (!grown)
		return NULL;
	for (unsigned i = 0, off = 0; i < cfg->compat.nr_accels; i++) {
		cfg->compat.accel[i] = grown + off;
		off += (unsigned)strlen(grown + off) + 1;
	}
	cfg->compat.buf = grown;
	memcpy(grown + used, s, len);
	return grown + used;
}

/* accel list "kvm:tcg" (-machine accel=) or one name (-accel). */
static int set_accels(struct config *cfg, const char *list, bool colon_list, const char *opt,
		      struct kverr *err)
{
	struct config_compat *c = &cfg->compat;
	char name[32];

	c->nr_accels = 0;
	for (const char *p = list;;) {
		size_t n = colon_list ? strcspn(p, ":") : strlen(p);
		const char *kept;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!config_accel_known(name)) {
			if (colon_list)
				return kverr_set(err, EINVAL, "invalid accelerator %s", name);
			return kverr_set(err, EINVAL, "%s: invalid accelerator %s", opt, name);
		}
		if (c->nr_accels == CONFIG_MAX_ACCELS)
			return kverr_set(err, EINVAL, "%s: more than %d accelerators", opt,
					 CONFIG_MAX_ACCELS);
		kept = keep(cfg, name);
		if (!kept)
			return kverr_set(err, ENOMEM, "%s: out of memory", opt);
		c->accel[c->nr_accels++] = kept;
		p += strcspn(p, ":");
		if (!colon_list || !*p)
			break;
		p++;
	}
	return 0;
}

struct accel_ctx {
	struct config *cfg;
	const char *arg;
	bool named;
};

static int accel_kv(void *ctx, const struct kv *kv, struct kverr *err)
{
	struct accel_ctx *a = ctx;
	char opt[160];

	snprintf(opt, sizeof(opt), "-accel %s", a->arg);
	if (!strcmp(kv->key, "accel")) {
		if (!kv->val)
			return kverr_set(err, EINVAL, "%s: Parameter 'accel' is missing", opt);
		a->named = true;
		return set_accels(a->cfg, kv->val, false, opt, err);
	}
	/* kvm's and tcg's own properties (kernel-irqchip, thread, ...):
	 * kvmem has fixed answers for each, so none is taken. */
	return kverr_set(err, EINVAL,
			 "%s: Invalid parameter '%s' (kvmem takes no accelerator properties)", opt,
			 kv->key);
}

int config_compat_accel(struct config *cfg, const char *arg, struct kverr *err)
{
	struct accel_ctx a = {.cfg = cfg, .arg = arg};
	int ret;

	if (cfg->compat.accel_opt && !strncmp(cfg->compat.accel_opt, "-machine", 8))
		return kverr_set(err, EINVAL,
				 "The -accel and \"-machine accel=\" options are incompatible");
	ret = each_kv(arg, "accel", accel_kv, &a, err);
	if (!ret && !a.named)
		return kverr_set(err, EINVAL, "-accel %s: Parameter 'accel' is missing", arg);
	cfg->compat.accel_opt = "-accel";
	return ret;
}

int config_compat_machine_type(struct config *cfg, const char *type, struct kverr *err)
{
	if (!strcmp(type, "none")) {
		cfg->compat.machine_none = true;
		return 0;
	}
	cfg->compat.machine_none = false;
	/* kvmem is QEMU 7.2's pc machine, also by its versioned name */
	if (!strcmp(type, "pc") || !strcmp(type, "pc-i440fx-7.2"))
		return 0;
	return kverr_set(err, EINVAL,
			 "-machine: unsupported machine type '%s' (kvmem emulates pc, also "
			 "named pc-i440fx-7.2, and has none for a QMP-only process)",
			 type);
}

int config_compat_machine_key(struct config *cfg, const char *key, const char *val, const char *arg,
			      struct kverr *err)
{
	bool on;

	if (!strcmp(key, "accel")) {
		if (cfg->compat.accel_opt && !strcmp(cfg->compat.accel_opt, "-accel"))
			return kverr_set(
			    err, EINVAL,
			    "The -accel and \"-machine accel=\" options are incompatible");
		cfg->compat.accel_opt = "-machine accel=";
		return set_accels(cfg, val, true, "-machine", err) ?: 1;
	}
	if (strcmp(key, "usb") && strcmp(key, "dump-guest-core"))
		return 0;
	if (parse_onoff(val, &on))
		return kverr_set(err, EINVAL, "Parameter '%s' expects 'on' or 'off'", key);
	if (!strcmp(key, "usb")) {
		if (on)
			return kverr_set(err, EINVAL,
					 "-machine %s: usb=on is not supported: kvmem has no USB "
					 "controller",
					 arg);
		return 1;
	}
	cfg->compat.dump_guest_core = on;
	cfg->compat.dump_guest_core_given = true;
	return 1;
}

/* The properties -machine takes (object.c reads type, memory-backend and
 * hmat; the others are here), as qom-list-properties shows them. */
static const struct {
	const char *name, *qom;
} machine_props[] = {
    {"memory-backend", "string"}, {"hmat", "bool"}, {"accel", "string"}, {"usb", "bool"},
    {"dump-guest-core", "bool"},
};

int config_machine_props(const char **name, const char **qom, unsigned idx)
{
	if (idx >= sizeof(machine_props) / sizeof(machine_props[0]))
		return 0;
	*name = machine_props[idx].name;
	*qom = machine_props[idx].qom;
	return 1;
}

int config_compat_pidfile(struct config *cfg, const char *arg, struct kverr *err)
{
	if (!*arg)
		return kverr_set(err, EINVAL, "-pidfile: empty path");
	cfg->compat.pidfile = arg;
	return 0;
}

/* QEMU's qemu_uuid_parse: 8-4-4-4-12 hexadecimal digits. */
int config_compat_uuid(struct config *cfg, const char *arg, struct kverr *err)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *p = arg;

	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, p++)
			if (!isxdigit((unsigned char)*p))
				goto bad;
		if (g < 4 && *p++ != '-')
			goto bad;
	}
	if (*p)
		goto bad;
	cfg->compat.uuid = arg;
	return 0;
bad:
	return kverr_set(err, EINVAL, "-uuid %s: failed to parse UUID string: wrong format", arg);
}

/* A list whose keys each accept one value kvmem already does.  keys[i]
 * takes values[i] (a '|'-separated list; "BOOL" for on/off, "*" for any);
 * why[i] says why another value is refused. */
struct fixed_opt {
	const char *opt;
	const char *arg;
	const char *const *keys;
	const char *const *values;
	const char *const *why;
};

static bool value_in(const char *list, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, "|");

		if (len == n && !strncmp(p, v, n))
			return true;
		p += len + (p[len] == '|');
	}
	return false;
}

static int fixed_kv(void *ctx, const struct kv *kv, struct kverr *err)
{
	const struct fixed_opt *f = ctx;
	bool on;

	for (int i = 0; f->keys[i]; i++) {
		if (strcmp(f->keys[i], kv->key))
			continue;
		if (!kv->val)
			return kverr_set(err, EINVAL, "%s %s: Parameter '%s' needs a value", f->opt,
					 f->arg, kv->key);
		if (!strcmp(f->values[i], "*"))
			return 0;
		if (!strncmp(f->values[i], "BOOL", 4)) {
			if (parse_onoff(kv->val, &on))
				return kverr_set(err, EINVAL,
						 "%s %s: Parameter '%s' expects 'on' or 'off'",
						 f->opt, f->arg, kv->key);
			/* "BOOL" takes both; "BOOL=off" only off */
			if (!f->values[i][4] || on == !strcmp(f->values[i] + 5, "on"))
				return 0;
		} else if (value_in(f->values[i], kv->val)) {
			return 0;
		}
		return kverr_set(err, EINVAL, "%s %s: %s=%s is not supported: %s", f->opt, f->arg,
				 kv->key, kv->val, f->why[i]);
	}
	return kverr_set(err, EINVAL, "%s %s: Invalid parameter '%s'", f->opt, f->arg, kv->key);
}

static int fixed(const char *opt, const char *arg, const char *implied, const char *const *keys,
		 const char *const *values, const char *const *why, struct kverr *err)
{
	struct fixed_opt f = {opt, arg, keys, values, why};

	return each_kv(arg, implied, fixed_kv, &f, err);
}

int config_compat_display(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"type", NULL};
	static const char *const values[] = {"none"};
	static const char *const why[] = {"kvmem has no display (its console is the serial "
					  "port)"};

	(void)cfg;
	return fixed("-display", arg, "type", keys, values, why, err);
}

int config_compat_rtc(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"base", "clock", "driftfix", NULL};
	static const char *const values[] = {"utc", "host", "none"};
	static const char *const why[] = {
	    "kvmem's RTC always shows the host's UTC time",
	    "kvmem's RTC always follows the host's clock",
	    "kvmem's RTC has no periodic interrupt to correct (driftfix=none)"};

	(void)cfg;
	return fixed("-rtc", arg, NULL, keys, values, why, err);
}

int config_compat_boot(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"strict", "menu", NULL};
	static const char *const values[] = {"BOOL", "BOOL=off"};
	static const char *const why[] = {"", "kvmem has no firmware, so no boot menu"};

	(void)cfg;
	/* kvmem boots -kernel directly: there is no boot order to be strict
	 * about, and order=/once= name disks kvmem does not have. */
	return fixed("-boot", arg, NULL, keys, values, why, err);
}

int config_compat_msg(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"timestamp", "guest-name", NULL};
	static const char *const values[] = {"BOOL", "BOOL=off"};
	static const char *const why[] = {"", "kvmem's messages never name the guest"};

	int ret = fixed("-msg", arg, NULL, keys, values, why, err);
	struct kv_iter it;
	struct kv kv;
	char *buf;

	if (ret)
		return ret;
	/* the last timestamp= wins; main prefixes its messages with the time */
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-msg: out of memory");
	it = (struct kv_iter){.p = arg, .out = buf, .first = *arg != '\0'};
	while (kv_next(&it, &kv))
		if (!strcmp(kv.key, "timestamp"))
			parse_onoff(kv.val, &cfg->compat.msg_timestamp);
	free(buf);
	return 0;
}

int config_compat_overcommit(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"mem-lock", "cpu-pm", NULL};
	static const char *const values[] = {"BOOL=off", "BOOL=off"};
	static const char *const why[] = {
	    "kvmem does not mlock guest memory (prealloc=on in a backend maps it in)",
	    "kvmem keeps HLT and MWAIT exits in the host"};

	(void)cfg;
	return fixed("-overcommit", arg, NULL, keys, values, why, err);
}

int config_compat_audiodev(struct config *cfg, const char *arg, struct kverr *err)
{
	static const char *const keys[] = {"driver", "id", NULL};
	static const char *const values[] = {"none", "*"};
	static const char *const why[] = {"kvmem has no sound device; only driver=none"};
	bool has_id = false;
	json_t *j;

	(void)cfg;
	if (arg[0] != '{') {
		int ret = fixed("-audiodev", arg, "driver", keys, values, why, err);

		if (ret)
			return ret;
		has_id = strstr(arg, "id=") != NULL;
	} else {
		/* libvirt's JSON form: {"id":"audio1","driver":"none"} */
		const char *k;
		json_t *v;

		j = json_loads(arg, 0, NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			return kverr_set(err, EINVAL, "-audiodev %s: invalid JSON", arg);
		}
		json_object_foreach(j, k, v)
		{
			if (!strcmp(k, "id") && json_is_string(v)) {
				has_id = true;
			} else if (!strcmp(k, "driver") && json_is_string(v) &&
				   !strcmp(json_string_value(v), "none")) {
			} else {
				json_decref(j);
				return kverr_set(err, EINVAL,
						 "-audiodev %s: '%s' is not supported: kvmem has "
						 "no sound device; only driver none",
						 arg, k);
			}
		}
		json_decref(j);
	}
	if (!has_id)
		return kverr_set(err, EINVAL, "-audiodev %s: Parameter 'id' is missing", arg);
	return 0;
}

/* kvmem gives the guest what KVM_GET_SUPPORTED_CPUID reports: QEMU's "host"
 * model (and, on KVM, "max", which is the same). */
int config_compat_cpu(struct config *cfg, const char *arg, struct kverr *err)
{
	size_t n = strcspn(arg, ",");

	(void)cfg;
	if ((n == 4 && !strncmp(arg, "host", 4)) || (n == 3 && !strncmp(arg, "max", 3))) {
		if (arg[n])
			return kverr_set(err, EINVAL,
					 "-cpu %s: kvmem takes no CPU features: the guest gets "
					 "every one KVM supports",
					 arg);
		return 0;
	}
	return kverr_set(err, EINVAL,
			 "-cpu %s: unable to find CPU model '%.*s' (kvmem gives the guest the "
			 "host's CPU as KVM supports it: -cpu host or max)",
			 arg, (int)n, arg);
}

int config_compat_sandbox(struct config *cfg, const char *arg, struct kverr *err)
{
	(void)cfg;
	return kverr_set(err, EINVAL,
			 "-sandbox %s: not supported: kvmem has no seccomp filter (leave "
			 "-sandbox out; libvirt does when query-command-line-options does not "
			 "list it)",
			 arg);
}

int config_compat_no_acpi(struct config *cfg, const char *arg, struct kverr *err)
{
	(void)cfg;
	(void)arg;
	return kverr_set(err, EINVAL,
			 "-no-acpi: not supported: kvmem's pc always has ACPI (its memory map, "
			 "NUMA nodes and power button are there); with libvirt, add "
			 "<features><acpi/></features> to the domain");
}

int config_compat_finish(struct config *cfg, bool serial_given, struct kverr *err)
{
	struct config_compat *c = &cfg->compat;

	if (c->nodefaults && !serial_given)
		cfg->serial = SERIAL_NONE;
	if (c->dump_guest_core_given)
		for (unsigned i = 0; i < cfg->nr_memdevs; i++)
			if (!cfg->memdev[i].dump_given)
				cfg->memdev[i].dump = c->dump_guest_core;
	if (c->daemonize && cfg->serial == SERIAL_STDIO)
		return kverr_set(err, EINVAL,
				 "-serial stdio: cannot use stdio with -daemonize (the default "
				 "serial port is stdio: give -nodefaults or -serial none)");
	for (unsigned i = 0; c->daemonize && i < cfg->nr_monitors; i++)
		if (cfg->monitor[i].kind == CHARDEV_STDIO)
			return kverr_set(err, EINVAL, "%s stdio: cannot use stdio with -daemonize",
					 cfg->monitor[i].mode == MONITOR_QMP ? "-qmp" : "-monitor");
	if (!c->machine_none)
		return 0;
	/* the QMP-only process has no guest: what would make one is refused */
	if (cfg->kernel || cfg->initrd || cfg->nr_devices || cfg->numa.nr_nodes ||
	    cfg->nr_memdevs || cfg->print_layout)
		return kverr_set(err, EINVAL,
				 "-machine none: kvmem's machine none is a QMP-only process "
				 "without a guest; it takes no %s",
				 cfg->kernel	      ? "-kernel"
				 : cfg->initrd	      ? "-initrd"
				 : cfg->nr_devices    ? "-device"
				 : cfg->numa.nr_nodes ? "-numa"
				 : cfg->nr_memdevs    ? "-object"
						      : "-print-layout");
	return 0;
}

void config_compat_free(struct config *cfg)
{
	free(cfg->compat.buf);
	cfg->compat.buf = NULL;
	for (unsigned i = 0; i < cfg->compat.nr_secrets; i++)
		free(cfg->compat.secret[i]);
	cfg->compat.nr_secrets = 0;
	cfg->compat.nr_accels = 0;
}
