/* test_devreg.c - the device registry (src/dev/) through what a user does:
 * -device in its text and JSON forms, device_add and device_del over QMP
 * and the human monitor, -device help and DRIVER,help,
 * device-list-properties, qom-list/qom-get/qom-set.  Every message is the
 * one qemu-system-x86_64 7.2 prints for the same input (run with
 * -machine pc,accel=tcg; the QEMU driver each case was checked with is
 * named beside it), over test drivers that have every kind of property
 * and record their hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/device.h"
#include "dev/devset.h"
#include "dev/opts.h"
#include "dev/qmp.h"
#include "dev/qom.h"
#include "dev/registry.h"
#include "dev/value.h"
#include "qmp/hmp.h"

/* ---- test drivers ---- */

static char hook_log[1024];
static const char *fail_hook; /* "pre_plug", "realize", "unplug_request" */

static void logf_(const char *hook, const struct device *dev)
{
	size_t n = strlen(hook_log);

	snprintf(hook_log + n, sizeof(hook_log) - n, "%s%s(%s)", n ? " " : "", hook,
		 dev->id ? dev->id : dev->path);
}

static int hook(const char *name, struct device *dev, struct kverr *err)
{
	logf_(name, dev);
	if (fail_hook && !strcmp(fail_hook, name))
		return kverr_set(err, EINVAL, "%s failed", name);
	return 0;
}

static int t_pre_plug(struct device *dev, struct kverr *err)
{
	return hook("pre_plug", dev, err);
}

enum {
	P_MEMDEV,
	P_S,
	P_B,
	P_U8,
	P_U16,
	P_U32,
	P_U64,
	P_I32,
	P_I64,
	P_SZ,
	P_MODE,
	P_ADDR,
	P_RO,
	P_STATS,
};

static const struct dev_driver test_dev;

static int t_realize(struct device *dev, struct kverr *err)
{
	if (dev->drv == &test_dev)
		dev->val[P_RO].u = 42; /* a value only the driver sets */
	return hook("realize", dev, err);
}

static void t_plug(struct device *dev)
{
	logf_("plug", dev);
}

static int t_unplug_request(struct device *dev, struct kverr *err)
{
	return hook("unplug_request", dev, err);
}

static void t_unrealize(struct device *dev)
{
	logf_("unrealize", dev);
}

static int set_i64(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
		   struct kverr *err)
{
	(void)dev;
	if (v->i == 13)
		return kverr_set(err, EINVAL, "'%s' refuses 13", p->name);
	return 0;
}

static int get_stats(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err)
{
	(void)p;
	(void)err;
	*out = json_pack("{s:I}", "i64", (json_int_t)dev_val(dev, P_I64)->i);
	return 0;
}

static const char *const on_off_auto[] = {"on", "off", "auto", NULL};

static const struct dev_prop test_props[] = {
    [P_MEMDEV] = {.name = "memdev",
		  .type = DEV_PROP_LINK,
		  .link_kind = "memory-backend",
		  .required = "'memdev' property must be set"},
    [P_S] = {.name = "s", .type = DEV_PROP_STR, .has_default = true, .def.s = "x"},
    [P_B] = {.name = "b", .type = DEV_PROP_BOOL, .help = "on/off", .has_default = true},
    [P_U8] = {.name = "u8", .type = DEV_PROP_UINT8},
    [P_U16] = {.name = "u16", .type = DEV_PROP_UINT16},
    [P_U32] = {.name = "u32", .type = DEV_PROP_UINT32, .has_default = true, .def.u = 7},
    [P_U64] = {.name = "u64", .type = DEV_PROP_UINT64},
    [P_I32] = {.name = "i32", .type = DEV_PROP_INT32, .has_default = true, .def.i = -1},
    [P_I64] = {.name = "i64",
	       .type = DEV_PROP_INT64,
	       .type_name = "int",
	       .access = DEV_PROP_RUNTIME,
	       .set = set_i64},
    [P_SZ] = {.name = "sz", .type = DEV_PROP_SIZE},
    [P_MODE] = {.name = "mode",
		.type = DEV_PROP_ENUM,
		.type_name = "OnOffAuto",
		.values = on_off_auto,
		.help = "on/off/auto",
		.has_default = true,
		.def.s = "auto"},
    [P_ADDR] = {.name = "addr",
		.type = DEV_PROP_PCI_ADDR,
		.help = "Slot and optional function number, example: 06.0 or 06",
		.has_default = true,
		.def.i = -1},
    [P_RO] = {.name = "ro", .type = DEV_PROP_UINT64, .access = DEV_PROP_READONLY},
    [P_STATS] = {.name = "stats",
		 .type = DEV_PROP_JSON,
		 .type_name = "test statistics",
		 .access = DEV_PROP_READONLY,
		 .get = get_stats},
    {.name = NULL},
};

static const struct dev_driver test_dev = {
    .name = "test-dev",
    .desc = "a test device",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .user_creatable = true,
    .hotpluggable = true,
    .props = test_props,
    .state_size = 16,
    .pre_plug = t_pre_plug,
    .realize = t_realize,
    .plug = t_plug,
    .unplug_request = t_unplug_request,
    .unrealize = t_unrealize,
};

/* hotpluggable, removed at once by device_del (no unplug_request) */
static const struct dev_driver test_sync = {
    .name = "test-sync",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .user_creatable = true,
    .hotpluggable = true,
    .realize = t_realize,
    .unrealize = t_unrealize,
};

static const struct dev_driver test_pci = {
    .name = "test-pci",
    .alias = "tp",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .bus = DEV_BUS_PCI,
    .user_creatable = true,
    .hotpluggable = true,
};

static const struct dev_driver test_isa = {
    .name = "test-isa",
    .categories = DEV_CAT(DEV_CAT_INPUT),
    .bus = DEV_BUS_ISA,
    .user_creatable = true,
    .hotpluggable = true,
};

/* cold-plug only, in two categories */
static const struct dev_driver test_cold = {
    .name = "Test-Cold",
    .desc = "cold only",
    .categories = DEV_CAT(DEV_CAT_STORAGE) | DEV_CAT(DEV_CAT_MISC),
    .user_creatable = true,
};

/* not user-creatable: listed only because it has an alias */
static const struct dev_driver test_fixed = {
    .name = "test-fixed",
    .alias = "tf",
    .user_creatable = false,
};

static const struct dev_driver test_hidden = {
    .name = "test-hidden",
};

static const struct dev_driver test_uncat = {
    .name = "test-uncat",
    .desc = "DIMM-like",
    .user_creatable = true,
};

static struct dev_registry reg;

/* ---- a machine for the set: memdevs m0, m1; DEVICE_DELETED recorded ---- */

static char events[1024];
static int kicks;

static int resolve(void *ctx, const char *kind, const char *name, void **target, char *path,
		   size_t size)
{
	(void)ctx;
	if (strcmp(kind, "memory-backend"))
		return -ENODEV;
	if (!strncmp(name, "/objects/", 9))
		name += 9;
	if (strcmp(name, "m0") && strcmp(name, "m1"))
		return -ENODEV;
	*target = (void *)(strcmp(name, "m0") ? "m1" : "m0");
	snprintf(path, size, "/objects/%s", name);
	return 0;
}

static void on_event(void *ctx, const char *name, json_t *data)
{
	size_t n = strlen(events);
	char *text = json_dumps(data, JSON_SORT_KEYS | JSON_COMPACT);

	(void)ctx;
	snprintf(events + n, sizeof(events) - n, "%s%s %s", n ? "\n" : "", name, text);
	free(text);
	json_decref(data);
}

