/* test_compat.c - the options kvmem takes for libvirt (config/compat.c,
 * config/chardev.c) and query-qmp-schema from a command table
 * (qmp/schema.c): libvirt's probe and start command lines parse into what
 * kvmem acts on, every other value is refused with QEMU 7.2's words or the
 * reason, and the schema declares exactly what the table takes. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "qmp/schema.h"

#define MAX_ARGS 64

static int run(struct config *cfg, struct kverr *err, const char *const *args)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	argv[argc++] = "kvmem";
	for (; *args; args++) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return config_parse(cfg, argc, argv, err);
}

static int fcntl_getfl_for_test(int fd)
{
	return fcntl(fd, F_GETFL);
}

#define PARSE(cfg, err, ...) run(cfg, err, (const char *const[]){__VA_ARGS__, NULL})

/* libvirt's probe: a QMP-only process, no -kernel */
static void test_probe_line(void **state)
{
	struct config cfg;
	struct kverr err;
	(void)state;

	assert_int_equal(PARSE(&cfg, &err, "-S", "-no-user-config", "-nodefaults", "-nographic",
			       "-machine", "none,accel=kvm:tcg", "-qmp",
			       "unix:/tmp/x/qmp.monitor,server=on,wait=off", "-pidfile",
			       "/tmp/x/qmp.pid", "-daemonize"),
			 0);
	assert_true(cfg.compat.machine_none);
	assert_int_equal(cfg.compat.nr_accels, 2);
	assert_string_equal(cfg.compat.accel[0], "kvm");
	assert_string_equal(cfg.compat.accel[1], "tcg");
	assert_true(cfg.compat.daemonize);
	assert_string_equal(cfg.compat.pidfile, "/tmp/x/qmp.pid");
	assert_int_equal(cfg.serial, SERIAL_NONE); /* -nodefaults */
	assert_int_equal(cfg.nr_monitors, 1);
	config_free(&cfg);
}

/* the parts of libvirt's start line that are compat's and chardev's */
static void test_start_line(void **state)
{
	struct config cfg;
	struct kverr err;
	int p[2];
	char fdarg[64], kernel[] = "/tmp/kvmem-test-compat-XXXXXX";
	int kfd = mkstemp(kernel);
	(void)state;

	assert_true(kfd >= 0);
	close(kfd);
	assert_int_equal(pipe(p), 0);
	snprintf(fdarg, sizeof(fdarg), "set=0,fd=%d,opaque=serial0-source", p[1]);
	assert_int_equal(
	    PARSE(&cfg, &err, "-name", "guest=lvtest,debug-threads=on", "-S", "-machine",
		  "pc-i440fx-7.2,usb=off,dump-guest-core=off", "-accel", "kvm", "-cpu", "host",
		  "-overcommit", "mem-lock=off", "-uuid", "0073e0a5-2a91-4f8e-b1c6-7bd9c0b4a2e1",
		  "-display", "none", "-no-user-config", "-nodefaults", "-chardev",
		  "socket,id=charmonitor,fd=24,server=on,wait=off", "-mon",
		  "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc", "-no-shutdown",
		  "-boot", "strict=on", "-kernel", kernel, "-add-fd", fdarg, "-chardev",
		  "file,id=charserial0,path=/dev/fdset/0,append=on", "-audiodev",
		  "{\"id\":\"audio1\",\"driver\":\"none\"}", "-msg", "timestamp=on"),
	    0);
	unlink(kernel);
	assert_string_equal(cfg.name, "lvtest");
	assert_false(cfg.compat.dump_guest_core);
	assert_true(cfg.compat.msg_timestamp);
	assert_int_equal(cfg.on.shutdown, CONFIG_SHUTDOWN_PAUSE);
	/* the monitor is the socket libvirt bound: fd 24, QMP */
	assert_int_equal(cfg.nr_monitors, 1);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_FD);
	assert_int_equal(cfg.monitor[0].fd, 24);
	assert_int_equal(cfg.monitor[0].mode, MONITOR_QMP);
	assert_false(cfg.monitor[0].wait);
	assert_int_equal(cfg.chardevs.nr, 2);
	assert_int_equal(cfg.chardevs.chr[1].backend, CHR_FILE);
	assert_true(cfg.chardevs.chr[1].append);
	assert_int_equal(config_fdset_pick(&cfg, 0, O_WRONLY, fcntl_getfl_for_test), p[1]);
	assert_int_equal(config_fdset_pick(&cfg, 1, O_WRONLY, fcntl_getfl_for_test), -1);
	/* the read end of the pipe is not in the set: O_RDONLY finds nothing */
	assert_int_equal(config_fdset_pick(&cfg, 0, O_RDONLY, fcntl_getfl_for_test), -1);
	config_free(&cfg);
	close(p[0]);
	close(p[1]);
}

