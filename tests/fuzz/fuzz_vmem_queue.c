/* fuzz_vmem_queue.c - libFuzzer target: virtio-mem's request queue, whose
 * rings and requests are the fuzzer's input, served by the device model on
 * the memory manager.
 *
 * Guest RAM: A = [0, 64 KiB) holds the input (rings and requests), and the
 * device's own region V = [4 GiB, +16 MiB) of 1 MiB blocks (a real
 * allocation: a descriptor may point into it).  Input byte 0 picks the
 * queue (bit 0: indirect descriptors, bit 1: EVENT_IDX, bits 2-4: log2 of
 * the size, 1..128), byte 1 the requested size in blocks; the rest is
 * region A from address 0, with the descriptors at 0x0, the available ring
 * at 0x1000 and the used ring at 0x2000.  The queue is served twice, as
 * the worker serves it after two kicks.  Afterwards the plugged size the
 * device reports must be the manager's count of plugged pages; any access
 * outside the regions is a bug ASan sees.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/manager.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"
#include "virtio/mem_queue.h"

#define A_SIZE (64u << 10)
#define V_BASE (4ULL << 30)
#define V_SIZE (16ULL << 20)
#define BLOCK (1ULL << 20)

static struct backend ba = {.id = "a", .size = A_SIZE, .page_size = 4096, .fd = -1};
static struct backend bv = {.id = "v", .size = V_SIZE, .page_size = 4096, .fd = -1};
static struct vq_elem *elem;

static int no_discard(void *opaque, struct backend *b, uint64_t off, uint64_t len,
		      struct kverr *err)
{
	(void)opaque;
	(void)b;
	(void)off;
	(void)len;
	(void)err;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	elem = malloc(sizeof(*elem));
	ba.hva = malloc(A_SIZE);
	bv.hva = malloc(V_SIZE);
	if (!elem || !ba.hva || !bv.hva)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_host_ops host = {.discard = no_discard};
	struct mem_region_spec a = {
	    .name = "a", .kind = MEM_REGION_RAM, .gpa = 0, .size = A_SIZE, .backend = &ba};
	struct mem_region_spec v = {.name = "v",
				    .kind = MEM_REGION_VIRTIO_MEM,
				    .flags = MEM_REGION_UNPLUGGED | MEM_REGION_PLUGGED_ONLY,
				    .gpa = V_BASE,
				    .size = V_SIZE,
				    .backend = &bv};
	struct vmem_params p = {.block_size = BLOCK, .addr = V_BASE, .region_size = V_SIZE};
	struct dma_space dma;
	struct vq q = {.dma = &dma};
	struct mem_manager *mm;
	struct mem_region *r;
	struct vmem_blocks blocks;
	struct vmem_mem_ops ops;
	struct vmem dev;
	struct vmem_info info;
	struct kverr err;
	unsigned pushed;
	size_t n;

	if (size < 2)
		return 0;
	n = size - 2 < A_SIZE ? size - 2 : A_SIZE;
	memset(ba.hva, 0, A_SIZE);
	memcpy(ba.hva, data + 2, n);
	if (mem_manager_create(&mm, &host, &err) || mem_manager_add(mm, &a, NULL, &err) ||
	    mem_manager_add(mm, &v, &r, &err))
		abort();
	dma.mm = mm;
	vmem_blocks_init(&blocks, mm, r, false, 0, NULL, &ops);
	p.requested_size = (uint64_t)(data[1] % 24) * BLOCK;
	if (vmem_init(&dev, &p, &ops, &err))
		abort();

	q.indirect = data[0] & 1;
	q.event_idx = data[0] & 2;
	q.size = (uint16_t)(1u << ((data[0] >> 2) & 7));
	q.desc = 0;
	q.avail = 0x1000;
	q.used = 0x2000;
	q.ready = true;
	if (!vq_start(&q, &err))
		for (int round = 0; round < 2; round++)
			if (vmem_serve_queue(&dev, &q, elem, NULL, NULL, &pushed, &err) < 0)
				break;
	vmem_get_info(&dev, &info);
	if (info.plugged_size != V_SIZE - mem_pages_count(mm, MEM_PAGE_UNPLUGGED) * MEM_PAGE_SIZE) {
		fprintf(stderr, "fuzz_vmem_queue: plugged size differs from the page state\n");
		abort();
	}
	vmem_destroy(&dev);
	mem_manager_destroy(mm);
	return 0;
}
