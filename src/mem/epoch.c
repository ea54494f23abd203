/* epoch.c - read sections that never wait (see epoch.h).
 *
 * A global epoch counter only ever grows.  A reader entering its outermost
 * section stores the epoch it saw into its own record (0 means "outside");
 * a writer, after publishing, advances the epoch to E and waits until each
 * record is 0 or at least E.  Why that is enough, with every access below
 * sequentially consistent:
 *   - a reader that still uses the old data loaded the data pointer before
 *     the writer stored the new one; its record store came before that
 *     load, and the epoch it stored was read before the writer advanced
 *     it, so it is below E and the writer waits for it;
 *   - a reader whose record store the writer did not see (it read 0) does
 *     that store after the writer's load of the record, so after the
 *     writer's publication: its own pointer load then sees the new data.
 * Epochs are 64-bit, so they never wrap and a stale record cannot pass
 * for a new one.
 */
#include "mem/epoch.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct epoch_reader {
	_Atomic uint64_t epoch; /* 0: outside any section */
	atomic_bool taken;	/* owned by a live thread */
} __attribute__((aligned(64))); /* one cache line each: readers never share one */

static struct epoch_reader readers[EPOCH_MAX_READERS];
static atomic_uint nr_readers;	  /* records ever handed out (high-water mark) */
static _Atomic uint64_t overflow; /* sections of threads without a record */
static _Atomic uint64_t global_epoch = 1;

static _Thread_local struct epoch_reader *self;
static _Thread_local bool self_overflow;
static _Thread_local unsigned depth;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static bool key_ok;

/* Thread exit: the record goes back to the table. */
static void give_back(void *p)
{
	struct epoch_reader *r = p;

	if (self == r)
		self = NULL; /* a read after this (another destructor) claims again */
	atomic_store(&r->epoch, 0);
	atomic_store(&r->taken, false);
}

static void make_key(void)
{
	key_ok = pthread_key_create(&key, give_back) == 0;
}

/* Take a free record: one given back by an exited thread, else a new one
 * past the high-water mark.  NULL when the table is full. */
static struct epoch_reader *claim(void)
{
	unsigned n = atomic_load(&nr_readers);
	struct epoch_reader *r = NULL;

	pthread_once(&key_once, make_key);
	if (!key_ok) /* a record could never be given back: do without */
		return NULL;
	for (unsigned i = 0; i < n && i < EPOCH_MAX_READERS && !r; i++) {
		bool free_rec = false;
		if (atomic_compare_exchange_strong(&readers[i].taken, &free_rec, true))
			r = &readers[i];
	}
	while (!r) {
		unsigned i = atomic_fetch_add(&nr_readers, 1);
		bool free_rec = false;

		if (i >= EPOCH_MAX_READERS) {
			atomic_fetch_sub(&nr_readers, 1);
			return NULL;
		}
		if (atomic_compare_exchange_strong(&readers[i].taken, &free_rec, true))
			r = &readers[i];
	}
	if (pthread_setspecific(key, r) != 0) {
		give_back(r);
		return NULL;
	}
	return r;
}

void epoch_read_begin(void)
{
	if (depth++)
		return;
	if (!self && !self_overflow) {
		self = claim();
		self_overflow = !self;
	}
	if (self)
		atomic_store(&self->epoch, atomic_load(&global_epoch));
	else
		atomic_fetch_add(&overflow, 1);
	/* both are seq_cst: the caller's load of the published pointer comes
	 * after them */
}

void epoch_read_end(void)
{
	if (--depth)
		return;
	if (self)
		atomic_store_explicit(&self->epoch, 0, memory_order_release);
	else
		atomic_fetch_sub_explicit(&overflow, 1, memory_order_release);
}

bool epoch_in_read(void)
{
	return depth > 0;
}

/* Spin a little, then yield, then sleep 50 us at a time: a read section
 * is short, and a writer that waits must not take a CPU from the reader
 * it waits for. */
static void backoff(unsigned *round)
{
	if (*round < 64) {
		(*round)++;
	} else if (*round < 128) {
		(*round)++;
		sched_yield();
	} else {
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
}

int epoch_synchronize(void)
{
	uint64_t target;
	unsigned n, round = 0;

	if (depth)
		return -EDEADLK;
	target = atomic_fetch_add(&global_epoch, 1) + 1;
	n = atomic_load(&nr_readers);
	for (unsigned i = 0; i < n && i < EPOCH_MAX_READERS; i++) {
		for (;;) {
			uint64_t e = atomic_load(&readers[i].epoch);
			if (e == 0 || e >= target)
				break;
			backoff(&round);
		}
	}
	/* Threads without a record: wait until none is inside.  A reader
	 * that began after the publication keeps this waiting longer than
	 * needed, never too short. */
	while (atomic_load(&overflow))
		backoff(&round);
	return 0;
}
