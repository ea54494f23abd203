/* test_dispatch.c - the QMP protocol without sockets (src/qmp/dispatch.c):
 * negotiation, request checks, argument checks, ids, error classes and the
 * wire format, against a small command table.  The expected messages are
 * QEMU 7.2's for the same input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qmp/dispatch.h"

static int cmd_echo(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)err;
	*ret = json_deep_copy(req->args);
	return 0;
}

static int cmd_fail(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	*ret = json_object(); /* dropped: a failing command's result never goes out */
	return qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "no device '%s'", "x");
}

static int cmd_nothing(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)ret;
	(void)err;
	return 0;
}

static const char *const ab[] = {"a", "b", NULL};
static const struct qmp_arg echo_args[] = {
    {.name = "s", .type = QMP_TYPE_STR},
    {.name = "n", .type = QMP_TYPE_INT, .optional = true},
    {.name = "flag", .type = QMP_TYPE_BOOL, .optional = true},
    {.name = "size", .type = QMP_TYPE_SIZE, .optional = true},
    {.name = "e", .type = QMP_TYPE_ENUM, .optional = true, .values = ab},
    {.name = "list", .type = QMP_TYPE_ENUM_LIST, .optional = true, .values = ab},
    {.name = "obj", .type = QMP_TYPE_OBJECT, .optional = true},
    {.name = "any", .type = QMP_TYPE_ANY, .optional = true},
    {.name = NULL},
};

static const struct qmp_command cmds[] = {
    {.name = "qmp_capabilities",
     .fn = qmp_cmd_capabilities,
     .args = qmp_capabilities_args,
     .flags = QMP_CMD_NEGOTIATION},
    {.name = "query-version", .fn = qmp_cmd_query_version},
    {.name = "query-commands", .fn = qmp_cmd_query_commands},
    {.name = "echo", .fn = cmd_echo, .args = echo_args},
    {.name = "fail", .fn = cmd_fail},
    {.name = "nothing", .fn = cmd_nothing},
};
static const struct qmp_commands table = {cmds, sizeof(cmds) / sizeof(cmds[0])};

/* Dispatch text and return the answer as compact JSON (static buffer). */
static const char *ask(struct qmp_session *s, const char *text)
{
	static char out[4096];
	json_t *rsp = qmp_dispatch(&table, NULL, s, text, strlen(text));
	char *t;

	assert_non_null(rsp);
	t = json_dumps(rsp, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, sizeof(out), "%s", t);
	free(t);
	json_decref(rsp);
	return out;
}

#define ERR(cls, desc) "{\"error\":{\"class\":\"" cls "\",\"desc\":\"" desc "\"}}"
#define ERR_ID(cls, desc, id)                                                                      \
	"{\"error\":{\"class\":\"" cls "\",\"desc\":\"" desc "\"},\"id\":" id "}"