static void on_kick(void *ctx)
{
	(void)ctx;
	kicks++;
}

static const struct dev_set_ops ops = {.resolve_link = resolve, .event = on_event, .kick = on_kick};

static struct dev_set set;

static const struct qom_prop_desc machine_props[] = {{"kernel", "string"}, {NULL, NULL}};

static int machine_get(void *ctx, const char *name, json_t **out, struct kverr *err)
{
	(void)ctx;
	(void)err;
	(void)name;
	*out = json_string("/boot/vmlinuz");
	return 0;
}

static const struct qom_host host = {.machine_type = "pc-i440fx-7.2-machine",
				     .nr_cpus = 2,
				     .cpu_type = "host-x86_64-cpu",
				     .machine_props = machine_props,
				     .machine_get = machine_get};
static struct qom qom = {.devs = &set, .host = &host};

static int setup(void **state)
{
	struct kverr err;

	(void)state;
	hook_log[0] = events[0] = '\0';
	fail_hook = NULL;
	kicks = 0;
	dev_set_init(&set, &reg, &ops, NULL);
	assert_int_equal(
	    dev_set_add_bus(&set, "pci.0", DEV_BUS_PCI, "/machine/i440fx/pci.0", true, &err), 0);
	assert_int_equal(dev_set_add_bus(&set, "isa.0", DEV_BUS_ISA,
					 "/machine/unattached/device[3]/isa.0", false, &err),
			 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dev_set_fini(&set);
	return 0;
}

static int group_setup(void **state)
{
	const struct dev_driver *drivers[] = {&test_dev,  &test_sync,  &test_pci,    &test_isa,
					      &test_cold, &test_fixed, &test_hidden, &test_uncat};
	struct kverr err;

	(void)state;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (dev_registry_add(&reg, drivers[i], &err))
			return -1;
		/* the builtin registry, for config_parse's -device */
		dev_builtin_add(drivers[i]);
	}
	return dev_builtin.broken ? -1 : 0;
}

/* ---- helpers ---- */

/* Add a device from a text-form argument (at start unless the set's
 * machine_ready says run time); returns the error message or "". */
static const char *add_text(const char *arg)
{
	static struct kverr err;
	struct dev_opts o;

	err.msg[0] = '\0';
	if (dev_opts_parse_text(arg, &o, &err))
		return err.msg;
	dev_add(&set, &o, NULL, &err);
	dev_opts_free(&o);
	return err.msg;
}

static const char *add_json(const char *arg)
{
	static struct kverr err;
	struct dev_opts o;

	err.msg[0] = '\0';
	if (dev_opts_parse_json(arg, &o, &err))
		return err.msg;
	dev_add(&set, &o, NULL, &err);
	dev_opts_free(&o);
	return err.msg;
}

/* A QMP command over the set, as a client sends it: the answer as
 * compact JSON with sorted keys. */
static const char *qmp(const char *cmd, const char *args_json);

/* ---- registry ---- */

static void test_registry_checks(void **state)
{
	struct dev_registry r = {0};
	struct kverr err;
	static const struct dev_prop reserved[] = {{.name = "id", .type = DEV_PROP_STR}, {0}};
	static const struct dev_prop twice[] = {
	    {.name = "a", .type = DEV_PROP_STR}, {.name = "a", .type = DEV_PROP_BOOL}, {0}};
	static const struct dev_prop bad_enum[] = {{.name = "e", .type = DEV_PROP_ENUM}, {0}};
	static const struct dev_prop bad_link[] = {{.name = "l", .type = DEV_PROP_LINK}, {0}};
	static const struct dev_prop no_setter[] = {
	    {.name = "r", .type = DEV_PROP_INT64, .access = DEV_PROP_RUNTIME}, {0}};
	static const struct dev_prop no_getter[] = {
	    {.name = "j", .type = DEV_PROP_JSON, .access = DEV_PROP_READONLY}, {0}};
	struct dev_driver d = {.name = "x", .user_creatable = true};

	(void)state;
	assert_int_equal(dev_registry_add(&r, &test_dev, &err), 0);
	assert_int_equal(dev_registry_add(&r, &test_dev, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "device driver 'test-dev': registered twice (name or alias taken)");
	assert_int_equal(dev_registry_add(&r, &test_pci, &err), 0);
	d.name = "tp"; /* test-pci's alias */
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	d.name = "x";
	d.props = reserved;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "device driver 'x': property 'id' has a reserved name");
	d.props = twice;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "device driver 'x': property 'a' is declared twice");
	d.props = bad_enum;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	d.props = bad_link;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	d.props = no_setter;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	d.props = no_getter;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	d.props = NULL;
	d.hotpluggable = true;
	d.user_creatable = false;
	assert_int_equal(dev_registry_add(&r, &d, &err), -EINVAL);
	assert_int_equal(r.n, 2);
	assert_ptr_equal(dev_registry_lookup(&r, "tp"), &test_pci);
	assert_null(dev_registry_find(&r, "tp")); /* device-list-properties takes no alias */
	assert_null(dev_registry_lookup(&r, NULL));
}

/* -device help: qemu-system-x86_64 -device help's layout */
static void test_device_help_list(void **state)
{
	struct buf b = {0};

	(void)state;
	dev_registry_print_list(&reg, &b);
	/* categories in QEMU's order, each after a blank line but the first
	 * category QEMU has (Controller/Bridge/Hub); names sorted without
	 * regard to case; a device in two categories is under both */
	assert_string_equal(b.data, "\n"
				    "Storage devices:\n"
				    "name \"Test-Cold\", desc \"cold only\"\n"
				    "\n"
				    "Input devices:\n"
				    "name \"test-isa\", bus ISA\n"
				    "\n"
				    "Misc devices:\n"
				    "name \"Test-Cold\", desc \"cold only\"\n"
				    "name \"test-dev\", desc \"a test device\"\n"
				    "name \"test-pci\", bus PCI, alias \"tp\"\n"
				    "name \"test-sync\"\n"
				    "\n"
				    "Uncategorized devices:\n"
				    "name \"test-fixed\", alias \"tf\", no-user\n"
				    "name \"test-uncat\", desc \"DIMM-like\"\n");
	buf_free(&b);
}

/* -device DRIVER,help: QEMU's columns (-device pc-dimm,help,
 * virtio-balloon-pci,help) */
static void test_device_props_help(void **state)
{
	struct buf b = {0};
	struct kverr err;

	(void)state;
	assert_int_equal(dev_registry_help(&reg, "test-dev", &b, &err), 0);
	assert_string_equal(
	    b.data,
	    "test-dev options:\n"
	    "  addr=<int32>           - Slot and optional function number, example: 06.0 or 06 "
	    "(default: -1)\n"
	    "  b=<bool>               - on/off (default: false)\n"
	    "  i32=<int32>            -  (default: -1)\n"
	    "  i64=<int>\n"
	    "  memdev=<link<memory-backend>>\n"
	    "  mode=<OnOffAuto>       - on/off/auto (default: \"auto\")\n"
	    "  ro=<uint64>\n"
	    "  s=<str>                -  (default: \"x\")\n"
	    "  stats=<test statistics>\n"
	    "  sz=<size>\n"
	    "  u16=<uint16>\n"
	    "  u32=<uint32>           -  (default: 7)\n"
	    "  u64=<uint64>\n"
	    "  u8=<uint8>\n");
	buf_reset(&b);
	/* an alias works here, as in QEMU (-device virtio-balloon,help) */
	assert_int_equal(dev_registry_help(&reg, "tp", &b, &err), 0);
	assert_string_equal(b.data, "There are no options for test-pci.\n");
	buf_reset(&b);
	assert_int_equal(dev_registry_help(&reg, "nope", &b, &err), -ENODEV);
	assert_string_equal(err.msg, "Device 'nope' not found");
	assert_int_equal(dev_registry_help(&reg, "?", &b, &err), 0);
	assert_non_null(strstr(b.data, "Misc devices:\n"));
	buf_free(&b);
}