struct bad {
	const char *args[8];
	const char *needle;
};

static void test_refused(void **state)
{
	static const struct bad cases[] = {
	    {{"-accel", "foo"}, "-accel foo: invalid accelerator foo"},
	    {{"-machine", "none,accel=foo"}, "invalid accelerator foo"},
	    {{"-machine", "none,accel=kvm", "-accel", "kvm"}, "options are incompatible"},
	    {{"-accel", "kvm", "-machine", "none,accel=kvm"}, "options are incompatible"},
	    {{"-machine", "q35"}, "unsupported machine type 'q35'"},
	    {{"-machine", "pc,usb=on"}, "no USB controller"},
	    {{"-machine", "pc,usb=maybe"}, "Parameter 'usb' expects 'on' or 'off'"},
	    {{"-uuid", "xyz"}, "-uuid xyz: failed to parse UUID string: wrong format"},
	    {{"-display", "gtk"}, "kvmem has no display"},
	    {{"-display", "none,foo=1"}, "Invalid parameter 'foo'"},
	    {{"-rtc", "base=localtime"}, "host's UTC time"},
	    {{"-overcommit", "mem-lock=on"}, "does not mlock"},
	    {{"-overcommit", "mem-lock=foo"}, "Parameter 'mem-lock' expects 'on' or 'off'"},
	    {{"-audiodev", "pa,id=a"}, "no sound device"},
	    {{"-audiodev", "none"}, "Parameter 'id' is missing"},
	    {{"-cpu", "qemu64"}, "unable to find CPU model 'qemu64'"},
	    {{"-cpu", "host,+vmx"}, "takes no CPU features"},
	    {{"-sandbox", "on"}, "no seccomp"},
	    {{"-no-acpi"}, "<features><acpi/></features>"},
	    {{"-msg", "guest-name=on"}, "never name the guest"},
	    {{"-boot", "menu=on"}, "no boot menu"},
	    {{"-add-fd", "fd=1,set=1"}, "fd cannot be a standard I/O stream"},
	    {{"-add-fd", "fd=999,set=1"}, "fd is not valid or already in use"},
	    {{"-add-fd", "fd=999"}, "set option is required"},
	    {{"-chardev", "file,id=x"}, "chardev: file: no filename given"},
	    {{"-chardev", "file,path=/tmp/x"}, "chardev: no id specified"},
	    {{"-chardev", "spicevmc,id=x"}, "'spicevmc' is not a valid char driver name"},
	    {{"-chardev", "socket,id=m,path=/tmp/s"}, "add server=on"},
	    {{"-chardev", "socket,id=m,fd=3,path=/tmp/s,server=on"}, "exactly one of"},
	    {{"-chardev", "null,id=a", "-chardev", "null,id=a"}, "duplicate"},
	    {{"-mon", "chardev=nope"}, "chardev \"nope\" not found"},
	    {{"-chardev", "null,id=n", "-mon", "n,mode=foo"}, "'mode' does not accept value 'foo'"},
	    {{"-chardev", "pty,id=p", "-mon", "p"}, "socket chardev or use stdio, not pty"},
	    {{"-chardev", "socket,id=m,fd=7,server=on", "-mon", "m", "-mon", "m"}, "is in use"},
	    {{"-chardev", "stdio,id=s", "-mon", "s,mode=control"}, "cannot use stdio"},
	    {{"-daemonize"}, "cannot use stdio with -daemonize"},
	    {{"-machine", "none", "-nodefaults", "-kernel", "/dev/null"},
	     "machine none is a QMP-only process"},
	    {{"-machine", "none", "-nodefaults", "-device", "isa-serial"}, "takes no -device"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[16];
		struct config cfg;
		struct kverr err;
		size_t n = 0;

		for (; cases[i].args[n]; n++)
			args[n] = cases[i].args[n];
		if (strcmp(args[0], "-machine") || strcmp(args[1], "none") ||
		    n < 3) { /* a pc line needs a kernel */
			args[n++] = "-kernel";
			args[n++] = "/dev/null";
		}
		args[n] = NULL;
		if (run(&cfg, &err, args) != -EINVAL)
			fail_msg("case %zu (%s %s) was accepted", i, args[0], args[1]);
		assert_null(strchr(err.msg, '\n'));
		if (!strstr(err.msg, cases[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
	}
}

/* the schema says what the table declares, and nothing more */
static int nothing(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)ret;
	(void)err;
	return 0;
}

static const char *const kinds[] = {"memory-backend-ram", "secret", NULL};
static const char *const feats[] = {"json-cli", "json-cli-hotplug", NULL};
static const struct qmp_arg add_args[] = {
    {.name = "qom-type", .type = QMP_TYPE_ENUM, .values = kinds},
    {.name = "id", .type = QMP_TYPE_STR},
    {.name = "size", .type = QMP_TYPE_SIZE, .optional = true},
    {.name = NULL},
};
static const struct qmp_command cmds[] = {
    {.name = "query-x", .fn = nothing},
    {.name = "object-add", .fn = nothing, .args = add_args},
    {.name = "device_add", .fn = nothing, .features = feats},
};
static const struct qmp_commands table = {cmds, 3};

static json_t *find(json_t *schema, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(schema, i, e) if (!strcmp(json_string_value(json_object_get(e, "name")),
						     name)) return e;
	return NULL;
}

static void test_schema(void **state)
{
	json_t *s = qmp_schema(&table), *cmd, *args, *m, *qt;
	(void)state;

	assert_non_null(s);
	cmd = find(s, "query-x");
	assert_string_equal(json_string_value(json_object_get(cmd, "meta-type")), "command");
	/* no arguments: the empty object type */
	args = find(s, json_string_value(json_object_get(cmd, "arg-type")));
	assert_int_equal(json_array_size(json_object_get(args, "members")), 0);
	/* object-add/arg-type/qom-type/^secret, as libvirt looks for it */
	cmd = find(s, "object-add");
	args = find(s, json_string_value(json_object_get(cmd, "arg-type")));
	m = json_object_get(args, "members");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "name")),
			    "qom-type");
	qt = find(s, json_string_value(json_object_get(json_array_get(m, 0), "type")));
	assert_string_equal(json_string_value(json_object_get(qt, "meta-type")), "enum");
	assert_string_equal(json_string_value(json_array_get(json_object_get(qt, "values"), 1)),
			    "secret");
	/* required members have no "default"; optional ones a null one */
	assert_null(json_object_get(json_array_get(m, 1), "default"));
	assert_true(json_is_null(json_object_get(json_array_get(m, 2), "default")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 2), "type")),
			    "int");
	/* device_add/$json-cli-hotplug */
	cmd = find(s, "device_add");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cmd, "features"), 1)),
			    "json-cli-hotplug");
	assert_null(json_object_get(find(s, "object-add"), "features"));
	/* the builtins the types use are listed */
	assert_string_equal(json_string_value(json_object_get(find(s, "str"), "meta-type")),
			    "builtin");
	assert_non_null(find(s, "int"));
	assert_null(find(s, "bool"));
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_line),
	    cmocka_unit_test(test_start_line),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
