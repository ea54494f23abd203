/* test_log.c - run-time lines reach the installed sink, and a rate limit
 * lets a burst through, then counts what it held back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

static char lines[16][512];
static unsigned nr;

static void sink(const char *line, void *opaque)
{
	(void)opaque;
	if (nr < 16)
		snprintf(lines[nr], sizeof(lines[nr]), "%s", line);
	nr++;
}

static void test_sink(void **state)
{
	(void)state;
	nr = 0;
	log_msg("dropped: no sink yet");
	assert_int_equal(nr, 0);
	assert_null(log_set_sink(sink, NULL));
	log_msg("device %s: %d", "x", 7);
	assert_int_equal(nr, 1);
	assert_string_equal(lines[0], "device x: 7");
	assert_ptr_equal(log_set_sink(NULL, NULL), sink);
	log_msg("dropped again");
	assert_int_equal(nr, 1);
}

static void test_ratelimit(void **state)
{
	struct ratelimit rl = RATELIMIT_INIT(200, 2);

	(void)state;
	nr = 0;
	log_set_sink(sink, NULL);
	for (int i = 0; i < 100; i++)
		log_ratelimited(&rl, "broken ring %d", i);
	assert_int_equal(nr, 2);
	assert_string_equal(lines[1], "broken ring 1");
	usleep(250 * 1000);
	assert_true(log_ratelimited(&rl, "broken ring again"));
	assert_int_equal(nr, 3);
	assert_string_equal(lines[2], "broken ring again (98 similar messages suppressed)");
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sink),
	    cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
