/* fuzz_balloon.c - libFuzzer target: virtio-balloon serving queues whose
 * guest memory, features and config writes are the fuzzer's input.
 *
 * Guest RAM is two regions with a hole between them: A = [0, 256 KiB)
 * holds the input, B = [4 GiB, +4 KiB) is zeros.  Input byte 0 picks the
 * properties (bit 0 deflate-on-oom, 1 free-page-reporting, 2 page-poison)
 * and byte 1 the features the driver accepts (bit 0 EVENT_IDX, 1 indirect
 * descriptors, 2 page poison); bytes 2-17 are four config-space writes
 * (offset, value) the driver makes first.  The rest is region A: each
 * queue q has its rings at 0x1000 * (4q + 1) (descriptors, then available
 * and used 0x1000 apart), size 16.  Every queue is then served as the
 * worker would serve it, twice, in order; the memory manager behind the
 * balloon only checks that each range it is handed is whole pages inside
 * a pretend 1 GiB of RAM and does not wrap.  Any read or write outside the
 * two regions is a bug ASan sees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../support/ram_region.h"
#include "virtio/balloon.h"
#include "virtio/virtio.h"

#define A_SIZE (256u << 10)
#define B_BASE (4ULL << 30)
#define B_SIZE 4096u
#define RAM (1ULL << 30)

static struct backend ba = {.id = "a", .size = A_SIZE, .page_size = 4096, .fd = -1};
static struct backend bb = {.id = "b", .size = B_SIZE, .page_size = 4096, .fd = -1};
static struct mem_manager *mm;
static struct dma_space dma;

/* The device must hand on whole pages that do not wrap; whether they are
 * RAM is the manager's to say. */
static int mem_range(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	(void)ctx;
	if (!len || (gpa | len) & (BALLOON_PAGE_SIZE - 1) || gpa + len < gpa)
		abort();
	if (gpa + len > RAM)
		return kverr_set(err, EFAULT, "not RAM");
	return 0;
}

static uint64_t mem_ram(void *ctx)
{
	(void)ctx;
	return RAM;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kverr err;

	(void)argc;
	(void)argv;
	ba.hva = malloc(A_SIZE);
	bb.hva = malloc(B_SIZE);
	if (!ba.hva || !bb.hva || test_ram_region(&mm, "a", 0, A_SIZE, &ba, 0, &err) ||
	    test_ram_region(&mm, "b", B_BASE, B_SIZE, &bb, 0, &err))
		abort();
	dma.mm = mm;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct balloon b;
	struct balloon_props props;
	struct balloon_mem_ops mem = {NULL, mem_range, mem_range, mem_range,
				      NULL, mem_ram,   NULL,	  NULL};
	struct pci_plan_func plan = {.driver = "virtio-balloon-pci", .slot = 2, .intx_pin = 1};
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BALLOON_F_STATS_VQ;
	struct kverr err;
	size_t n;

	if (size < 18)
		return 0;
	props = (struct balloon_props){data[0] & 1, data[0] & 2, data[0] & 4};
	balloon_describe(&b, &props);
	virtio_pci_plan(&b.ops, 0, &plan.ids, plan.bar);
	if (balloon_init(&b, &plan, &dma, 0, &mem, &err))
		abort();
	memset(ba.hva, 0, A_SIZE);
	memset(bb.hva, 0, B_SIZE);
	n = size - 18 < A_SIZE ? size - 18 : A_SIZE;
	memcpy(ba.hva, data + 18, n);

	if (data[1] & 4)
		features |= 1ULL << VIRTIO_BALLOON_F_PAGE_POISON;
	features &= b.ops.features | 1ULL << VIRTIO_F_VERSION_1;
	b.ops.set_features(&b, features);
	b.vp.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		      VIRTIO_STATUS_DRIVER_OK;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t off = data[2 + 4 * i] % 16, v[4];
		unsigned len = 1u << (data[3 + 4 * i] % 3);

		memcpy(v, data + 3 + 4 * i, 3);
		v[3] = data[2 + 4 * i];
		if (off + len <= b.ops.config_size)
			b.ops.config_write(&b, off, v, len);
	}
	for (unsigned q = 0; q < b.ops.nr_queues; q++) {
		struct vq *vq = &b.vp.vq[q];

		vq->size = 16;
		vq->desc = 0x1000 * (4 * q + 1);
		vq->avail = vq->desc + 0x1000;
		vq->used = vq->desc + 0x2000;
		vq->event_idx = data[1] & 1;
		vq->indirect = data[1] & 2;
		if (!vq_start(vq, &err))
			vq->ready = true;
	}
	for (unsigned round = 0; round < 2; round++)
		for (unsigned q = 0; q < b.ops.nr_queues; q++)
			balloon_process_queue(&b, q);
	balloon_destroy(&b);
	pthread_mutex_destroy(&b.lock);
	return 0;
}
