/* test_json.c - QMP's JSON (src/qmp/json.c) against what QEMU 7.2 does
 * with the same text.  Every expected output and message below was taken
 * from a QEMU 7.2 QMP session (qemu-system-x86_64 -machine pc,accel=tcg),
 * by sending the text as a request's "id" and reading the id QEMU echoed,
 * or the error it gave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qmp/json.h"

/* text parsed and printed again, as QEMU echoes an id. */
static void echoes(const char *text, const char *want)
{
	char why[256];
	json_t *v = qmp_json_parse(text, strlen(text), why, sizeof(why));
	size_t len;
	char *out;

	if (!v)
		fail_msg("'%s' refused: %s", text, why);
	out = qmp_json_print(v, &len);
	assert_non_null(out);
	if (strcmp(out, want))
		fail_msg("'%s' printed as '%s', QEMU prints '%s'", text, out, want);
	assert_int_equal(len, strlen(want));
	free(out);
	json_decref(v);
}

/* text refused with QEMU's message. */
static void refused(const char *text, size_t len, const char *want)
{
	char why[256];
	json_t *v = qmp_json_parse(text, len, why, sizeof(why));

	if (v)
		fail_msg("'%s' accepted; QEMU says '%s'", text, want);
	if (strcmp(why, want))
		fail_msg("'%s': '%s', QEMU says '%s'", text, why, want);
}

#define REFUSED(lit, want) refused(lit, sizeof(lit) - 1, want)

static void test_integers_as_qemu(void **state)
{
	(void)state;
	echoes("0", "0");
	echoes("-0", "0");
	echoes("-9223372036854775808", "-9223372036854775808");
	echoes("9223372036854775807", "9223372036854775807");
	/* above int64: uint64, exactly */
	echoes("9223372036854775808", "9223372036854775808");
	echoes("18446744073709551615", "18446744073709551615");
	/* beyond uint64, or below int64: a double */
	echoes("18446744073709551616", "1.8446744073709552e+19");
	echoes("99999999999999999999999", "9.9999999999999992e+22");
	echoes("-9223372036854775809", "-9.2233720368547758e+18");
}

static void test_doubles_as_qemu(void **state)
{
	(void)state;
	echoes("1.5", "1.5");
	echoes("1e3", "1000");
	echoes("1e5", "100000");
	echoes("1E+2", "100");
	echoes("0.1", "0.10000000000000001");
	echoes("-0.0", "-0");
	echoes("1e-320", "9.9998886718268301e-321");
}

static void test_uint_box(void **state)
{
	json_t *v = qmp_json_uint(UINT64_MAX), *small = qmp_json_uint(5), *obj = json_object();
	uint64_t u = 0;
	char why[64];

	(void)state;
	assert_true(qmp_json_is_uint(v));
	assert_false(qmp_json_is_object(v));
	assert_true(qmp_json_get_uint(v, &u));
	assert_true(u == UINT64_MAX);
	/* below 2^63 it is a plain integer */
	assert_true(json_is_integer(small));
	assert_true(qmp_json_get_uint(small, &u) && u == 5);
	/* an ordinary object is not a box, a negative integer not a uint */
	assert_true(qmp_json_is_object(obj));
	assert_false(qmp_json_get_uint(obj, &u));
	json_decref(small);
	small = json_integer(-1);
	assert_false(qmp_json_get_uint(small, &u));
	json_decref(small);
	json_decref(obj);
	json_decref(v);
	/* no text makes a box but a big integer: the box's key starts with
	 * the byte 0xFF, which no parsed key holds (U+00FF is C3 BF) */
	v = qmp_json_parse("{\"\\u00ffu64\": 1}", 16, why, sizeof(why));
	assert_non_null(v);
	assert_false(qmp_json_is_uint(v));
	assert_true(qmp_json_is_object(v));
	json_decref(v);
	/* and a copy of a box is a box */
	v = qmp_json_uint(UINT64_MAX - 1);
	obj = json_deep_copy(v);
	assert_true(qmp_json_get_uint(obj, &u) && u == UINT64_MAX - 1);
	json_decref(obj);
	json_decref(v);
}

static void test_strings_as_qemu(void **state)
{
	(void)state;
	echoes("\"a\\u0000b\"", "\"a\\u0000b\"");
	echoes("\"\\u00e9\\u007f\\ud83d\\ude00\"", "\"\\u00E9\\u007F\\uD83D\\uDE00\"");
	echoes("\"\\u0041\\u00e9\\u20AC\"", "\"A\\u00E9\\u20AC\"");
	echoes("\"\\/\"", "\"/\"");
	echoes("\"\\\"\\\\\\b\\f\\n\\r\\t\"", "\"\\\"\\\\\\b\\f\\n\\r\\t\"");
	/* raw UTF-8, and QEMU's overlong U+0000 */
	echoes("\"caf\xc3\xa9\"", "\"caf\\u00E9\"");
	echoes("\"\xc0\x80\"", "\"\\u0000\"");
	/* U+0000 is kept as C0 80: the C string stays whole */
	{
		char why[64];
		json_t *v = qmp_json_parse("\"a\\u0000b\"", 10, why, sizeof(why));

		assert_int_equal(json_string_length(v), 4);
		assert_string_equal(json_string_value(v), "a\xc0\x80"
							  "b");
		json_decref(v);
	}
}

