/* test_stream.c - where QMP messages end in a byte stream (src/qmp/stream.c),
 * including QEMU's resynchronisation after a lexical error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qmp/stream.h"

/* Every event as "M:<text>", "E:<text>" or "BIG", joined with '|'. */
struct seen {
	char log[4096];
	bool stop_after_first;
	int n;
};

static bool record(void *opaque, enum stream_event ev, const char *data, size_t len)
{
	struct seen *s = opaque;
	size_t at = strlen(s->log);

	if (at)
		s->log[at++] = '|';
	if (ev == STREAM_TOO_LARGE)
		snprintf(s->log + at, sizeof(s->log) - at, "BIG");
	else
		snprintf(s->log + at, sizeof(s->log) - at, "%c:%.*s",
			 ev == STREAM_MESSAGE ? 'M' : 'E', (int)len, data);
	s->n++;
	return !s->stop_after_first;
}

/* Feed text in pieces of `chunk` bytes (0: all at once). */
static const char *cut(const char *text, size_t len, size_t chunk, size_t limit)
{
	static struct seen s;
	struct json_stream st;

	memset(&s, 0, sizeof(s));
	json_stream_init(&st, limit);
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		if (!json_stream_feed(&st, text + off, len - off < chunk ? len - off : chunk,
				      record, &s))
			break;
	json_stream_fini(&st);
	return s.log;
}

#define CUT(lit) cut(lit, sizeof(lit) - 1, 0, 1 << 20)

static void test_objects_and_arrays(void **state)
{
	(void)state;
	assert_string_equal(CUT("{\"execute\": \"stop\"}"), "M:{\"execute\": \"stop\"}");
	/* several in one read, whitespace between them dropped */
	assert_string_equal(CUT(" {\"a\":1}\r\n\t{\"b\":[1,{\"c\":2}]} [3]"),
			    "M:{\"a\":1}|M:{\"b\":[1,{\"c\":2}]}|M:[3]");
	/* brackets inside strings, escaped quotes */
	assert_string_equal(CUT("{\"a\": \"}]\\\"{\"}"), "M:{\"a\": \"}]\\\"{\"}");
	/* unbalanced kinds still end when the count does: jansson refuses it */
	assert_string_equal(CUT("{]"), "M:{]");
	/* unfinished: nothing yet */
	assert_string_equal(CUT("{\"execute\": \"st"), "");
}

static void test_top_level_scalars(void **state)
{
	(void)state;
	assert_string_equal(CUT("\"hello\""), "M:\"hello\"");
	assert_string_equal(CUT("42 true\nnull{}"), "M:42|M:true|M:null|M:{}");
	/* a number at the end of the input waits for its delimiter */
	assert_string_equal(CUT("42"), "");
	assert_string_equal(CUT("}"), "M:}");
	assert_string_equal(CUT(",:"), "M:,|M::");
}

static void test_lexical_errors(void **state)
{
	(void)state;
	/* QEMU's case: the control character ends the message as an error,
	 * recovery skips '"' and stops at '}', which is a message of its own */
	assert_string_equal(CUT("{\"execute\": \"query-status\x01\"}\n{}"),
			    "E:{\"execute\": \"query-status\x01|M:}|M:{}");
	/* 0xFF anywhere, even between messages, and after it a fresh start */
	assert_string_equal(CUT("\xff{\"a\":1}"), "E:\xff|M:{\"a\":1}");
	assert_string_equal(CUT("{\"a\":\xff}{}"), "E:{\"a\":\xff|M:}|M:{}");
	/* a raw newline inside a string is a lexical error too */
	assert_string_equal(CUT("\"ab\ncd\" {}"), "E:\"ab\n|M:{}");
	/* control characters are resync points: each is its own error */
	assert_string_equal(CUT("\x01\x02{}"), "E:\x01|E:\x02|M:{}");
	/* tab, CR, LF between tokens are whitespace */
	assert_string_equal(CUT("{\t\"a\"\r\n:1}"), "M:{\t\"a\"\r\n:1}");
}

static void test_any_split(void **state)
{
	static const char text[] =
	    "{\"execute\": \"x\", \"arguments\": {\"s\": \"}\\\\\"}} \"t\" 7 [1]";
	const char *whole;
	char expect[4096];
	(void)state;

	whole = cut(text, sizeof(text) - 1, 0, 1 << 20);
	snprintf(expect, sizeof(expect), "%s", whole);
	assert_string_equal(
	    expect, "M:{\"execute\": \"x\", \"arguments\": {\"s\": \"}\\\\\"}}|M:\"t\"|M:7|M:[1]");
	/* the same messages however the bytes arrive */
	for (size_t chunk = 1; chunk < sizeof(text); chunk++)
		assert_string_equal(cut(text, sizeof(text) - 1, chunk, 1 << 20), expect);
}

static void test_limit(void **state)
{
	char big[300];
	(void)state;

	memset(big, 'a', sizeof(big));
	big[0] = '{';
	big[1] = '"';
	assert_string_equal(cut(big, sizeof(big), 7, 100), "BIG");
	/* exactly at the limit is fine */
	assert_string_equal(cut("{\"ab\":1}", 8, 0, 8), "M:{\"ab\":1}");
	assert_string_equal(cut("{\"abc\":1}", 9, 0, 8), "BIG");
	/* a top-level string counts too */
	assert_string_equal(cut("\"aaaaaaaaaaaa", 13, 0, 8), "BIG");
}

static void test_pending_and_stop(void **state)
{
	struct json_stream st;
	struct seen s = {.stop_after_first = true};
	(void)state;

	json_stream_init(&st, 1 << 20);
	assert_false(json_stream_pending(&st));
	assert_true(json_stream_feed(&st, "{\"a\"", 4, record, &s));
	assert_true(json_stream_pending(&st));
	/* the callback asks to stop: the second message is not looked at */
	assert_false(json_stream_feed(&st, ":1}{}", 5, record, &s));
	assert_int_equal(s.n, 1);
	json_stream_fini(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects_and_arrays),
	    cmocka_unit_test(test_top_level_scalars),
	    cmocka_unit_test(test_lexical_errors),
	    cmocka_unit_test(test_any_split),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_pending_and_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
