/* test_hmp.c - the human monitor (src/qmp/hmp.c) over a QMP table of canned
 * answers: QEMU 7.2's HMP spellings and output formats, its messages for
 * unknown commands and extra arguments, and "Error: " for failed commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qmp/hmp.h"

static char last_call[64];
static const char *status = "running";
static bool fail_cont;

static int record(const struct qmp_request *req, json_t **ret, struct qmp_error *err, const char *n)
{
	(void)req;
	(void)ret;
	(void)err;
	snprintf(last_call, sizeof(last_call), "%s", n);
	return 0;
}

#define RECORDER(fn, name)                                                                         \
	static int fn(const struct qmp_request *req, json_t **ret, struct qmp_error *err)          \
	{                                                                                          \
		return record(req, ret, err, name);                                                \
	}
RECORDER(cmd_stop, "stop")
RECORDER(cmd_quit, "quit")
RECORDER(cmd_powerdown, "system_powerdown")
RECORDER(cmd_reset, "system_reset")

static int cmd_cont(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	if (fail_cont)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Resetting the Virtual Machine is required");
	return record(req, ret, err, "cont");
}

static int cmd_status(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("{s:b, s:b, s:s}", "running", !strcmp(status, "running"), "singlestep", 0,
			 "status", status);
	return 0;
}

static int cmd_cpus(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("[{s:i, s:i}, {s:i, s:i}]", "cpu-index", 0, "thread-id", 100, "cpu-index",
			 1, "thread-id", 101);
	return 0;
}

static int cmd_memdev(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("[{s:s, s:I, s:b, s:b, s:b, s:b, s:b, s:[i,i,i,i], s:s},"
			 " {s:s, s:I, s:b, s:b, s:b, s:b, s:[], s:s}]",
			 "id", "m0", "size", (json_int_t)1 << 30, "merge", 1, "dump", 1, "prealloc",
			 0, "share", 1, "reserve", 0, "host-nodes", 0, 1, 2, 5, "policy", "bind",
			 "id", "m1", "size", (json_int_t)4096, "merge", 0, "dump", 0, "prealloc", 1,
			 "share", 0, "host-nodes", "policy", "default");
	return 0;
}

static int cmd_summary(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("{s:I, s:I}", "base-memory", (json_int_t)1 << 30, "plugged-memory",
			 (json_int_t)0);
	return 0;
}

static int cmd_version(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu", "major", 1, "minor", 2, "micro", 3,
			 "package", "kvmem");
	return 0;
}

static int cmd_text(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("{s:s}", "human-readable-text", "some text\n");
	return 0;
}

static const struct qmp_command cmds[] = {
    {.name = "stop", .fn = cmd_stop},
    {.name = "cont", .fn = cmd_cont},
    {.name = "quit", .fn = cmd_quit},
    {.name = "system_powerdown", .fn = cmd_powerdown},
    {.name = "system_reset", .fn = cmd_reset},
    {.name = "query-status", .fn = cmd_status},
    {.name = "query-cpus-fast", .fn = cmd_cpus},
    {.name = "query-memdev", .fn = cmd_memdev},
    {.name = "query-memory-size-summary", .fn = cmd_summary},
    {.name = "query-version", .fn = cmd_version},
    {.name = "x-query-numa", .fn = cmd_text},
    {.name = "x-kvmem-query-mtree", .fn = cmd_text},
};
static const struct qmp_commands table = {cmds, sizeof(cmds) / sizeof(cmds[0])};

static const char *run(const char *line)
{
	static char out[8192];
	struct buf b = {0};

	last_call[0] = '\0';
	hmp_execute(&table, NULL, line, &b);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void test_control_commands(void **state)
{
	(void)state;
	static const char *const spellings[][2] = {
	    {"stop", "stop"},
	    {"s", "stop"},
	    {"cont", "cont"},
	    {"c", "cont"},
	    {"quit", "quit"},
	    {"q", "quit"},
	    {"  system_powerdown  ", "system_powerdown"},
	    {"system_reset\t", "system_reset"},
	};

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		assert_string_equal(run(spellings[i][0]), "");
		assert_string_equal(last_call, spellings[i][1]);
	}
	fail_cont = true;
	assert_string_equal(run("cont"), "Error: Resetting the Virtual Machine is required\n");
	fail_cont = false;
}

static void test_info(void **state)
{
	(void)state;
	status = "running";
	assert_string_equal(run("info status"), "VM status: running\n");
	status = "paused";
	assert_string_equal(run("info status"), "VM status: paused\n");
	status = "prelaunch";
	assert_string_equal(run("info status"), "VM status: paused (prelaunch)\n");
	assert_string_equal(run("info cpus"), "* CPU #0: thread_id=100\n  CPU #1: thread_id=101\n");
	assert_string_equal(
	    run("info memdev"),
	    "memory backend: m0\n  size:  1073741824\n  merge: true\n  dump: true\n"
	    "  prealloc: false\n  share: true\n  reserve: false\n  policy: bind\n"
	    "  host nodes: 0-2,5\n"
	    "memory backend: m1\n  size:  4096\n  merge: false\n  dump: false\n"
	    "  prealloc: true\n  share: false\n  policy: default\n  host nodes: \n\n");
	assert_string_equal(run("info memory_size_summary"),
			    "base memory: 1073741824\nplugged memory: 0\n");
	assert_string_equal(run("info version"), "1.2.3 (kvmem)\n");
	assert_string_equal(run("info numa"), "some text\n");
	assert_string_equal(run("info mtree"), "some text\n");
}

static void test_mistakes(void **state)
{
	(void)state;
	assert_string_equal(run(""), "");
	assert_string_equal(run("   "), "");
	assert_string_equal(run("foo bar"), "unknown command: 'foo'\n");
	assert_string_equal(run("info foo"), "unknown command: 'info foo'\n");
	assert_string_equal(run("stop now"), "stop|s: extraneous characters at the end of line\n"
					     "Try \"help stop\" for more information\n");
	assert_string_equal(run("info status x"),
			    "status: extraneous characters at the end of line\n"
			    "Try \"help info status\" for more information\n");
	assert_string_equal(last_call, "");
}

static void test_help(void **state)
{
	const char *all;
	(void)state;

	assert_string_equal(run("help stop"), "stop|s  -- stop emulation\n");
	assert_string_equal(run("? q"), "quit|q  -- quit the emulator\n");
	all = run("help");
	assert_non_null(strstr(all, "info [subcommand] -- show various information"));
	assert_non_null(strstr(all, "system_powerdown  -- "));
	all = run("info");
	assert_non_null(strstr(all, "info status  -- show the current VM status"));
	assert_non_null(strstr(all, "info mtree  -- "));
	assert_string_equal(run("help info"), run("info"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_commands),
	    cmocka_unit_test(test_info),
	    cmocka_unit_test(test_mistakes),
	    cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
