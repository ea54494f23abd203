/* test_names.c - util/names: a set of owned strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/names.h"

static void test_add_find_remove(void **state)
{
	struct names s = {0};
	char name[16];

	(void)state;
	assert_false(names_has(&s, "a"));
	assert_false(names_remove(&s, "a"));
	/* enough to grow the array a few times; the caller's buffer is copied */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(names_add(&s, name), 0);
	}
	strcpy(name, "changed");
	assert_int_equal(s.n, 20);
	assert_true(names_has(&s, "n0") && names_has(&s, "n19"));
	assert_false(names_has(&s, "n20") || names_has(&s, "n"));
	/* removal keeps the others, in order */
	assert_true(names_remove(&s, "n5"));
	assert_false(names_has(&s, "n5"));
	assert_false(names_remove(&s, "n5"));
	assert_int_equal(s.n, 19);
	assert_string_equal(s.v[4], "n4");
	assert_string_equal(s.v[5], "n6");
	assert_true(names_remove(&s, "n19"));
	assert_string_equal(s.v[s.n - 1], "n18");
	names_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
	/* usable again after free */
	assert_int_equal(names_add(&s, "x"), 0);
	assert_true(names_has(&s, "x"));
	names_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_find_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
