/* balloon.h - virtio-balloon, as QEMU 7.2's virtio-balloon-pci behaves:
 * the inflate, deflate, statistics and free page reporting queues, the
 * target and `actual` in config space, page poison, deflate-on-oom.
 *
 * Owns: what the guest told the device (the PFNs it gives and takes back,
 * its statistics, its poison value) and the target the host asked for.
 * PFNs are checked, sorted and merged into ranges here, so that each
 * range costs one call, not one per 4 KiB page.
 * Never: decides whether or how a range of guest memory is discarded.
 * That is struct balloon_mem_ops' job (the run-time memory manager: page
 * state, exact huge-page accounting, the backend's own discard), so the
 * device model is testable without guest memory behind it.
 *
 * Threads: the device's requests run on its virtio worker thread; the
 * config space is read and written from vCPU threads; the monitors call
 * balloon_set_target() and friends from the main thread.  The balloon lock
 * guards num_pages, actual, poison_val and the statistics, and is never
 * held while calling into the transport or the ops.
 */
#ifndef KVMEM_VIRTIO_BALLOON_H
#define KVMEM_VIRTIO_BALLOON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/log.h"
#include "virtio/pci.h"

/* Feature bits (virtio 1.2, 5.5.3) */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT 3
#define VIRTIO_BALLOON_F_PAGE_POISON 4
#define VIRTIO_BALLOON_F_REPORTING 5

/* The balloon's page, whatever the guest's or host's page size */
#define BALLOON_PFN_SHIFT 12
#define BALLOON_PAGE_SIZE (1ULL << BALLOON_PFN_SHIFT)

/* Queues, in the order the driver finds them (free page hinting, which
 * kvmem does not offer, would come before reporting). */
enum { BALLOON_INFLATE_Q, BALLOON_DEFLATE_Q, BALLOON_STATS_Q, BALLOON_REPORT_Q };

/* Statistics tags (5.5.6.3) and QEMU's names for them */
#define BALLOON_NR_STATS 10
extern const char *const balloon_stat_names[BALLOON_NR_STATS];

/* The memory behind the balloon.  Each call covers whole balloon pages
 * [gpa, gpa+len), sorted and merged; it returns 0 or a negative errno with
 * the reason in err (a range outside guest RAM, in the device-memory
 * region without a DIMM, on a backend that cannot discard ...), which the
 * device logs, rate-limited.  Called on the device's worker thread. */
struct balloon_mem_ops {
	void *ctx;
	/* the guest gave these pages: record them ballooned, discard what is
	 * wholly ballooned */
	int (*inflate)(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err);
	/* the guest took them back */
	int (*deflate)(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err);
	/* free page reporting: discard, record reported; the guest keeps the
	 * pages and they fault back in (zeroed) when touched */
	int (*report)(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err);
	/* machine reset: every ballooned page belongs to the guest again */
	void (*reset)(void *ctx);
	/* the guest's RAM now (boot RAM and plugged DIMMs), in bytes */
	uint64_t (*ram_size)(void *ctx);
	/* the guest changed `actual`: QMP's BALLOON_CHANGE with the guest's
	 * memory now, in bytes (vCPU thread: the callee defers to its loop) */
	void (*changed)(void *ctx, uint64_t actual_bytes);
	/* the guest stopped inflating for BALLOON_SWEEP_MS: discard what
	 * inflate left (may be NULL) */
	int (*sweep)(void *ctx, struct kverr *err);
};

/* The properties of -device virtio-balloon-pci kvmem has (QEMU's names and
 * defaults: page-poison on, the others off). */
struct balloon_props {
	bool deflate_on_oom;
	bool free_page_reporting;
	bool page_poison;
};

struct balloon_stats {
	int64_t last_update;		 /* seconds since the epoch, 0: never */
	uint64_t stat[BALLOON_NR_STATS]; /* UINT64_MAX: not reported */
};

/* How long the inflate queue stays quiet before mem.sweep runs. */
#define BALLOON_SWEEP_MS 300

/* Batches of PFNs read, sorted and merged at a time. */
#define BALLOON_PFN_BATCH 4096

struct balloon {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	struct balloon_mem_ops mem;
	struct balloon_props props;
	_Atomic uint64_t features; /* negotiated */

	pthread_mutex_t lock;
	uint32_t num_pages; /* the host's target: pages to hold */
	uint32_t actual;    /* the pages the driver says it holds */
	uint32_t poison_val;
	struct balloon_stats stats;
	int64_t poll_interval; /* seconds, 0: no polling */
	bool stats_held;       /* the driver's stats buffer waits with us */
	uint16_t stats_head;
	int timer_fd;
	int sweep_fd; /* armed by each inflate request: then mem.sweep */

	/* the driver reset the device: before its next request, every page
	 * it had ballooned is the guest's again (a kexec'd kernel uses them
	 * without deflating; a stale "ballooned" would let a later inflate
	 * discard a huge page the guest uses) */
	atomic_bool pages_reset;

	/* the worker's scratch */
	struct vq_elem *elem;
	uint32_t *pfns;
	struct ratelimit rl;
};

/* The device (not yet on a bus): plan it with virtio_pci_plan(&b->ops, ...)
 * after balloon_describe, then balloon_init at its plan entry. */
void balloon_describe(struct balloon *b, const struct balloon_props *props);
int balloon_init(struct balloon *b, const struct pci_plan_func *plan, const struct dma_space *dma,
		 unsigned nvectors, const struct balloon_mem_ops *mem, struct kverr *err);
int balloon_start(struct balloon *b, struct pci_bus *bus, struct kverr *err);
void balloon_destroy(struct balloon *b);
/* Machine reset: every ballooned page back to the guest (actual 0, and
 * BALLOON_CHANGE if it was not), the transport reset; the target stays,
 * as in QEMU, and the next driver inflates to it again. */
void balloon_machine_reset(struct balloon *b);

/* QMP balloon: the guest's memory should be target bytes (above the RAM
 * size: all of it).  0 is refused by the monitor, as QEMU does. */
void balloon_set_target(struct balloon *b, uint64_t target);
/* QMP query-balloon's actual: the guest's memory now, in bytes. */
uint64_t balloon_actual(struct balloon *b);
/* qom-get guest-stats */
void balloon_get_stats(struct balloon *b, struct balloon_stats *out);
/* qom-get/qom-set guest-stats-polling-interval; set fails with QEMU's
 * messages for a negative or too big value. */
int64_t balloon_poll_interval(struct balloon *b);
int balloon_set_poll_interval(struct balloon *b, int64_t secs, struct kverr *err);

/* What the worker runs when queue q is kicked.  Tests and the fuzzer call
 * it directly, on a device whose worker was never started. */
void balloon_process_queue(struct balloon *b, unsigned q);

/* Sort and merge n PFNs in place into ranges of consecutive PFNs
 * (duplicates dropped): out[i] = {first pfn, count}.  Returns the number
 * of ranges.  Exposed for the unit test. */
struct balloon_range {
	uint64_t pfn, count;
};
unsigned balloon_merge_pfns(uint32_t *pfns, unsigned n, struct balloon_range *out);

#endif
