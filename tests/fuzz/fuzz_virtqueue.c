/* fuzz_virtqueue.c - libFuzzer target: a device serving a virtqueue whose
 * guest memory is the fuzzer's input.
 *
 * Guest RAM is two regions with a hole between them, as below and above
 * the PCI hole: A = [0, 64 KiB) holds the input, B = [4 GiB, +4 KiB) is
 * zeros.  The first input byte picks the queue (bit 0: indirect
 * descriptors negotiated, bit 1: EVENT_IDX, bits 2-4: log2 of the size,
 * 1..128); the rest is region A from address 0, where the rings sit at
 * fixed places: descriptors at 0x0, available ring at 0x1000, used ring
 * at 0x2000.  The device pops up to 64 requests, reads their readable
 * buffers, fills their writable ones and pushes them back, as a device
 * worker does; a malformed ring ends the round (the device would need a
 * reset).  Any read or write outside the two regions is a bug ASan sees,
 * since each region is a heap allocation of exactly its size.
 *
 * Build: clang with -fsanitize=fuzzer (build-asan); run_fuzz.sh runs it
 * for a bounded time in the test suite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../support/ram_region.h"
#include "virtio/queue.h"

#define A_SIZE (64u << 10)
#define B_BASE (4ULL << 30)
#define B_SIZE 4096u

static struct backend ba = {.id = "a", .size = A_SIZE, .page_size = 4096, .fd = -1};
static struct backend bb = {.id = "b", .size = B_SIZE, .page_size = 4096, .fd = -1};
static struct mem_manager *mm;
static struct dma_space dma;
static struct vq_elem *elem;
static uint8_t buf[8192];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kverr err;

	(void)argc;
	(void)argv;
	elem = malloc(sizeof(*elem));
	ba.hva = malloc(A_SIZE);
	bb.hva = malloc(B_SIZE);
	if (!elem || !ba.hva || !bb.hva || test_ram_region(&mm, "a", 0, A_SIZE, &ba, 0, &err) ||
	    test_ram_region(&mm, "b", B_BASE, B_SIZE, &bb, 0, &err))
		abort();
	dma.mm = mm;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq q = {.dma = &dma};
	struct kverr err;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1 < A_SIZE ? size - 1 : A_SIZE;
	memset(ba.hva, 0, A_SIZE);
	memset(bb.hva, 0, B_SIZE);
	memcpy(ba.hva, data + 1, n);

	q.indirect = data[0] & 1;
	q.event_idx = data[0] & 2;
	q.size = (uint16_t)(1u << ((data[0] >> 2) & 7));
	q.desc = 0;
	q.avail = 0x1000;
	q.used = 0x2000;
	q.ready = true;
	if (vq_start(&q, &err))
		return 0;
	for (unsigned i = 0; i < 64; i++) {
		long got, put = 0;
		int r = vq_pop(&q, elem, &err);

		if (r <= 0)
			break;
		got = vq_elem_read(&q, elem, 0, buf, sizeof(buf));
		if (got < 0)
			break;
		if (elem->in_len) {
			memset(buf, 0xa5, sizeof(buf));
			put = vq_elem_write(&q, elem, elem->in_len > 16 ? elem->in_len - 16 : 0,
					    buf, sizeof(buf));
			if (put < 0)
				break;
		}
		if (vq_push(&q, elem->head, (uint32_t)put, &err))
			break;
		(void)vq_should_notify(&q);
	}
	return 0;
}
