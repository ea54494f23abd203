/* balloon.c - virtio-balloon (see balloon.h).
 *
 * Follows QEMU 7.2's hw/virtio/virtio-balloon.c in what the guest and the
 * monitors see: the queues and their order, the features and config
 * layout (16 bytes with page poison offered, else 8), `actual` and the
 * BALLOON_CHANGE it causes, the statistics names and the polling timer
 * (the driver's buffer is held and given back each interval), reported
 * pages not discarded while the guest expects a poison pattern in free
 * pages.  Where QEMU discards one 4 KiB page per madvise and tracks huge
 * pages only within one request, kvmem sorts and merges each request's
 * PFNs and hands whole ranges to the memory manager, which tracks every
 * page exactly.
 */
#include "virtio/balloon.h"

#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "virtio/virtio.h"

/* struct virtio_balloon_config */
#define CFG_NUM_PAGES 0
#define CFG_ACTUAL 4
#define CFG_HINT_CMD_ID 8
#define CFG_POISON_VAL 12
#define CFG_SIZE 16
#define CFG_SIZE_NO_POISON 8

/* struct virtio_balloon_stat: le16 tag, le64 val, packed */
#define STAT_SIZE 10

const char *const balloon_stat_names[BALLOON_NR_STATS] = {
    "stat-swap-in",	 "stat-swap-out",     "stat-major-faults",     "stat-minor-faults",
    "stat-free-memory",	 "stat-total-memory", "stat-available-memory", "stat-disk-caches",
    "stat-htlb-pgalloc", "stat-htlb-pgfail",
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

unsigned balloon_merge_pfns(uint32_t *pfns, unsigned n, struct balloon_range *out)
{
	unsigned nr = 0;

	qsort(pfns, n, sizeof(*pfns), cmp_u32);
	for (unsigned i = 0; i < n; i++) {
		if (nr && pfns[i] < out[nr - 1].pfn + out[nr - 1].count)
			continue; /* the same page twice */
		if (nr && pfns[i] == out[nr - 1].pfn + out[nr - 1].count) {
			out[nr - 1].count++;
			continue;
		}
		out[nr++] = (struct balloon_range){pfns[i], 1};
	}
	return nr;
}

static uint64_t features(const struct balloon_props *p)
{
	return 1ULL << VIRTIO_BALLOON_F_STATS_VQ |
	       (p->deflate_on_oom ? 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM : 0) |
	       (p->page_poison ? 1ULL << VIRTIO_BALLOON_F_PAGE_POISON : 0) |
	       (p->free_page_reporting ? 1ULL << VIRTIO_BALLOON_F_REPORTING : 0);
}

/* The transport tells us at FEATURES_OK (its lock held: we keep a copy
 * rather than ask it back from under that lock). */
static bool set_features(void *dev, uint64_t f)
{
	struct balloon *b = dev;

	atomic_store(&b->features, f);
	return true;
}

static bool negotiated(struct balloon *b, unsigned bit)
{
	return atomic_load(&b->features) & (1ULL << bit);
}

/* ---- timer ---- */

static void arm_timer(struct balloon *b, int64_t secs)
{
	struct itimerspec its = {{0, 0}, {(time_t)secs, secs ? 0 : 1}};

	if (b->timer_fd >= 0)
		timerfd_settime(b->timer_fd, 0, &its, NULL);
}

/* (Re)start the quiet period after which inflate's leftovers are swept. */
static void arm_sweep(struct balloon *b)
{
	struct itimerspec its = {{0, 0}, {0, BALLOON_SWEEP_MS * 1000000L}};

	if (b->sweep_fd >= 0 && b->mem.sweep)
		timerfd_settime(b->sweep_fd, 0, &its, NULL);
}

static void disarm_timer(struct balloon *b)
{
	struct itimerspec its = {{0, 0}, {0, 0}};

	if (b->timer_fd >= 0)
		timerfd_settime(b->timer_fd, 0, &its, NULL);
}

/* ---- config space (vCPU threads, transport lock held) ---- */

static void config_read(void *dev, uint32_t off, uint8_t *data, unsigned len)
{
	struct balloon *b = dev;
	uint8_t cfg[CFG_SIZE] = {0};
	uint32_t v[4];

	pthread_mutex_lock(&b->lock);
	v[0] = b->num_pages;
	v[1] = b->actual;
	v[2] = 0; /* no free page hinting */
	v[3] = b->poison_val;
	pthread_mutex_unlock(&b->lock);
	memcpy(cfg, v, sizeof(v)); /* little-endian host */
	memcpy(data, cfg + off, len);
}

static void config_write(void *dev, uint32_t off, const uint8_t *data, unsigned len)
{
	struct balloon *b = dev;
	uint8_t cfg[CFG_SIZE];
	uint32_t actual, old, poison;
	bool poison_ok = negotiated(b, VIRTIO_BALLOON_F_PAGE_POISON);

	pthread_mutex_lock(&b->lock);
	memcpy(cfg + CFG_ACTUAL, &b->actual, 4);
	memcpy(cfg + CFG_POISON_VAL, &b->poison_val, 4);
	memcpy(cfg + off, data, len);
	memcpy(&actual, cfg + CFG_ACTUAL, 4);
	memcpy(&poison, cfg + CFG_POISON_VAL, 4);
	old = b->actual;
	b->actual = actual;
	b->poison_val = poison_ok ? poison : 0;
	pthread_mutex_unlock(&b->lock);
	if (actual != old && b->mem.changed) {
		uint64_t ram = b->mem.ram_size(b->mem.ctx);
		uint64_t held = (uint64_t)actual << BALLOON_PFN_SHIFT;

		b->mem.changed(b->mem.ctx, held < ram ? ram - held : 0);
	}
}

static void vreset(void *dev)
{
	struct balloon *b = dev;

	pthread_mutex_lock(&b->lock);
	b->stats_held = false;
	b->poison_val = 0;
	pthread_mutex_unlock(&b->lock);
	atomic_store(&b->features, 0);
	/* the page state is the worker's to change (the manager's page lock
	 * is never taken on a vCPU): it does so before the next request */
	atomic_store(&b->pages_reset, true);
}

/* ---- requests (the worker) ---- */

static void refused(struct balloon *b, const char *what, uint64_t gpa, uint64_t len,
		    const struct kverr *err)
{
	log_ratelimited(&b->rl, "%s: %s of [0x%llx-0x%llx] refused: %s", b->vp.name, what,
			(unsigned long long)gpa, (unsigned long long)(gpa + len - 1), err->msg);
}

/* Inflate or deflate: the readable side is an array of le32 PFNs. */
static void handle_pfns(struct balloon *b, unsigned q)
{
	struct vq *vq = virtio_pci_queue(&b->vp, q);
	struct balloon_range *ranges = (struct balloon_range *)(b->pfns + BALLOON_PFN_BATCH);
	bool inflate = q == BALLOON_INFLATE_Q;
	struct kverr err = {{0}};
	int r;

	while (!virtio_pci_stopping(&b->vp) && (r = vq_pop(vq, b->elem, &err)) > 0) {
		uint64_t off = 0, total = b->elem->out_len / 4 * 4;

		while (off < total && !virtio_pci_stopping(&b->vp)) {
			uint64_t want = total - off;
			unsigned n, nr;

			if (want > BALLOON_PFN_BATCH * 4ULL)
				want = BALLOON_PFN_BATCH * 4ULL;
			if (vq_elem_read(vq, b->elem, off, b->pfns, want) != (long)want)
				break;
			off += want;
			n = (unsigned)(want / 4);
			nr = balloon_merge_pfns(b->pfns, n, ranges);
			for (unsigned i = 0; i < nr; i++) {
				uint64_t gpa = ranges[i].pfn << BALLOON_PFN_SHIFT;
				uint64_t len = ranges[i].count << BALLOON_PFN_SHIFT;
				int ret = inflate ? b->mem.inflate(b->mem.ctx, gpa, len, &err)
						  : b->mem.deflate(b->mem.ctx, gpa, len, &err);
				if (ret)
					refused(b, inflate ? "inflate" : "deflate", gpa, len, &err);
			}
		}
		if (vq_push(vq, b->elem->head, 0, &err))
			break;
		virtio_pci_notify_queue(&b->vp, q);
		if (inflate)
			arm_sweep(b);
	}
	if (r < 0)
		virtio_pci_fail(&b->vp, &err);
}

/* The driver's statistics: its one buffer, kept until the next poll. */
static void handle_stats(struct balloon *b)
{
	struct vq *vq = virtio_pci_queue(&b->vp, BALLOON_STATS_Q);
	struct kverr err = {{0}};
	int64_t interval;
	int r;

	while ((r = vq_pop(vq, b->elem, &err)) > 0) {
		struct balloon_stats s;
		uint8_t rec[STAT_SIZE];
		bool held;
		uint16_t old;

		for (unsigned i = 0; i < BALLOON_NR_STATS; i++)
			s.stat[i] = UINT64_MAX;
		for (uint64_t off = 0; vq_elem_read(vq, b->elem, off, rec, STAT_SIZE) == STAT_SIZE;
		     off += STAT_SIZE) {
			uint16_t tag;
			uint64_t val;

			memcpy(&tag, rec, 2);
			memcpy(&val, rec + 2, 8);
			if (tag < BALLOON_NR_STATS)
				s.stat[tag] = val;
		}
		s.last_update = (int64_t)time(NULL);
		pthread_mutex_lock(&b->lock);
		held = b->stats_held;
		old = b->stats_head;
		b->stats_held = true;
		b->stats_head = b->elem->head;
		b->stats = s;
		pthread_mutex_unlock(&b->lock);
		/* a second buffer: the driver broke the protocol; give the
		 * first one back, as QEMU does */
		if (held && !vq_push(vq, old, 0, &err))
			virtio_pci_notify_queue(&b->vp, BALLOON_STATS_Q);
	}
	if (r < 0) {
		virtio_pci_fail(&b->vp, &err);
		return;
	}
	pthread_mutex_lock(&b->lock);
	interval = b->poll_interval;
	pthread_mutex_unlock(&b->lock);
	if (interval > 0)
		arm_timer(b, interval);
}

/* Free page reporting: each writable buffer is a range of free pages. */
static void handle_report(struct balloon *b)
{
	struct vq *vq = virtio_pci_queue(&b->vp, BALLOON_REPORT_Q);
	struct kverr err = {{0}};
	int r;

	while (!virtio_pci_stopping(&b->vp) && (r = vq_pop(vq, b->elem, &err)) > 0) {
		const struct vq_elem *e = b->elem;
		uint32_t poison;

		pthread_mutex_lock(&b->lock);
		poison = b->poison_val;
		pthread_mutex_unlock(&b->lock);
		/* a discarded page comes back zeroed: not where the guest
		 * expects its poison pattern in free pages */
		for (unsigned s = e->n_out; !poison && s < e->n_out + e->n_in; s++) {
			uint64_t gpa = e->seg[s].gpa, len = e->seg[s].len;

			if ((gpa | len) & (BALLOON_PAGE_SIZE - 1))
				continue;
			if (b->mem.report(b->mem.ctx, gpa, len, &err))
				refused(b, "report", gpa, len, &err);
		}
		if (vq_push(vq, e->head, 0, &err))
			break;
		virtio_pci_notify_queue(&b->vp, BALLOON_REPORT_Q);
	}
	if (r < 0)
		virtio_pci_fail(&b->vp, &err);
}

void balloon_process_queue(struct balloon *b, unsigned q)
{
	if (atomic_exchange(&b->pages_reset, false) && b->mem.reset)
		b->mem.reset(b->mem.ctx);
	switch (q) {
	case BALLOON_INFLATE_Q:
	case BALLOON_DEFLATE_Q:
		handle_pfns(b, q);
		break;
	case BALLOON_STATS_Q:
		handle_stats(b);
		break;
	case BALLOON_REPORT_Q:
		handle_report(b);
		break;
	}
}

static void queue_notify(void *dev, unsigned q)
{
	balloon_process_queue(dev, q);
}

/* The polling timer: give the driver its buffer back, it refills it. */
static void on_timer(void *opaque, bool running)
{
	struct balloon *b = opaque;
	struct kverr err = {{0}};
	uint64_t expirations;
	bool held;
	uint16_t head;
	int64_t interval;

	if (read(b->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	pthread_mutex_lock(&b->lock);
	held = b->stats_held && running && negotiated(b, VIRTIO_BALLOON_F_STATS_VQ);
	head = b->stats_head;
	interval = b->poll_interval;
	if (held)
		b->stats_held = false;
	pthread_mutex_unlock(&b->lock);
	if (!held) {
		if (interval > 0)
			arm_timer(b, interval);
		return;
	}
	if (vq_push(virtio_pci_queue(&b->vp, BALLOON_STATS_Q), head, 0, &err))
		virtio_pci_fail(&b->vp, &err);
	else
		virtio_pci_notify_queue(&b->vp, BALLOON_STATS_Q);
}

/* The inflate queue has been quiet: what its requests left on transparent
 * huge pages (the manager discarded whole huge pages only) goes now. */
static void on_sweep(void *opaque, bool running)
{
	struct balloon *b = opaque;
	struct kverr err = {{0}};
	uint64_t expirations;

	(void)running;
	if (read(b->sweep_fd, &expirations, sizeof(expirations)) < 0)
		return;
	/* a driver reset since the last request: its pages are the guest's
	 * again (a kexec'd kernel may be using them), not ballooned */
	if (atomic_exchange(&b->pages_reset, false) && b->mem.reset)
		b->mem.reset(b->mem.ctx);
	if (b->mem.sweep(b->mem.ctx, &err))
		log_ratelimited(&b->rl, "%s: discarding what inflate left: %s", b->vp.name,
				err.msg);
}

/* ---- set-up ---- */

static void machine_reset(void *dev)
{
	balloon_machine_reset(dev);
}

void balloon_describe(struct balloon *b, const struct balloon_props *props)
{
	memset(b, 0, sizeof(*b));
	b->timer_fd = -1;
	b->sweep_fd = -1;
	b->props = *props;
	b->ops = (struct virtio_dev_ops){
	    .name = "virtio-balloon-pci",
	    .device_id = VIRTIO_ID_BALLOON,
	    .pci_class = 0x00ff00, /* PCI_CLASS_OTHERS, as QEMU */
	    .nr_queues = props->free_page_reporting ? 4 : 3,
	    .queue_size = 128,
	    .features = features(props),
	    .config_size = props->page_poison ? CFG_SIZE : CFG_SIZE_NO_POISON,
	    .config_read = config_read,
	    .config_write = config_write,
	    .set_features = set_features,
	    .reset = vreset,
	    .queue_notify = queue_notify,
	    .machine_reset = machine_reset,
	};
	for (unsigned i = 0; i < BALLOON_NR_STATS; i++)
		b->stats.stat[i] = UINT64_MAX;
}

int balloon_init(struct balloon *b, const struct pci_plan_func *plan, const struct dma_space *dma,
		 unsigned nvectors, const struct balloon_mem_ops *mem, struct kverr *err)
{
	int ret;

	b->mem = *mem;
	b->rl = (struct ratelimit)RATELIMIT_INIT(5000, 1);
	if (pthread_mutex_init(&b->lock, NULL))
		return kverr_set(err, ENOMEM, "virtio-balloon-pci: cannot create its lock");
	b->elem = malloc(sizeof(*b->elem));
	b->pfns = malloc(BALLOON_PFN_BATCH * (sizeof(uint32_t) + sizeof(struct balloon_range)));
	if (!b->elem || !b->pfns)
		return kverr_set(err, ENOMEM, "virtio-balloon-pci: out of memory");
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->timer_fd < 0)
		return kverr_sys(err, errno, "virtio-balloon-pci: timerfd");
	b->sweep_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->sweep_fd < 0)
		return kverr_sys(err, errno, "virtio-balloon-pci: timerfd");
	if ((ret = virtio_pci_init(&b->vp, plan, &b->ops, b, dma, nvectors, err)) ||
	    (ret = virtio_pci_add_fd(&b->vp, b->timer_fd, on_timer, b, err)))
		return ret;
	return virtio_pci_add_fd(&b->vp, b->sweep_fd, on_sweep, b, err);
}

int balloon_start(struct balloon *b, struct pci_bus *bus, struct kverr *err)
{
	return virtio_pci_start(&b->vp, bus, err);
}

void balloon_destroy(struct balloon *b)
{
	virtio_pci_destroy(&b->vp);
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	if (b->sweep_fd >= 0)
		close(b->sweep_fd);
	b->timer_fd = -1;
	b->sweep_fd = -1;
	free(b->elem);
	free(b->pfns);
	b->elem = NULL;
	b->pfns = NULL;
}

void balloon_machine_reset(struct balloon *b)
{
	uint32_t old;

	/* the worker is idle once the transport is reset; only then can
	 * nothing mark a page ballooned any more */
	virtio_pci_reset(&b->vp);
	if (b->mem.reset)
		b->mem.reset(b->mem.ctx);
	pthread_mutex_lock(&b->lock);
	old = b->actual;
	b->actual = 0;
	pthread_mutex_unlock(&b->lock);
	if (old && b->mem.changed)
		b->mem.changed(b->mem.ctx, b->mem.ram_size(b->mem.ctx));
}

/* ---- the monitors ---- */

void balloon_set_target(struct balloon *b, uint64_t target)
{
	uint64_t ram = b->mem.ram_size(b->mem.ctx);

	if (target > ram)
		target = ram;
	pthread_mutex_lock(&b->lock);
	b->num_pages = (uint32_t)((ram - target) >> BALLOON_PFN_SHIFT);
	pthread_mutex_unlock(&b->lock);
	virtio_pci_config_changed(&b->vp);
}

uint64_t balloon_actual(struct balloon *b)
{
	uint64_t ram = b->mem.ram_size(b->mem.ctx), held;

	pthread_mutex_lock(&b->lock);
	held = (uint64_t)b->actual << BALLOON_PFN_SHIFT;
	pthread_mutex_unlock(&b->lock);
	return held < ram ? ram - held : 0;
}

void balloon_get_stats(struct balloon *b, struct balloon_stats *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->stats;
	pthread_mutex_unlock(&b->lock);
}

int64_t balloon_poll_interval(struct balloon *b)
{
	int64_t v;

	pthread_mutex_lock(&b->lock);
	v = b->poll_interval;
	pthread_mutex_unlock(&b->lock);
	return v;
}

int balloon_set_poll_interval(struct balloon *b, int64_t secs, struct kverr *err)
{
	int64_t old;

	if (secs < 0)
		return kverr_set(err, EINVAL, "timer value must be greater than zero");
	if (secs > UINT32_MAX)
		return kverr_set(err, EINVAL, "timer value is too big");
	pthread_mutex_lock(&b->lock);
	old = b->poll_interval;
	b->poll_interval = secs;
	pthread_mutex_unlock(&b->lock);
	if (secs == old)
		return 0;
	if (!secs)
		disarm_timer(b);
	else
		arm_timer(b, old ? secs : 0); /* a new timer fires at once */
	return 0;
}