static void test_device_list_properties(void **state)
{
	(void)state;
	assert_string_equal(
	    qmp("device-list-properties", "{\"typename\": \"test-dev\"}"),
	    "{\"return\":[{\"name\":\"memdev\",\"type\":\"link<memory-backend>\"},"
	    "{\"default-value\":\"x\",\"name\":\"s\",\"type\":\"str\"},"
	    "{\"default-value\":false,\"description\":\"on/off\",\"name\":\"b\",\"type\":\"bool\"},"
	    "{\"name\":\"u8\",\"type\":\"uint8\"},{\"name\":\"u16\",\"type\":\"uint16\"},"
	    "{\"default-value\":7,\"name\":\"u32\",\"type\":\"uint32\"},"
	    "{\"name\":\"u64\",\"type\":\"uint64\"},"
	    "{\"default-value\":-1,\"name\":\"i32\",\"type\":\"int32\"},"
	    "{\"name\":\"i64\",\"type\":\"int\"},{\"name\":\"sz\",\"type\":\"size\"},"
	    "{\"default-value\":\"auto\",\"description\":\"on/off/auto\",\"name\":\"mode\","
	    "\"type\":\"OnOffAuto\"},"
	    "{\"default-value\":-1,\"description\":\"Slot and optional function number, "
	    "example: 06.0 or 06\",\"name\":\"addr\",\"type\":\"int32\"},"
	    "{\"name\":\"ro\",\"type\":\"uint64\"},"
	    "{\"name\":\"stats\",\"type\":\"test statistics\"}]}");
	assert_string_equal(qmp("device-list-properties", "{\"typename\": \"nope\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'nope' not "
			    "found\"}}");
	/* the alias is for -device, not for this command (virtio-balloon) */
	assert_string_equal(qmp("device-list-properties", "{\"typename\": \"tp\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'tp' not "
			    "found\"}}");
	assert_string_equal(qmp("device-list-properties", "{\"typename\": \"test-fixed\"}"),
			    "{\"return\":[]}");
	assert_string_equal(qmp("device-list-properties", "{}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter "
			    "'typename' is missing\"}}");
}

/* ---- the text form ---- */

static void test_opts_text(void **state)
{
	struct dev_opts o;
	struct kverr err;

	(void)state;
	assert_int_equal(
	    dev_opts_parse_text("test-dev,,x,id=a,id=b,s=1,,2,s=3,bus=pci.0", &o, &err), 0);
	assert_string_equal(o.driver, "test-dev,x"); /* ",," is a comma */
	assert_string_equal(o.id, "a");		     /* the first id= wins */
	assert_string_equal(o.bus, "pci.0");
	assert_int_equal(o.n, 1);
	assert_string_equal(o.opt[0].name, "s");
	assert_string_equal(o.opt[0].text, "3"); /* the last value wins */
	assert_false(o.help);
	dev_opts_free(&o);

	assert_int_equal(dev_opts_parse_text("test-dev,driver=test-pci,", &o, &err), 0);
	assert_string_equal(o.driver, "test-pci");
	dev_opts_free(&o);
	assert_int_equal(dev_opts_parse_text("driver=test-dev,u8=1", &o, &err), 0);
	assert_string_equal(o.driver, "test-dev");
	dev_opts_free(&o);
	assert_int_equal(dev_opts_parse_text("", &o, &err), 0);
	assert_null(o.driver);
	dev_opts_free(&o);

	/* help: a bare "help" or "?", or help=anything */
	assert_int_equal(dev_opts_parse_text("test-dev,help", &o, &err), 0);
	assert_true(o.help);
	dev_opts_free(&o);
	assert_int_equal(dev_opts_parse_text("test-dev,help=on", &o, &err), 0);
	assert_true(o.help);
	dev_opts_free(&o);
	assert_int_equal(dev_opts_parse_text("test-dev,?", &o, &err), 0);
	assert_true(o.help);
	dev_opts_free(&o);

	/* QEMU: "Parameter 'id' expects an identifier" (and a hint line) */
	assert_int_equal(dev_opts_parse_text("test-dev,id=0d", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "Parameter 'id' expects an identifier");
	assert_int_equal(dev_opts_parse_text("test-dev,id=", &o, &err), -EINVAL);
	assert_int_equal(dev_opts_parse_text("test-dev,id=a b", &o, &err), -EINVAL);
	/* a bare flag: kvmem asks for the value (QEMU 7.2 deprecated it) */
	assert_int_equal(dev_opts_parse_text("test-dev,b", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "parameter 'b' needs a value (b=on)");
}

static void test_opts_json(void **state)
{
	struct dev_opts o;
	struct kverr err;

	(void)state;
	assert_int_equal(dev_opts_parse_json("{\"driver\": \"test-dev\", \"id\": \"d0\", "
					     "\"b\": true, \"bus\": \"pci.0\"}",
					     &o, &err),
			 0);
	assert_true(o.json);
	assert_string_equal(o.driver, "test-dev");
	assert_string_equal(o.id, "d0");
	assert_string_equal(o.bus, "pci.0");
	assert_int_equal(o.n, 1);
	assert_true(json_is_true(o.opt[0].json));
	dev_opts_free(&o);
	/* driver, id and bus count only as strings (QEMU 7.2) */
	assert_int_equal(
	    dev_opts_parse_json("{\"driver\": 5, \"id\": 5, \"bus\": null}  ", &o, &err), 0);
	assert_null(o.driver);
	assert_null(o.id);
	assert_null(o.bus);
	dev_opts_free(&o);
	/* an id is not checked in the JSON form, as in QEMU 7.2 */
	assert_int_equal(dev_opts_parse_json("{\"driver\": \"x\", \"id\": \"0x\"}", &o, &err), 0);
	dev_opts_free(&o);
	assert_int_equal(dev_opts_parse_json("{\"driver\": \"x\"} x", &o, &err), -EINVAL);
	assert_string_equal(err.msg, "Expecting at most one JSON value");
	assert_int_equal(dev_opts_parse_json("{\"driver\":", &o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "JSON parse error, "));
	assert_int_equal(dev_opts_parse_json("{\"a\": 1, \"a\": 2}", &o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "JSON parse error, "));
	assert_int_equal(dev_opts_parse("[1]", &o, &err), 0); /* text: driver "[1]" */
	assert_string_equal(o.driver, "[1]");
	dev_opts_free(&o);
}

/* QMP device_add: QEMU 7.2 turns each argument into text first */
static void test_opts_qmp(void **state)
{
	struct dev_opts o;
	struct kverr err;
	json_t *args = json_loads("{\"driver\": 5, \"id\": 7, \"u8\": 1, \"sz\": 1.5, \"b\": true, "
				  "\"s\": \"t\", \"u16\": null, \"u32\": {}, \"u64\": [], "
				  "\"i32\": 1.0, \"bus\": 3}",
				  0, NULL);

	(void)state;
	assert_int_equal(dev_opts_from_qmp(args, &o, &err), 0);
	assert_false(o.json);
	assert_string_equal(o.driver, "5");
	assert_null(o.id); /* not a string: the device is anonymous */
	assert_string_equal(o.bus, "3");
	assert_int_equal(o.n, 5);
	for (unsigned i = 0; i < o.n; i++) {
		const char *want = !strcmp(o.opt[i].name, "u8")	   ? "1"
				   : !strcmp(o.opt[i].name, "sz")  ? "1.5"
				   : !strcmp(o.opt[i].name, "b")   ? "on"
				   : !strcmp(o.opt[i].name, "s")   ? "t"
				   : !strcmp(o.opt[i].name, "i32") ? "1"
								   : "?";
		assert_string_equal(o.opt[i].text, want);
	}
	dev_opts_free(&o);
	json_decref(args);
	args = json_loads("{\"driver\": \"test-dev\", \"id\": \"0x\"}", 0, NULL);
	assert_int_equal(dev_opts_from_qmp(args, &o, &err), -EINVAL);
	assert_string_equal(err.msg, "Parameter 'id' expects an identifier");
	json_decref(args);
}

/* ---- values: every type, both forms, QEMU's messages ---- */

static const char *text_value(const char *prop, const char *text, struct dev_value *v)
{
	static struct kverr err;
	int idx = dev_prop_index(&test_dev, prop);

	err.msg[0] = '\0';
	assert_true(idx >= 0);
	if (!dev_value_from_text(&test_dev, &test_props[idx], text, v, &err))
		return "";
	return err.msg;
}

static const char *json_value(const char *prop, const char *json, struct dev_value *v)
{
	static struct kverr err;
	int idx = dev_prop_index(&test_dev, prop);
	json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
	int ret;

	err.msg[0] = '\0';
	assert_non_null(j);
	ret = dev_value_from_json(&test_dev, &test_props[idx], j, v, &err);
	json_decref(j);
	return ret ? err.msg : "";
}

static void test_values_text(void **state)
{
	struct dev_value v;

	(void)state;
	/* booleans: QEMU's qapi_bool_parse spellings */
	for (const char *const *s = (const char *const[]){"on", "yes", "true", "y", NULL}; *s;
	     s++) {
		assert_string_equal(text_value("b", *s, &v), "");
		assert_true(v.b);
	}
	for (const char *const *s = (const char *const[]){"off", "no", "false", "n", NULL}; *s;
	     s++) {
		assert_string_equal(text_value("b", *s, &v), "");
		assert_false(v.b);
	}
	/* virtio-balloon-pci,deflate-on-oom=maybe */
	assert_string_equal(text_value("b", "maybe", &v), "Parameter 'b' expects 'on' or 'off'");
	assert_string_equal(text_value("b", "ON", &v), "Parameter 'b' expects 'on' or 'off'");

	/* unsigned: strtoull base 0 (pc-dimm node, addr) */
	assert_string_equal(text_value("u32", "0x10", &v), "");
	assert_int_equal(v.u, 16);
	assert_string_equal(text_value("u32", "010", &v), "");
	assert_int_equal(v.u, 8);
	assert_string_equal(text_value("u32", "4294967295", &v), "");
	assert_string_equal(text_value("u32", "x", &v), "Parameter 'u32' expects integer");
	assert_string_equal(text_value("u32", "", &v), "Parameter 'u32' expects integer");
	assert_string_equal(text_value("u32", "0x", &v), "Parameter 'u32' expects integer");
	assert_string_equal(text_value("u32", "1G", &v), "Parameter 'u32' expects integer");
	assert_string_equal(text_value("u32", "-1", &v), "Parameter 'u32' expects uint32_t");
	assert_string_equal(text_value("u32", "4294967296", &v),
			    "Parameter 'u32' expects uint32_t");
	assert_string_equal(text_value("u8", "256", &v), "Parameter 'u8' expects uint8_t");
	assert_string_equal(text_value("u16", "65536", &v), "Parameter 'u16' expects uint16_t");
	/* a uint64 wraps a negative number around, as QEMU's (addr=-1) */
	assert_string_equal(text_value("u64", "-1", &v), "");
	assert_true(v.u == UINT64_MAX);
	assert_string_equal(text_value("u64", " 0x100", &v), ""); /* strtoull skips blanks */
	assert_int_equal(v.u, 256);
	assert_string_equal(text_value("u64", "18446744073709551616", &v),
			    "Parameter 'u64' expects integer");

	/* signed (pc-dimm slot) */
	assert_string_equal(text_value("i32", "-2", &v), "");
	assert_int_equal(v.i, -2);
	assert_string_equal(text_value("i32", "x", &v), "Parameter 'i32' expects integer");
	assert_string_equal(text_value("i32", "2147483648", &v), "Parameter 'i32' expects int32_t");
	assert_string_equal(text_value("i64", "-9223372036854775808", &v), "");

	/* sizes (virtio-mem-pci requested-size) */
	assert_string_equal(text_value("sz", "1G", &v), "");
	assert_true(v.u == 1ULL << 30);
	assert_string_equal(text_value("sz", "1.5M", &v), "");
	assert_true(v.u == 3ULL << 19);
	assert_string_equal(text_value("sz", "4096", &v), "");
	assert_int_equal(v.u, 4096);
	assert_string_equal(text_value("sz", "abc", &v), "Parameter 'sz' expects size");
	assert_string_equal(text_value("sz", "-1", &v), "Parameter 'sz' expects size");
	assert_string_equal(text_value("sz", "1.5", &v), "Parameter 'sz' expects size");
	assert_string_equal(text_value("sz", "16E", &v), "Parameter 'sz' expects size");

	/* enums (virtio-mem-pci unplugged-inaccessible) */
	assert_string_equal(text_value("mode", "off", &v), "");
	assert_int_equal(v.u, 1);
	assert_string_equal(text_value("mode", "maybe", &v),
			    "Parameter 'mode' does not accept value 'maybe'");

	/* PCI addresses (virtio-balloon-pci addr) */
	assert_string_equal(text_value("addr", "3", &v), "");
	assert_int_equal(v.i, 3 << 3);
	assert_string_equal(text_value("addr", "0x3", &v), "");
	assert_int_equal(v.i, 3 << 3);
	assert_string_equal(text_value("addr", "1f.7", &v), "");
	assert_int_equal(v.i, 0x1f << 3 | 7);
	assert_string_equal(text_value("addr", "1f.8", &v),
			    "Property 'test-dev.addr' doesn't take value '1f.8'");
	assert_string_equal(text_value("addr", "20", &v),
			    "Property 'test-dev.addr' doesn't take value '20'");
	assert_string_equal(text_value("addr", "xyz", &v),
			    "Property 'test-dev.addr' doesn't take value 'xyz'");
	assert_string_equal(text_value("addr", "-1", &v),
			    "Property 'test-dev.addr' doesn't take value '-1'");
	assert_string_equal(text_value("addr", "3.1x", &v),
			    "Property 'test-dev.addr' doesn't take value '3.1x'");

	/* strings and links are taken as written */
	assert_string_equal(text_value("s", "a,b", &v), "");
	assert_string_equal(v.s, "a,b");
	dev_value_clear(&v);
}

/* the JSON form and qom-set: the JSON type must match */
static void test_values_json(void **state)
{
	struct dev_value v;

	(void)state;
	assert_string_equal(json_value("b", "true", &v), "");
	assert_true(v.b);
	/* virtio-balloon-pci "deflate-on-oom": "on" */
	assert_string_equal(json_value("b", "\"on\"", &v),
			    "Invalid parameter type for 'b', expected: boolean");
	/* pc-dimm "node": "1", 1.0, null, {} */
	assert_string_equal(json_value("u32", "\"1\"", &v), "Parameter 'u32' expects uint64");
	assert_string_equal(json_value("u32", "1.0", &v), "Parameter 'u32' expects uint64");
	assert_string_equal(json_value("u32", "null", &v), "Parameter 'u32' expects uint64");
	assert_string_equal(json_value("u32", "-1", &v), "Parameter 'u32' expects uint32_t");
	assert_string_equal(json_value("u64", "-1", &v), "");
	assert_true(v.u == UINT64_MAX);
	/* virtio-mem-pci "requested-size": "1M" */
	assert_string_equal(json_value("sz", "\"1M\"", &v), "Parameter 'sz' expects uint64");
	assert_string_equal(json_value("sz", "1048576", &v), "");
	/* pc-dimm "slot": "1", 1.5, 4294967296 */
	assert_string_equal(json_value("i32", "\"1\"", &v),
			    "Invalid parameter type for 'i32', expected: integer");
	assert_string_equal(json_value("i32", "1.5", &v),
			    "Invalid parameter type for 'i32', expected: integer");
	assert_string_equal(json_value("i32", "4294967296", &v), "Parameter 'i32' expects int32_t");
	/* pc-dimm "memdev": 5 */
	assert_string_equal(json_value("memdev", "5", &v),
			    "Invalid parameter type for 'memdev', expected: string");
	assert_string_equal(json_value("s", "5", &v),
			    "Invalid parameter type for 's', expected: string");
	assert_string_equal(json_value("mode", "1", &v),
			    "Invalid parameter type for 'mode', expected: string");
	assert_string_equal(json_value("mode", "\"maybe\"", &v),
			    "Parameter 'mode' does not accept value 'maybe'");
	/* virtio-balloon-pci "addr": "3.0", 3, 256, -2, true, "zz" */
	assert_string_equal(json_value("addr", "\"3.0\"", &v), "");
	assert_int_equal(v.i, 24);
	assert_string_equal(json_value("addr", "3", &v), "");
	assert_int_equal(v.i, 3);
	assert_string_equal(json_value("addr", "256", &v),
			    "Parameter 'addr' expects a value between -1 and 255");
	assert_string_equal(json_value("addr", "-2", &v),
			    "Parameter 'addr' expects a value between -1 and 255");
	assert_string_equal(json_value("addr", "true", &v),
			    "Invalid parameter type for 'addr', expected int or str");
	assert_string_equal(json_value("addr", "\"zz\"", &v),
			    "Property 'test-dev.addr' doesn't take value 'zz'");
}

/* ---- creating devices: QEMU's order of checks ---- */

static void test_add_errors(void **state)
{
	(void)state;
	/* -device pc-dimm with no memdev */
	assert_string_equal(add_text("test-dev"), "'memdev' property must be set");
	assert_string_equal(add_text(""), "Parameter 'driver' is missing");
	assert_string_equal(add_text("foo"), "'foo' is not a valid device model name");
	assert_string_equal(add_text("test-dev,,x"),
			    "'test-dev,x' is not a valid device model name");
	/* kvmvapic, PIIX4_PM */
	assert_string_equal(add_text("test-fixed"),
			    "Parameter 'driver' expects a pluggable device type");
	assert_string_equal(add_text("tf"), "Parameter 'driver' expects a pluggable device type");
	assert_string_equal(add_text("test-dev,memdev=m0,foo=1"),
			    "Property 'test-dev.foo' not found");
	/* pc-dimm,size=1 */
	assert_string_equal(add_text("test-dev,memdev=m0,ro=1"),
			    "Property 'test-dev.ro' is not writable");
	assert_string_equal(add_text("test-dev,memdev=m0,stats=1"),
			    "Property 'test-dev.stats' is not writable");
	/* pc-dimm,memdev=nope; and an absolute path */
	assert_string_equal(add_text("test-dev,memdev=nope"), "Device 'nope' not found");
	assert_string_equal(add_text("test-dev,memdev=/objects/nope"),
			    "Device '/objects/nope' not found");
	assert_string_equal(add_text("test-dev,memdev=m0,u32=x"),
			    "Parameter 'u32' expects integer");
	/* buses: virtio-balloon-pci,bus=pci.1; pc-dimm,bus=pci.0 */
	assert_string_equal(add_text("test-pci,bus=pci.1"), "Bus 'pci.1' not found");
	assert_string_equal(add_text("test-dev,memdev=m0,bus=pci.0"),
			    "Device 'test-dev' can't go on PCI bus");
	assert_string_equal(add_text("test-pci,bus=isa.0"),
			    "Device 'test-pci' can't go on ISA bus");
	/* the bus is checked before properties */
	assert_string_equal(add_text("test-pci,bus=x,foo=1"), "Bus 'x' not found");
	/* nothing was left behind by any of these */
	assert_null(set.first);
	assert_string_equal(hook_log, "");

	/* a driver whose bus the machine lacks */
	set.nr_buses = 0;
	assert_string_equal(add_text("tp"), "No 'PCI' bus found for device 'test-pci'");
}

static void test_add_and_ids(void **state)
{
	struct device *d;

	(void)state;
	assert_string_equal(add_text("test-dev,id=d0,memdev=m0,u32=3,mode=on,addr=1f.2"), "");
	assert_string_equal(hook_log, "pre_plug(d0) realize(d0) plug(d0)");
	d = dev_find_id(&set, "d0");
	assert_non_null(d);
	assert_true(d->realized);
	assert_false(d->hotplugged);
	assert_string_equal(d->path, "/machine/peripheral/d0");
	assert_string_equal(dev_val(d, P_MEMDEV)->s, "/objects/m0");
	assert_string_equal((const char *)dev_val(d, P_MEMDEV)->target, "m0");
	assert_int_equal(dev_val(d, P_U32)->u, 3);
	assert_int_equal(dev_val(d, P_MODE)->u, 0);
	assert_int_equal(dev_val(d, P_ADDR)->i, 0x1f << 3 | 2);
	assert_string_equal(dev_val(d, P_S)->s, "x"); /* the default */
	assert_int_equal(dev_val(d, P_I32)->i, -1);
	assert_non_null(d->state);
	/* QMP device_add pc-dimm,id=d0 again */
	assert_string_equal(add_json("{\"driver\": \"test-dev\", \"id\": \"d0\", \"memdev\": "
				     "\"m1\"}"),
			    "Duplicate device ID 'd0'");
	/* the driver is checked before the id ({"driver":"nope","id":"d1"}) */
	assert_string_equal(add_text("nope,id=d0"), "'nope' is not a valid device model name");

	/* anonymous devices: device[N], N counting every one QEMU began to
	 * create (a property error still uses a number, a bus error not) */
	assert_string_equal(add_text("test-dev,memdev=m0"), "");
	assert_string_equal(add_text("test-dev,memdev=m0,u8=x"), "Parameter 'u8' expects integer");
	assert_string_equal(add_text("test-dev,memdev=nope"), "Device 'nope' not found");
	assert_string_equal(add_text("test-pci,bus=x"), "Bus 'x' not found");
	assert_string_equal(add_text("test-dev"), "'memdev' property must be set");
	assert_string_equal(add_json("{\"driver\": \"test-dev\", \"memdev\": \"/objects/m1\", "
				     "\"b\": true, \"sz\": 4096}"),
			    "");
	assert_non_null(dev_find_path(&set, "/machine/peripheral-anon/device[0]"));
	assert_non_null(dev_find_path(&set, "/machine/peripheral-anon/device[4]"));
	assert_null(dev_find_path(&set, "/machine/peripheral-anon/device[1]"));
	assert_non_null(dev_find_path(&set, "d0"));
	assert_non_null(dev_find_path(&set, "//machine//peripheral/d0/"));
	assert_int_equal(set.nr, 3);

	/* a failing hook leaves nothing behind; plug never runs after one */
	hook_log[0] = '\0';
	fail_hook = "pre_plug";
	assert_string_equal(add_text("test-dev,id=f1,memdev=m0"), "pre_plug failed");
	fail_hook = "realize";
	assert_string_equal(add_text("test-dev,id=f2,memdev=m0"), "realize failed");
	assert_string_equal(hook_log, "pre_plug(f1) pre_plug(f2) realize(f2)");
	assert_null(dev_find_id(&set, "f1"));
	assert_null(dev_find_id(&set, "f2"));
	assert_int_equal(set.nr, 3);
}

static void test_hotplug(void **state)
{
	struct device *d;

	(void)state;
	assert_string_equal(add_text("Test-Cold,id=c"), "");
	assert_string_equal(add_text("test-isa,id=i"), "");
	set.machine_ready = true; /* the machine runs: device_add is a hotplug */
	/* PIIX4_PM at run time; isa-serial at run time */
	assert_string_equal(add_text("Test-Cold"),
			    "Parameter 'driver' expects a pluggable device type");
	assert_string_equal(add_text("test-isa"), "Bus 'isa.0' does not support hotplugging");
	assert_string_equal(add_text("test-dev,id=h,memdev=m1"), "");
	d = dev_find_id(&set, "h");
	assert_true(d->hotplugged);

	/* device_del: QEMU's messages (isa-serial; a non-hotpluggable one) */
	assert_string_equal(qmp("device_del", "{\"id\": \"i\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Bus 'isa.0' does "
			    "not support hotplugging\"}}");
	assert_string_equal(qmp("device_del", "{\"id\": \"c\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Device 'Test-Cold' "
			    "does not support hotplugging\"}}");
	assert_string_equal(qmp("device_del", "{\"id\": \"nope\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'nope' not "
			    "found\"}}");
	assert_string_equal(qmp("device_del", "{\"id\": \"/machine/peripheral\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"/machine/peripheral "
			    "is not a hotpluggable device\"}}");
	assert_string_equal(qmp("device_del", "{\"id\": \"/machine\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"/machine is not a "
			    "hotpluggable device\"}}");
	assert_string_equal(qmp("device_del", "{}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'id' is "
			    "missing\"}}");
	assert_string_equal(qmp("device_del", "{\"id\": 5}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Invalid parameter "
			    "type for 'id', expected: string\"}}");

	/* an asynchronous unplug: the request, later the driver's "done" */
	hook_log[0] = '\0';
	fail_hook = "unplug_request";
	assert_string_equal(qmp("device_del", "{\"id\": \"h\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"unplug_request "
			    "failed\"}}");
	fail_hook = NULL;
	assert_string_equal(qmp("device_del", "{\"id\": \"/machine/peripheral/h\"}"),
			    "{\"return\":{}}");
	assert_true(d->unplug_requested);
	assert_string_equal(events, ""); /* the guest has not let go yet */
	assert_non_null(dev_find_id(&set, "h"));
	dev_unplug_done_async(d); /* e.g. from a vCPU thread */
	assert_int_equal(kicks, 1);
	assert_non_null(dev_find_id(&set, "h"));
	dev_set_run_pending(&set); /* the main loop */
	assert_null(dev_find_id(&set, "h"));
	assert_string_equal(hook_log, "unplug_request(h) unplug_request(h) unrealize(h)");
	assert_string_equal(events,
			    "DEVICE_DELETED {\"device\":\"h\",\"path\":\"/machine/peripheral/h\"}");

	/* a driver without unplug_request goes at once; an anonymous one
	 * has no "device" in the event */
	events[0] = '\0';
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-sync\"}"), "{\"return\":{}}");
	assert_string_equal(qmp("device_del", "{\"id\": \"/machine/peripheral-anon/device[0]\"}"),
			    "{\"return\":{}}");
	assert_string_equal(events,
			    "DEVICE_DELETED {\"path\":\"/machine/peripheral-anon/device[0]\"}");
	/* its id is free again */
	assert_string_equal(add_text("test-dev,id=h,memdev=m1"), "");
}

static void test_fini_order(void **state)
{
	(void)state;
	assert_string_equal(add_text("test-dev,id=a,memdev=m0"), "");
	assert_string_equal(add_text("test-dev,id=b,memdev=m0"), "");
	hook_log[0] = '\0';
	dev_set_fini(&set);
	assert_string_equal(hook_log, "unrealize(b) unrealize(a)");
	assert_null(set.first);
	assert_string_equal(events, ""); /* no DEVICE_DELETED when kvmem exits */
}

/* ---- QMP device_add: arguments as text ---- */

static void test_qmp_device_add(void **state)
{
	(void)state;
	assert_string_equal(qmp("device_add", "{}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'driver' "
			    "is missing\"}}");
	assert_string_equal(qmp("device_add", "{\"driver\": 5}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"'5' is not a valid "
			    "device model name\"}}");
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-dev\", \"memdev\": \"nope\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'nope' not "
			    "found\"}}");
	/* "node": "x" and "node": 1.5 as text */
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-dev\", \"memdev\": \"m0\", "
					      "\"u32\": 1.5}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'u32' "
			    "expects integer\"}}");
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-dev\", \"memdev\": \"m0\", "
					      "\"help\": true}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'test-dev.help' not found\"}}");
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-dev\", \"id\": \"0x\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'id' "
			    "expects an identifier\"}}");
	/* "deflate-on-oom": true, "node": "1", "u32": {} (dropped) */
	assert_string_equal(qmp("device_add", "{\"driver\": \"test-dev\", \"id\": \"q\", "
					      "\"memdev\": \"m0\", \"b\": true, \"u64\": \"5\", "
					      "\"u32\": {}, \"i32\": 4}"),
			    "{\"return\":{}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"q\", \"property\": \"b\"}"),
			    "{\"return\":true}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"q\", \"property\": \"u64\"}"),
			    "{\"return\":5}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"q\", \"property\": \"u32\"}"),
			    "{\"return\":7}");
}

/* ---- qom-list, qom-get, qom-set ---- */

static void test_qom(void **state)
{
	(void)state;
	assert_string_equal(add_text("test-dev,id=d0,memdev=m0,i64=5"), "");
	assert_string_equal(add_text("test-pci,id=p"), "");
	assert_string_equal(add_json("{\"driver\": \"test-dev\", \"memdev\": \"m1\"}"), "");

	assert_string_equal(qmp("qom-list", "{\"path\": \"/\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"machine\",\"type\":\"child<pc-i440fx-7.2-machine>\"}]}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"kernel\",\"type\":\"string\"},"
			    "{\"name\":\"unattached\",\"type\":\"child<container>\"},"
			    "{\"name\":\"peripheral-anon\",\"type\":\"child<container>\"},"
			    "{\"name\":\"peripheral\",\"type\":\"child<container>\"}]}");
	/* the vCPUs where QEMU's pc has them: CPU 1 is device[2] (1 is CPU 0's APIC) */
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/unattached\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"device[0]\",\"type\":\"child<host-x86_64-cpu>\"},"
			    "{\"name\":\"device[2]\",\"type\":\"child<host-x86_64-cpu>\"}]}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/unattached/device[2]\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"}]}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine/unattached/device[0]\", "
					   "\"property\": \"type\"}"),
			    "{\"return\":\"host-x86_64-cpu\"}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/unattached/device[1]\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device "
			    "'/machine/unattached/device[1]' not found\"}}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/peripheral\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"d0\",\"type\":\"child<test-dev>\"},"
			    "{\"name\":\"p\",\"type\":\"child<test-pci>\"}]}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/peripheral-anon\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"device[0]\",\"type\":\"child<test-dev>\"}]}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"p\"}"),
			    "{\"return\":[{\"name\":\"type\",\"type\":\"string\"},"
			    "{\"name\":\"parent_bus\",\"type\":\"link<bus>\"},"
			    "{\"name\":\"realized\",\"type\":\"bool\"},"
			    "{\"name\":\"hotplugged\",\"type\":\"bool\"},"
			    "{\"name\":\"hotpluggable\",\"type\":\"bool\"}]}");
	/* paths: partial, "//", a trailing "/", ambiguous, missing */
	assert_non_null(strstr(qmp("qom-list", "{\"path\": \"peripheral/d0\"}"), "\"memdev\""));
	assert_non_null(
	    strstr(qmp("qom-list", "{\"path\": \"machine/peripheral/d0\"}"), "\"i64\""));
	assert_non_null(
	    strstr(qmp("qom-list", "{\"path\": \"/machine//peripheral/d0/\"}"), "\"stats\""));
	assert_non_null(
	    strstr(qmp("qom-list", "{\"path\": \"peripheral-anon/device[0]\"}"), "\"memdev\""));
	/* device[0] is also CPU 0 at /machine/unattached, as in QEMU */
	assert_string_equal(qmp("qom-list", "{\"path\": \"device[0]\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Path 'device[0]' "
			    "is ambiguous\"}}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Path '' is "
			    "ambiguous\"}}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"/machine/nothere\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device "
			    "'/machine/nothere' not found\"}}");
	assert_string_equal(qmp("qom-list", "{\"path\": \"type\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'type' not "
			    "found\"}}");

	/* qom-get: what QEMU answers for a pc-dimm (type, links, defaults) */
	assert_string_equal(qmp("qom-get", "{\"path\": \"/\", \"property\": \"type\"}"),
			    "{\"return\":\"container\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine\", \"property\": \"type\"}"),
			    "{\"return\":\"pc-i440fx-7.2-machine\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine\", \"property\": \"kernel\"}"),
			    "{\"return\":\"/boot/vmlinuz\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine\", \"property\": "
					   "\"peripheral\"}"),
			    "{\"return\":\"/machine/peripheral\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine/peripheral\", \"property\": "
					   "\"d0\"}"),
			    "{\"return\":\"/machine/peripheral/d0\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"/machine\", \"property\": \"nope\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'pc-i440fx-7.2-machine.nope' not found\"}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"type\"}"),
			    "{\"return\":\"test-dev\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"memdev\"}"),
			    "{\"return\":\"/objects/m0\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"realized\"}"),
			    "{\"return\":true}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"hotplugged\"}"),
			    "{\"return\":false}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"hotpluggable\"}"),
			    "{\"return\":true}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"parent_bus\"}"),
			    "{\"return\":\"\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"p\", \"property\": \"parent_bus\"}"),
			    "{\"return\":\"/machine/i440fx/pci.0\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"mode\"}"),
			    "{\"return\":\"auto\"}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"addr\"}"),
			    "{\"return\":-1}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"ro\"}"),
			    "{\"return\":42}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"stats\"}"),
			    "{\"return\":{\"i64\":5}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"nope\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'test-dev.nope' not found\"}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"nope\", \"property\": \"type\"}"),
			    "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'nope' not "
			    "found\"}}");

	/* qom-set: QEMU's pc-dimm after realize; a settable one (the
	 * balloon's guest-stats-polling-interval); read-only ones */
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"u32\", \"value\": "
					   "1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Attempt to set "
			    "property 'u32' on device 'd0' (type 'test-dev') after it was "
			    "realized\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"u32\", \"value\": "
					   "\"x\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Attempt to set "
			    "property 'u32' on device 'd0' (type 'test-dev') after it was "
			    "realized\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"/machine/peripheral-anon/device[0]\", "
					   "\"property\": \"b\", \"value\": true}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Attempt to set "
			    "property 'b' on anonymous device (type 'test-dev') after it was "
			    "realized\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"i64\", \"value\": "
					   "9}"),
			    "{\"return\":{}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"i64\"}"),
			    "{\"return\":9}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"i64\", \"value\": "
					   "\"9\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Invalid parameter "
			    "type for 'i64', expected: integer\"}}");
	/* the driver refuses; the value stays */
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"i64\", \"value\": "
					   "13}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"'i64' refuses "
			    "13\"}}");
	assert_string_equal(qmp("qom-get", "{\"path\": \"d0\", \"property\": \"stats\"}"),
			    "{\"return\":{\"i64\":9}}");
	/* pc-dimm size; the type */
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"ro\", \"value\": "
					   "1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'test-dev.ro' is not writable\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"type\", \"value\": "
					   "1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'test-dev.type' is not writable\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"nope\", \"value\": "
					   "1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'test-dev.nope' not found\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"/machine\", \"property\": \"peripheral\", "
					   "\"value\": 1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'pc-i440fx-7.2-machine.peripheral' is not writable\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"/machine\", \"property\": \"nope\", "
					   "\"value\": 1}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Property "
			    "'pc-i440fx-7.2-machine.nope' not found\"}}");
	assert_string_equal(qmp("qom-set", "{\"path\": \"d0\", \"property\": \"i64\"}"),
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'value' "
			    "is missing\"}}");
}

