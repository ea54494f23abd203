/* test_throttle.c - throttled QMP events (src/qmp/throttle.c) on a real
 * main loop: the first value goes at once, a burst within the second
 * gives one more event with its last value at the end of that second, a
 * value set before the loop exists is not lost, and nothing comes after
 * fini.  Another thread sets the values, as a vCPU or a worker does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "qmp/throttle.h"

struct fx {
	struct loop loop;
	struct qmp_throttle t;
	uint64_t sent[8];
	int64_t sent_at[8]; /* CLOCK_MONOTONIC ns */
	unsigned nsent;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(void *opaque, uint64_t value)
{
	struct fx *fx = opaque;

	if (fx->nsent < 8) {
		fx->sent[fx->nsent] = value;
		fx->sent_at[fx->nsent] = now_ns();
	}
	fx->nsent++;
}

static int setup(void **state)
{
	static struct fx fx;
	struct kverr err = {{0}};

	fx = (struct fx){.nsent = 0};
	if (loop_init(&fx.loop, &err) ||
	    qmp_throttle_init(&fx.t, "test-device", record, &fx, &err) ||
	    qmp_throttle_attach(&fx.t, &fx.loop, &err))
		fail_msg("set-up: %s", err.msg);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	qmp_throttle_fini(&fx->t);
	loop_fini(&fx->loop);
	return 0;
}

/* run the loop until n events were sent or ms passed */
static void run_until(struct fx *fx, unsigned n, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000;

	while (fx->nsent < n && now_ns() < end)
		loop_run_once(&fx->loop, 20);
}

struct setter {
	struct qmp_throttle *t;
	uint64_t from, to;
};

static void *set_values(void *arg)
{
	struct setter *s = arg;

	for (uint64_t v = s->from; v <= s->to; v++)
		qmp_throttle_set(s->t, v);
	return NULL;
}

/* A burst from another thread: its first value at once, its last at the
 * end of the second, nothing in between. */
static void test_burst(void **state)
{
	struct fx *fx = *state;
	struct setter s = {&fx->t, 1, 1};
	pthread_t th;

	pthread_create(&th, NULL, set_values, &s);
	pthread_join(th, NULL);
	run_until(fx, 1, 1000);
	assert_int_equal(fx->nsent, 1);
	assert_int_equal(fx->sent[0], 1);
	s = (struct setter){&fx->t, 2, 1000};
	pthread_create(&th, NULL, set_values, &s);
	pthread_join(th, NULL);
	run_until(fx, 2, 3000);
	assert_int_equal(fx->nsent, 2);
	assert_int_equal(fx->sent[1], 1000); /* the burst's last value */
	/* not before the second was over (the timer's granularity aside) */
	assert_true(fx->sent_at[1] - fx->sent_at[0] >= QMP_THROTTLE_NS - 20000000);
	run_until(fx, 3, 1300); /* and nothing more */
	assert_int_equal(fx->nsent, 2);
}

/* After a quiet second, the next value goes at once again. */
static void test_quiet_then_at_once(void **state)
{
	struct fx *fx = *state;
	int64_t t0;

	qmp_throttle_set(&fx->t, 7);
	run_until(fx, 1, 1000);
	assert_int_equal(fx->nsent, 1);
	run_until(fx, 99, 1100); /* a quiet second */
	t0 = now_ns();
	qmp_throttle_set(&fx->t, 8);
	run_until(fx, 2, 1000);
	assert_int_equal(fx->nsent, 2);
	assert_int_equal(fx->sent[1], 8);
	assert_true(fx->sent_at[1] - t0 < QMP_THROTTLE_NS / 2);
}

/* A value set before the main loop exists (a device plugged at start,
 * its guest not yet running) is sent once the loop is there. */
static void test_set_before_attach(void **state)
{
	struct fx *fx = *state;
	struct qmp_throttle early;
	struct kverr err = {{0}};

	(void)state;
	assert_int_equal(qmp_throttle_init(&early, "early", record, fx, &err), 0);
	qmp_throttle_set(&early, 42);
	run_until(fx, 1, 200);
	assert_int_equal(fx->nsent, 0);
	assert_int_equal(qmp_throttle_attach(&early, &fx->loop, &err), 0);
	assert_int_equal(qmp_throttle_attach(&early, &fx->loop, &err), 0); /* once */
	run_until(fx, 1, 1000);
	assert_int_equal(fx->nsent, 1);
	assert_int_equal(fx->sent[0], 42);
	qmp_throttle_fini(&early);
}

/* After fini nothing is sent, and a late set does nothing. */
static void test_fini(void **state)
{
	struct fx *fx = *state;

	qmp_throttle_set(&fx->t, 1);
	run_until(fx, 1, 1000);
	qmp_throttle_set(&fx->t, 2); /* held back for the end of the second */
	loop_run_once(&fx->loop, 20);
	qmp_throttle_fini(&fx->t);
	qmp_throttle_set(&fx->t, 3);
	run_until(fx, 2, 1300);
	assert_int_equal(fx->nsent, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quiet_then_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_before_attach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fini, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