static void test_negotiation(void **state)
{
	struct qmp_session s = {0};
	(void)state;

	assert_string_equal(
	    ask(&s, "{\"execute\": \"nothing\"}"),
	    ERR("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
	/* every CommandNotFound is put that way before negotiation */
	assert_string_equal(ask(&s, "{\"execute\": \"nope\", \"id\": 1}"),
			    ERR_ID("CommandNotFound",
				   "Expecting capabilities negotiation with 'qmp_capabilities'",
				   "1"));
	/* other errors are not */
	assert_string_equal(ask(&s, "[]"), ERR("GenericError", "QMP input must be a JSON object"));
	assert_string_equal(ask(&s, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
				    "{\"enable\": [\"oob\"]}}"),
			    ERR("GenericError", "Capability 'oob' not available"));
	assert_string_equal(ask(&s, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
				    "{\"enable\": [\"oob\", \"x\"]}}"),
			    ERR("GenericError", "Parameter 'enable[1]' does not accept value 'x'"));
	assert_false(s.command_mode);
	assert_string_equal(ask(&s, "{\"execute\": \"qmp_capabilities\", \"arguments\": "
				    "{\"enable\": []}}"),
			    "{\"return\":{}}");
	assert_true(s.command_mode);
	assert_string_equal(ask(&s, "{\"execute\": \"qmp_capabilities\"}"),
			    ERR("CommandNotFound",
				"Capabilities negotiation is already complete, command ignored"));
	assert_string_equal(ask(&s, "{\"execute\": \"nothing\"}"), "{\"return\":{}}");
}

static void test_request_checks(void **state)
{
	struct qmp_session s = {.command_mode = true};
	(void)state;

	assert_string_equal(ask(&s, "\"hello\""),
			    ERR("GenericError", "QMP input must be a JSON object"));
	assert_string_equal(ask(&s, "{\"id\": 1}"),
			    ERR_ID("GenericError", "QMP input lacks member 'execute'", "1"));
	assert_string_equal(ask(&s, "{\"execute\": 1}"),
			    ERR("GenericError", "QMP input member 'execute' must be a string"));
	assert_string_equal(ask(&s, "{\"execute\": \"nothing\", \"arguments\": 1}"),
			    ERR("GenericError", "QMP input member 'arguments' must be an object"));
	assert_string_equal(ask(&s, "{\"execute\": \"nothing\", \"foo\": 1}"),
			    ERR("GenericError", "QMP input member 'foo' is unexpected"));
	assert_string_equal(ask(&s, "{\"exec-oob\": \"nothing\"}"),
			    ERR("GenericError", "QMP input member 'exec-oob' is unexpected"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"nope\", \"id\": \"x\"}"),
	    ERR_ID("CommandNotFound", "The command nope has not been found", "\"x\""));
	/* a failing command: its class, its message, no result */
	assert_string_equal(ask(&s, "{\"execute\": \"fail\", \"id\": [1]}"),
			    ERR_ID("DeviceNotFound", "no device 'x'", "[1]"));
	/* any JSON value is an id, echoed as it came */
	assert_string_equal(ask(&s, "{\"id\": {\"a\": [null, 1.5]}, \"execute\": \"nothing\"}"),
			    "{\"id\":{\"a\":[null,1.5]},\"return\":{}}");
	/* json.c parses, with QEMU's messages (tests/unit/test_json.c) */
	assert_string_equal(ask(&s, "{]"),
			    ERR("GenericError", "JSON parse error, expecting value"));
	assert_string_equal(ask(&s, "{\"execute\": \"a\", \"execute\": \"b\"}"),
			    ERR("GenericError", "JSON parse error, duplicate key"));
}

static void test_argument_checks(void **state)
{
	struct qmp_session s = {.command_mode = true};
	(void)state;

	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\", \"n\": -3, "
		    "\"flag\": true, \"size\": 0, \"e\": \"b\", \"list\": [\"a\"], "
		    "\"obj\": {}, \"any\": [1]}}"),
	    "{\"return\":{\"any\":[1],\"e\":\"b\",\"flag\":true,\"list\":[\"a\"],\"n\":-3,"
	    "\"obj\":{},\"s\":\"x\",\"size\":0}}");
	assert_string_equal(ask(&s, "{\"execute\": \"echo\"}"),
			    ERR("GenericError", "Parameter 's' is missing"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": 1}}"),
	    ERR("GenericError", "Invalid parameter type for 's', expected: string"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"n\": 1.0}}"),
	    ERR("GenericError", "Invalid parameter type for 'n', expected: integer"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"flag\": 1}}"),
	    ERR("GenericError", "Invalid parameter type for 'flag', expected: boolean"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"size\": -1}}"),
	    ERR("GenericError", "Parameter 'size' expects a non-negative value"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"e\": \"c\"}}"),
	    ERR("GenericError", "Parameter 'e' does not accept value 'c'"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"list\": \"a\"}}"),
	    ERR("GenericError", "Invalid parameter type for 'list', expected: array"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"list\": [1]}}"),
	    ERR("GenericError", "Invalid parameter type for 'list[0]', expected: string"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"obj\": []}}"),
	    ERR("GenericError", "Invalid parameter type for 'obj', expected: object"));
	/* declared members first (as QEMU's visitor), then leftovers */
	assert_string_equal(ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"zz\": 1}}"),
			    ERR("GenericError", "Parameter 's' is missing"));
	assert_string_equal(
	    ask(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"zz\": 1}}"),
	    ERR("GenericError", "Parameter 'zz' is unexpected"));
	assert_string_equal(ask(&s, "{\"execute\": \"nothing\", \"arguments\": {\"a\": 1}}"),
			    ERR("GenericError", "Parameter 'a' is unexpected"));
}