/* ---- the human monitor ---- */

static const char *hmp(const char *line);

static void test_hmp(void **state)
{
	(void)state;
	assert_string_equal(hmp("device_add test-dev,id=h1,memdev=m0"), "");
	assert_non_null(dev_find_id(&set, "h1"));
	assert_string_equal(hmp("device_add test-dev,id=h1,memdev=m0"),
			    "Error: Duplicate device ID 'h1'\n");
	assert_string_equal(hmp("device_add foo"),
			    "Error: 'foo' is not a valid device model name\n");
	assert_string_equal(hmp("device_add"), "Error: Parameter 'driver' is missing\n");
	assert_string_equal(hmp("device_add test-dev,memdev=m0,u8=x"),
			    "Error: Parameter 'u8' expects integer\n");
	assert_string_equal(hmp("device_add test-dev,memdev=m0 x"),
			    "device_add: extraneous characters at the end of line\n"
			    "Try \"help device_add\" for more information\n");
	assert_string_equal(hmp("device_add tp,help"), "There are no options for test-pci.\n");
	assert_non_null(
	    strstr(hmp("device_add help"), "name \"test-dev\", desc \"a test device\"\n"));
	assert_string_equal(hmp("device_add nope,help"), "Error: Device 'nope' not found\n");
	assert_string_equal(hmp("device_del"), "device_del: string expected\n"
					       "Try \"help device_del\" for more information\n");
	assert_string_equal(hmp("device_del h1 x"),
			    "device_del: extraneous characters at the end of line\n"
			    "Try \"help device_del\" for more information\n");
	assert_string_equal(hmp("device_del nope"), "Error: Device 'nope' not found\n");
	hook_log[0] = '\0';
	assert_string_equal(hmp("device_del h1"), "");
	assert_string_equal(hook_log, "unplug_request(h1)");
}

