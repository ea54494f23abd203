/* throttle.h - a QMP event whose value changes on any thread, sent from
 * the main loop at most once a second: the first at once, the last value
 * of a burst at the end of that second, as QEMU 7.2's monitor throttles
 * BALLOON_CHANGE and MEMORY_DEVICE_SIZE_CHANGE (monitor_qapi_event_conf).
 *
 * Owns: an eventfd that carries the news from the thread that changed the
 * value (a vCPU, a device's worker) to the main loop, and a timerfd for
 * the end of the second.
 * Never: builds or sends the event (the emit callback does, on the main
 * thread), or blocks the thread that sets the value.
 */
#ifndef KVMEM_QMP_THROTTLE_H
#define KVMEM_QMP_THROTTLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/loop.h"

#define QMP_THROTTLE_NS 1000000000LL /* QEMU's: one event a second */

struct qmp_throttle {
	void (*emit)(void *opaque, uint64_t value); /* main thread */
	void *opaque;
	const char *name; /* for messages: "virtio-balloon-pci" */
	int kick_fd;	  /* eventfd */
	int timer_fd;	  /* timerfd */
	struct loop *loop;
	_Atomic uint64_t value;
	int64_t until; /* CLOCK_MONOTONIC ns: the next event not before */
	bool pending;  /* a value held back until then */
	bool armed;
};

/* Makes the fds (not yet on a loop); on failure t is safe to fini.
 * Errors are "NAME: eventfd: ..." and the like. */
int qmp_throttle_init(struct qmp_throttle *t, const char *name,
		      void (*emit)(void *opaque, uint64_t value), void *opaque, struct kverr *err);
/* Main thread: events are sent from loop from now on (once; a second call
 * does nothing). */
int qmp_throttle_attach(struct qmp_throttle *t, struct loop *loop, struct kverr *err);
/* Any thread: the value is now v; the main loop sends it, throttled. */
void qmp_throttle_set(struct qmp_throttle *t, uint64_t v);
/* Main thread: off the loop, the fds closed; a value not sent is lost. */
void qmp_throttle_fini(struct qmp_throttle *t);

#endif