static void test_structures_as_qemu(void **state)
{
	(void)state;
	echoes("{\"x\":[1,  2]}", "{\"x\": [1, 2]}");
	echoes(" { \"b\" : 1 , \"a\" : [ ] , \"c\" : { } } ", "{\"b\": 1, \"a\": [], \"c\": {}}");
	echoes("[null, true, false, \"\"]", "[null, true, false, \"\"]");
	echoes("{\"a\\u0000\": 1}", "{\"a\\u0000\": 1}");
	echoes("{\"k\": 18446744073709551615}", "{\"k\": 18446744073709551615}");
}

static void test_errors_as_qemu(void **state)
{
	char deep[2 * QMP_JSON_MAX_DEPTH + 8];

	(void)state;
	REFUSED("{]", "JSON parse error, expecting value");
	REFUSED("{\"execute\": }", "JSON parse error, expecting value");
	REFUSED("{\"a\": 1, \"a\": 2}", "JSON parse error, duplicate key");
	REFUSED("\"\xc3\x28\"", "JSON parse error, invalid UTF-8 sequence in string");
	REFUSED("\"\xef\xbf\xbf\"", "JSON parse error, invalid UTF-8 sequence in string");
	REFUSED("\"\xed\xa0\x80\"", "JSON parse error, invalid UTF-8 sequence in string");
	REFUSED("\"\xf4\x90\x80\x80\"", "JSON parse error, invalid UTF-8 sequence in string");
	REFUSED("\"\\ud800\"", "JSON parse error, \\ud800 is not a valid Unicode character");
	REFUSED("\"\\udc00\"", "JSON parse error, \\udc00 is not a valid Unicode character");
	REFUSED("\"\\ud83d\\u0041\"", "JSON parse error, \\ud83d is not a valid Unicode character");
	REFUSED("\"\\uFFFF\"", "JSON parse error, \\uFFFF is not a valid Unicode character");
	REFUSED("\"\\uFDD0\"", "JSON parse error, \\uFDD0 is not a valid Unicode character");
	REFUSED("\"\\u12\"", "JSON parse error, \\u12\" is not a valid Unicode character");
	REFUSED("\"\\u00\"", "JSON parse error, \\u00\" is not a valid Unicode character");
	REFUSED("\"\\x\"", "JSON parse error, invalid escape sequence in string");
	REFUSED("[1,]", "JSON parse error, expecting value");
	REFUSED("[1 2]", "JSON parse error, expected separator in list");
	REFUSED("{\"a\": 1 \"b\": 2}", "JSON parse error, expected separator in dict");
	REFUSED("{\"a\" 1}", "JSON parse error, missing : in object pair");
	REFUSED("{\"a\":}", "JSON parse error, expecting value");
	REFUSED("{1:2}", "JSON parse error, key is not a string in object");
	REFUSED("{\"a\": 1,}", "JSON parse error, expecting value");
	REFUSED("tru", "JSON parse error, invalid keyword 'tru'");
	REFUSED("01", "JSON parse error, stray '01'");
	/* QEMU's lexer quotes a little more of what follows; the class and
	 * prefix are the same */
	REFUSED("1.", "JSON parse error, stray '1.'");
	REFUSED("-", "JSON parse error, stray '-'");
	REFUSED("", "JSON parse error, expecting value");
	/* QEMU refuses nesting deeper than 1024 in its streamer */
	memset(deep, '[', QMP_JSON_MAX_DEPTH + 1);
	memset(deep + QMP_JSON_MAX_DEPTH + 1, ']', QMP_JSON_MAX_DEPTH + 1);
	refused(deep, 2 * QMP_JSON_MAX_DEPTH + 2, "JSON nesting depth limit exceeded");
	echoes("[[[]]]", "[[[]]]");
	/* kvmem's own: jansson cannot hold QEMU's infinity (json.h) */
	REFUSED("1e400", "JSON parse error, number '1e400' is beyond the range of a double");
}

/* What kvmem itself builds: invalid bytes in a message are shown as
 * U+FFFD, per QEMU's decoding (a stray byte, or a lead byte and the
 * continuation bytes that came). */
static void test_print_invalid_bytes(void **state)
{
	json_t *v = json_stringn_nocheck("\xff\xc3'\xe2\x82", 5);
	size_t len;
	char *out;

	(void)state;
	out = qmp_json_print(v, &len);
	assert_string_equal(out, "\"\\uFFFD\\uFFFD'\\uFFFD\"");
	free(out);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integers_as_qemu),
	    cmocka_unit_test(test_doubles_as_qemu),
	    cmocka_unit_test(test_uint_box),
	    cmocka_unit_test(test_strings_as_qemu),
	    cmocka_unit_test(test_structures_as_qemu),
	    cmocka_unit_test(test_errors_as_qemu),
	    cmocka_unit_test(test_print_invalid_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
