/* test_loop.c - the main loop's contract (src/util/loop.c): callbacks per
 * fd, and watches removed during a batch are never called again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/loop.h"

struct watch {
	struct loop *loop;
	int fd;
	int calls;
	struct watch *victim; /* removed by this watch's callback */
};

static void on_ready(void *opaque, uint32_t events)
{
	struct watch *w = opaque;

	assert_true(events & EPOLLIN);
	w->calls++;
	if (w->victim)
		loop_del(w->loop, w->victim->fd);
}

static void test_callbacks_and_removal(void **state)
{
	struct loop l;
	struct kverr err;
	int a[2], b[2];
	struct watch wa = {.loop = &l}, wb = {.loop = &l};
	(void)state;

	assert_int_equal(loop_init(&l, &err), 0);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	wa.fd = a[0];
	wb.fd = b[0];
	/* each removes the other: whichever runs first, the other never does */
	wa.victim = &wb;
	wb.victim = &wa;
	assert_int_equal(loop_add(&l, a[0], EPOLLIN, on_ready, &wa), 0);
	assert_int_equal(loop_add(&l, b[0], EPOLLIN, on_ready, &wb), 0);
	assert_int_equal(loop_add(&l, a[0], EPOLLIN, on_ready, &wa), -EEXIST);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(loop_run_once(&l, 1000), 2); /* both were ready in the batch */
	assert_int_equal(wa.calls + wb.calls, 1);
	/* the survivor still works, the removed one is gone */
	assert_int_equal(loop_run_once(&l, 0), 1);
	assert_int_equal(wa.calls + wb.calls, 2);
	assert_int_equal(loop_mod(&l, wa.calls ? b[0] : a[0], EPOLLIN), -ENOENT);
	loop_del(&l, 12345); /* unknown: ignored */
	loop_fini(&l);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void test_regular_file_and_timeout(void **state)
{
	struct loop l;
	struct kverr err;
	struct watch w = {.loop = &l};
	FILE *f = tmpfile();
	(void)state;

	assert_int_equal(loop_init(&l, &err), 0);
	assert_int_equal(loop_add(&l, fileno(f), EPOLLIN, on_ready, &w), -EPERM);
	assert_int_equal(loop_run_once(&l, 10), 0);
	loop_fini(&l);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_callbacks_and_removal),
	    cmocka_unit_test(test_regular_file_and_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