/* ---- the command line ---- */

static const char *parse(struct config *cfg, const char *const *args)
{
	static struct kverr err;
	char *argv[32] = {"kvmem", "-print-layout"};
	int argc = 2;

	err.msg[0] = '\0';
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	if (config_parse(cfg, argc, argv, &err))
		return err.msg;
	return "";
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_command_line(void **state)
{
	struct config cfg;
	struct buf b = {0};
	struct kverr err;

	(void)state;
	/* the memdev may come after the -device that names it */
	assert_string_equal(parse(&cfg, ARGS("-device", "test-dev,id=d0,memdev=m0", "-object",
					     "memory-backend-ram,id=m0,size=1M")),
			    "");
	assert_int_equal(cfg.nr_devices, 1);
	config_free(&cfg);
	assert_string_equal(parse(&cfg, ARGS("-device", "foo")),
			    "-device foo: 'foo' is not a valid device model name");
	assert_string_equal(parse(&cfg, ARGS("-device", "test-dev")),
			    "-device test-dev: 'memdev' property must be set");
	assert_string_equal(parse(&cfg, ARGS("-device", "test-dev,memdev=m9")),
			    "-device test-dev,memdev=m9: Device 'm9' not found");
	assert_string_equal(parse(&cfg, ARGS("-device", "test-dev,id=0d")),
			    "-device test-dev,id=0d: Parameter 'id' expects an identifier");
	/* two text-form ids clash when the option is read (QEMU's QemuOpts) */
	assert_string_equal(parse(&cfg, ARGS("-device", "Test-Cold,id=x", "-device", "nope,id=x")),
			    "-device nope,id=x: Duplicate ID 'x' for device");
	/* with a JSON one, when the devices are made */
	assert_string_equal(
	    parse(&cfg, ARGS("-device", "{\"driver\": \"Test-Cold\", \"id\": \"x\"}", "-device",
			     "Test-Cold,id=x")),
	    "-device {\"driver\": \"Test-Cold\", \"id\": \"x\"}: Duplicate device ID "
	    "'x'");
	/* the text-form devices come first: nope2's error before the JSON
	 * one's, as QEMU 7.2 shows it */
	assert_string_equal(
	    parse(&cfg, ARGS("-device", "{\"driver\":\"nope\"}", "-device", "nope2")),
	    "-device nope2: 'nope2' is not a valid device model name");
	assert_string_equal(parse(&cfg, ARGS("-device", "{\"driver\":\"x\"")),
			    "-device {\"driver\":\"x\": JSON parse error, '}' expected near end of "
			    "file");
	assert_string_equal(parse(&cfg, ARGS("-device", "{}")),
			    "-device {}: Parameter 'driver' is missing");
	assert_string_equal(parse(&cfg, ARGS("-device", "test-pci,bus=pci.1")),
			    "-device test-pci,bus=pci.1: Bus 'pci.1' not found");

	/* help acts where it stands */
	assert_string_equal(parse(&cfg, ARGS("-device", "help", "-m", "12X")), "");
	assert_int_equal(cfg.action, CONFIG_DEVICE_HELP);
	assert_int_equal(config_device_help(&cfg, &b, &err), 0);
	assert_non_null(strstr(b.data, "Misc devices:\n"));
	config_free(&cfg);
	buf_reset(&b);
	assert_string_equal(parse(&cfg, ARGS("-device", "tp,help")), "");
	assert_int_equal(config_device_help(&cfg, &b, &err), 0);
	assert_string_equal(b.data, "There are no options for test-pci.\n");
	config_free(&cfg);
	assert_string_equal(parse(&cfg, ARGS("-device", "nope,help")), "");
	assert_int_equal(config_device_help(&cfg, &b, &err), -ENODEV);
	assert_string_equal(err.msg, "-device nope,help: Device 'nope' not found");
	config_free(&cfg);
	buf_free(&b);
}

/* ---- the QMP table over the test set ---- */

#define CMD(fn_name, body)                                                                         \
	static int fn_name(const struct qmp_request *req, json_t **ret, struct qmp_error *err)     \
	{                                                                                          \
		(void)ret;                                                                         \
		body;                                                                              \
	}
CMD(c_add, return dev_qmp_device_add(&set, req->args, err))
CMD(c_del, return dev_qmp_device_del(&qom, req->args, err))
CMD(c_dlp, return dev_qmp_device_list_properties(&reg, req->args, ret, err))
CMD(c_list, return dev_qmp_qom_list(&qom, req->args, ret, err))
CMD(c_get, return dev_qmp_qom_get(&qom, req->args, ret, err))
CMD(c_set, return dev_qmp_qom_set(&qom, req->args, err))
CMD(c_help, return dev_qmp_device_help(&reg, req->args, ret, err))

static const struct qmp_command table_rows[] = {
    {.name = "device_add", .fn = c_add, .flags = QMP_CMD_OPEN_ARGS},
    {.name = "device_del", .fn = c_del, .args = dev_qmp_device_del_args},
    {.name = "device-list-properties", .fn = c_dlp, .args = dev_qmp_list_properties_args},
    {.name = "qom-list", .fn = c_list, .args = dev_qmp_qom_list_args},
    {.name = "qom-get", .fn = c_get, .args = dev_qmp_qom_get_args},
    {.name = "qom-set", .fn = c_set, .args = dev_qmp_qom_set_args},
    {.name = "x-kvmem-query-device-help", .fn = c_help, .args = dev_qmp_device_help_args},
};
static const struct qmp_commands table = {table_rows, sizeof(table_rows) / sizeof(table_rows[0])};

static const char *qmp(const char *cmd, const char *args_json)
{
	static char out[4096];
	struct qmp_session session = {.command_mode = true};
	char msg[2048];
	json_t *rsp;
	char *text;

	snprintf(msg, sizeof(msg), "{\"execute\": \"%s\", \"arguments\": %s}", cmd, args_json);
	rsp = qmp_dispatch(&table, NULL, &session, msg, strlen(msg));
	text = json_dumps(rsp, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(out, sizeof(out), "%s", text);
	free(text);
	json_decref(rsp);
	return out;
}

static const char *hmp(const char *line)
{
	static char out[8192];
	struct buf b = {0};

	hmp_execute(&table, NULL, line, &b);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_checks),
	    cmocka_unit_test(test_device_help_list),
	    cmocka_unit_test(test_device_props_help),
	    cmocka_unit_test_setup_teardown(test_device_list_properties, setup, teardown),
	    cmocka_unit_test(test_opts_text),
	    cmocka_unit_test(test_opts_json),
	    cmocka_unit_test(test_opts_qmp),
	    cmocka_unit_test(test_values_text),
	    cmocka_unit_test(test_values_json),
	    cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotplug, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fini_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qmp_device_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hmp, setup, teardown),
	    cmocka_unit_test(test_command_line),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