static void test_wire_format(void **state)
{
	json_t *msg = json_pack("{s:{}, s:s}", "return", "id", "caf\xc3\xa9");
	struct qmp_error err;
	size_t len;
	char *text;
	(void)state;

	/* QEMU's spacing, ASCII only, CRLF */
	text = qmp_serialize(msg, &len);
	assert_string_equal(text, "{\"return\": {}, \"id\": \"caf\\u00E9\"}\r\n");
	assert_int_equal(len, strlen(text));
	free(text);
	json_decref(msg);

	/* an error message that quotes invalid UTF-8 still goes out */
	qmp_error_set(&err, QMP_ERR_GENERIC, "JSON parse error, near '\xff\xc3'");
	msg = qmp_error_response(&err, NULL);
	text = qmp_serialize(msg, &len);
	assert_string_equal(text,
			    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse "
			    "error, near '\\uFFFD\\uFFFD'\"}}\r\n");
	free(text);
	json_decref(msg);

	msg = qmp_lex_error_response("{\"a\x01", 4);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "error"), "desc")),
	    "JSON parse error, stray byte 0x01");
	json_decref(msg);
}

/* The whole answer as it goes on the wire. */
static char *wire(struct qmp_session *s, const char *text)
{
	json_t *rsp = qmp_dispatch(&table, NULL, s, text, strlen(text));
	size_t len;
	char *out = qmp_serialize(rsp, &len);

	json_decref(rsp);
	assert_non_null(out);
	return out;
}

#define ASSERT_WIRE(s, request, answer)                                                            \
	do {                                                                                       \
		char *got_ = wire(s, request);                                                     \
		assert_string_equal(got_, answer "\r\n");                                          \
		free(got_);                                                                        \
	} while (0)

/* What QEMU 7.2 accepts and kvmem refused: an id above 2^63, which QEMU
 * echoes exactly, and strings holding U+0000.  The answers are QEMU's,
 * byte for byte. */
static void test_qemu_json_extensions(void **state)
{
	struct qmp_session s = {.command_mode = true};
	(void)state;

	ASSERT_WIRE(&s, "{\"execute\": \"nothing\", \"id\": 18446744073709551615}",
		    "{\"return\": {}, \"id\": 18446744073709551615}");
	ASSERT_WIRE(&s, "{\"execute\": \"nothing\", \"id\": 9223372036854775808}",
		    "{\"return\": {}, \"id\": 9223372036854775808}");
	ASSERT_WIRE(&s, "{\"execute\": \"nothing\", \"id\": 99999999999999999999999}",
		    "{\"return\": {}, \"id\": 9.9999999999999992e+22}");
	ASSERT_WIRE(&s, "{\"execute\": \"nothing\", \"id\": \"a\\u0000b\"}",
		    "{\"return\": {}, \"id\": \"a\\u0000b\"}");
	ASSERT_WIRE(&s, "{\"execute\": \"nope\", \"id\": 18446744073709551615}",
		    "{\"id\": 18446744073709551615, \"error\": {\"class\": \"CommandNotFound\", "
		    "\"desc\": \"The command nope has not been found\"}}");
	/* a command name holding U+0000 is another name */
	ASSERT_WIRE(&s, "{\"execute\": \"nothing\\u0000x\", \"id\": 1}",
		    "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
		    "command nothing\\u0000x has not been found\"}}");
	ASSERT_WIRE(&s, "{\"execute\": \"nothing\", \"arguments\": {\"a\\u0000\": 1}}",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter "
		    "'a\\u0000' is unexpected\"}}");
	/* a string argument holding it reaches the command whole */
	ASSERT_WIRE(&s, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"x\\u0000y\"}}",
		    "{\"return\": {\"s\": \"x\\u0000y\"}}");
	ASSERT_WIRE(&s,
		    "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"e\": \"a\\u0000\"}}",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'e' does "
		    "not accept value 'a\\u0000'\"}}");
	/* uint64 arguments: 'size' takes up to 2^64-1, 'int' stops at 2^63-1 */
	ASSERT_WIRE(&s,
		    "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"size\": "
		    "18446744073709551615}}",
		    "{\"return\": {\"s\": \"\", \"size\": 18446744073709551615}}");
	ASSERT_WIRE(&s,
		    "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"n\": "
		    "9223372036854775808}}",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
		    "type for 'n', expected: integer\"}}");
	/* a big integer is no object */
	ASSERT_WIRE(&s, "{\"execute\": \"echo\", \"arguments\": 18446744073709551615}",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
		    "'arguments' must be an object\"}}");
	ASSERT_WIRE(&s,
		    "{\"execute\": \"echo\", \"arguments\": {\"s\": \"\", \"obj\": "
		    "18446744073709551615}}",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
		    "type for 'obj', expected: object\"}}");
	ASSERT_WIRE(&s, "18446744073709551615",
		    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a "
		    "JSON object\"}}");
}

