/* test_vcpu_threads.c - pausing the vCPU threads (src/kvm/threads.c).
 *
 * QMP `stop` is synchronous, as QEMU's: once vm_pause returns, no vCPU
 * does anything until vm_resume, so a client that reads "paused" can rely
 * on the guest standing still.  Here each "vCPU" spends a few ms on every
 * round of its loop (as a thread handling an exit does) between its
 * checks of vcpu_thread_runnable, and counts the rounds it completes: when
 * vm_threads_pause returns, no thread may be inside a round, and the
 * counts must not move until vm_threads_resume.  cmocka's asserts only
 * work on the test's own thread: the vCPU threads just count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm/vm.h"

#define NR_VCPUS 2
#define ROUND_US 3000 /* one round of a vCPU's loop: an exit being handled */

static atomic_uint rounds[NR_VCPUS]; /* rounds each vCPU completed */
static atomic_bool in_round[NR_VCPUS];
/* The VM of the running test: its threads outlive a failed assert, so
 * they must not point into that test's stack; the teardown ends them. */
static struct vm vm;
static struct vcpu vcpus[NR_VCPUS];
static bool started;

static void *fake_vcpu(void *arg)
{
	struct vcpu *vcpu = arg;

	vcpu_thread_begin(vcpu);
	while (vcpu_thread_runnable(vcpu, NULL)) {
		atomic_store(&in_round[vcpu->idx], true);
		usleep(ROUND_US);
		atomic_fetch_add(&rounds[vcpu->idx], 1);
		atomic_store(&in_round[vcpu->idx], false);
	}
	vcpu_thread_end(vcpu);
	return NULL;
}

static void start(bool paused)
{
	struct kverr err = {{0}};

	memset(&vm, 0, sizeof(vm));
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		vcpus[i] = (struct vcpu){.vm = &vm, .idx = i, .fd = -1};
		atomic_store(&rounds[i], 0);
		atomic_store(&in_round[i], false);
	}
	vm.vcpu = vcpus;
	vm.nr_vcpus = NR_VCPUS;
	vm_threads_init(&vm);
	started = true;
	assert_int_equal(vm_threads_start(&vm, fake_vcpu, paused, &err), 0);
}

static int teardown(void **state)
{
	(void)state;
	if (started) {
		vm_threads_stop(&vm, NULL);
		vm_threads_fini(&vm);
		started = false;
	}
	return 0;
}

/* Wait (up to 10 s) until every vCPU has completed more than before[i]. */
static bool all_progress(const unsigned *before)
{
	for (int ms = 0; ms < 10000; ms++) {
		unsigned moved = 0;

		for (unsigned i = 0; i < NR_VCPUS; i++)
			moved += atomic_load(&rounds[i]) > before[i];
		if (moved == NR_VCPUS)
			return true;
		usleep(1000);
	}
	return false;
}

/* Pause while the threads are mid-round, many times over, right after a
 * resume too (threads still waking from the previous pause). */
static void test_pause_returns_once_all_stand_still(void **state)
{
	unsigned snap[NR_VCPUS];

	(void)state;
	start(false);
	for (int round = 0; round < 30; round++) {
		for (unsigned i = 0; i < NR_VCPUS; i++)
			snap[i] = atomic_load(&rounds[i]);
		assert_true(all_progress(snap)); /* running: they make progress */
		if (round % 3 == 0)
			usleep(ROUND_US / 2); /* land mid-round */
		assert_true(vm_threads_pause(&vm, NULL));
		for (unsigned i = 0; i < NR_VCPUS; i++) {
			assert_false(atomic_load(&in_round[i]));
			snap[i] = atomic_load(&rounds[i]);
		}
		usleep(3 * ROUND_US);
		for (unsigned i = 0; i < NR_VCPUS; i++)
			assert_int_equal(atomic_load(&rounds[i]), snap[i]);
		assert_false(vm_threads_pause(&vm, NULL)); /* already paused */
		vm_threads_resume(&vm);
		if (round % 2 == 0) { /* pause again before they have woken */
			assert_true(vm_threads_pause(&vm, NULL));
			for (unsigned i = 0; i < NR_VCPUS; i++)
				assert_false(atomic_load(&in_round[i]));
			vm_threads_resume(&vm);
		}
	}
}

/* Started paused: nothing runs before the first resume. */
static void test_start_paused_stands_still(void **state)
{
	unsigned zero[NR_VCPUS] = {0};

	(void)state;
	start(true);
	usleep(5 * ROUND_US);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		assert_int_equal(atomic_load(&rounds[i]), 0);
	vm_threads_resume(&vm);
	assert_true(all_progress(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_pause_returns_once_all_stand_still, teardown),
	    cmocka_unit_test_teardown(test_start_paused_stands_still, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