static void test_greeting_event_version(void **state)
{
	struct qmp_session s = {.command_mode = true};
	json_t *g = qmp_greeting(), *ev, *ts, *ret;
	struct qmp_error err;
	(void)state;

	assert_true(json_is_integer(json_object_get(
	    json_object_get(json_object_get(json_object_get(g, "QMP"), "version"), "qemu"),
	    "major")));
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(g, "QMP"), "capabilities")), 0);
	json_decref(g);

	ev = qmp_event("RESET", json_pack("{s:b, s:s}", "guest", 1, "reason", "guest-reset"));
	ts = json_object_get(ev, "timestamp");
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "RESET");
	assert_true(json_integer_value(json_object_get(ts, "seconds")) > 1600000000);
	assert_true(json_integer_value(json_object_get(ts, "microseconds")) < 1000000);
	assert_true(json_is_true(json_object_get(json_object_get(ev, "data"), "guest")));
	json_decref(ev);
	ev = qmp_event("STOP", NULL);
	assert_null(json_object_get(ev, "data"));
	json_decref(ev);

	assert_string_equal(
	    ask(&s, "{\"execute\": \"query-commands\"}"),
	    "{\"return\":[{\"name\":\"qmp_capabilities\"},{\"name\":\"query-version\"},"
	    "{\"name\":\"query-commands\"},{\"name\":\"echo\"},{\"name\":\"fail\"},"
	    "{\"name\":\"nothing\"}]}");
	assert_int_equal(qmp_execute(&table, NULL, "query-version", NULL, &ret, &err), 0);
	/* the QEMU interface kvmem implements, and kvmem's own version */
	assert_string_equal(json_string_value(json_object_get(ret, "package")),
			    "kvmem " KVMEM_VERSION);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ret, "qemu"), "major")),
			 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ret, "qemu"), "minor")),
			 2);
	json_decref(ret);
	/* qmp_execute checks arguments the same way */
	assert_int_equal(qmp_execute(&table, NULL, "echo", NULL, &ret, &err), -1);
	assert_string_equal(err.desc, "Parameter 's' is missing");
	assert_int_equal(qmp_execute(&table, NULL, "nope", NULL, &ret, &err), -1);
	assert_int_equal(err.cls, QMP_ERR_COMMAND_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_negotiation),
	    cmocka_unit_test(test_request_checks),
	    cmocka_unit_test(test_argument_checks),
	    cmocka_unit_test(test_wire_format),
	    cmocka_unit_test(test_qemu_json_extensions),
	    cmocka_unit_test(test_greeting_event_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
