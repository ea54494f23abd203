/* fuzz_vmem.c - libFuzzer target: the virtio-mem device's requests, as a
 * hostile driver sends them, on the memory manager.
 *
 * The input is a list of operations: a request of VIRTIO_MEM_REQ_SIZE
 * bytes (any type, address and block count, and any length and answer
 * room), a requested-size from the host, or a machine reset.  The device
 * is a 16 MiB region of 1 MiB blocks at 4 GiB, the last 2 MiB of whose
 * backend's discards fail (the device must answer BUSY and stay
 * consistent), with dynamic memslots of 4 MiB.  After every operation:
 *   - the plugged size the device reports is the manager's count of
 *     plugged pages, and at most the region;
 *   - the usable region is whole blocks inside the region;
 *   - a KVM slot is mapped exactly for each memslot holding a plugged page;
 *   - a request the device ACKed or refused changed the state as the
 *     answer says (PLUG ACK: the blocks are plugged, ERROR/NACK/BUSY:
 *     nothing changed).
 * Anything else aborts.  Protocol violations are fine (the transport
 * resets the device), but must change nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/manager.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"

#define MiB (1ULL << 20)
#define BASE (4ULL << 30)
#define REGION (16 * MiB)
#define BLOCK (1 * MiB)
#define MEMSLOT (4 * MiB)
#define FAIL_FROM (REGION - 2 * MiB)

static uint8_t page[4096];
static struct backend back = {.id = "fuzz", .size = REGION, .page_size = 4096, .fd = -1};

static int fake_discard(void *opaque, struct backend *b, uint64_t off, uint64_t len,
			struct kverr *err)
{
	(void)opaque;
	(void)b;
	if (off + len > FAIL_FROM)
		return kverr_set(err, EIO, "fuzz: discard fails near the end");
	return 0;
}

static int fake_set_slot(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
			 struct kverr *err)
{
	(void)opaque;
	(void)slot;
	(void)gpa;
	(void)size;
	(void)hva;
	(void)err;
	return 0;
}

static const struct mem_slot_ops slot_ops = {.set_slot = fake_set_slot};

static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_vmem: %s\n", what);
		abort();
	}
}

static uint64_t plugged_pages(struct mem_manager *mm)
{
	return REGION / MEM_PAGE_SIZE - mem_pages_count(mm, MEM_PAGE_UNPLUGGED);
}

static void check(struct vmem *v, struct vmem_blocks *b, struct mem_manager *mm)
{
	struct vmem_info i;
	unsigned want_slots = 0;

	vmem_get_info(v, &i);
	require(i.plugged_size == plugged_pages(mm) * MEM_PAGE_SIZE,
		"plugged size differs from the manager's page state");
	require(i.plugged_size <= REGION, "plugged size above the region");
	require(i.usable_region_size <= REGION && i.usable_region_size % BLOCK == 0,
		"usable region not whole blocks inside the region");
	for (uint64_t off = 0; off < REGION; off += MEMSLOT) {
		uint64_t gpa, len;
		int r = mem_pages_find(mm, BASE + off, MEM_PAGE_UNPLUGGED, false, &gpa, &len);

		want_slots += !r && gpa < BASE + off + MEMSLOT;
	}
	require(vmem_blocks_memslots(b) == want_slots, "a memslot mapped without plugged blocks");
	require(mem_manager_slots_used(mm) == want_slots, "KVM slots differ from the memslots");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_host_ops host = {.discard = fake_discard};
	struct mem_region_spec spec = {.name = "fuzz",
				       .kind = MEM_REGION_VIRTIO_MEM,
				       .flags = MEM_REGION_UNPLUGGED | MEM_REGION_NO_SLOT |
						MEM_REGION_PLUGGED_ONLY,
				       .gpa = BASE,
				       .size = REGION,
				       .backend = &back};
	struct vmem_params p = {.block_size = BLOCK, .addr = BASE, .region_size = REGION};
	struct mem_manager *mm;
	struct mem_region *r;
	struct vmem_blocks blocks;
	struct vmem_mem_ops ops;
	struct vmem v;
	struct kverr err;
	size_t at = 0;

	back.hva = page; /* pointers computed, never followed */
	require(!mem_manager_create(&mm, &host, &err), "manager");
	require(!mem_manager_attach(mm, &slot_ops, NULL, 64, &err), "attach");
	require(!mem_manager_add(mm, &spec, &r, &err), "add");
	vmem_blocks_init(&blocks, mm, r, false, MEMSLOT, NULL, &ops);
	if (size)
		p.requested_size = (uint64_t)(data[0] % 20) * BLOCK; /* may exceed the region */
	require(!vmem_init(&v, &p, &ops, &err), "init");

	while (at < size) {
		uint8_t op = data[at++];

		if (op < 200) {
			uint8_t req[VIRTIO_MEM_REQ_SIZE] = {0}, resp[VIRTIO_MEM_RESP_SIZE];
			size_t n = size - at < sizeof(req) ? size - at : sizeof(req), len = 0;
			size_t req_len = op % 50 == 0 ? n / 2 : VIRTIO_MEM_REQ_SIZE;
			size_t room = op % 61 == 0 ? 9 : 16;
			uint64_t before = plugged_pages(mm), gpa;
			int ret;

			memcpy(req, data + at, n);
			at += n;
			/* mostly addresses near the region, to reach the checks */
			gpa = (uint64_t)req[8] | (uint64_t)req[9] << 8 | (uint64_t)req[10] << 16;
			if (op & 1) {
				gpa = BASE + (gpa % 20) * BLOCK + (op & 2 ? 4096 : 0);
				for (int i = 0; i < 8; i++)
					req[8 + i] = (uint8_t)(gpa >> (8 * i));
				req[17] = 0; /* few blocks */
			}
			ret = vmem_handle_request(&v, req, req_len, room, resp, &len, &err);
			if (ret) {
				require(ret == -EPROTO, "a failed request is a protocol violation");
				require(plugged_pages(mm) == before, "a violation changed memory");
			} else {
				require(len == VIRTIO_MEM_RESP_SIZE, "answer size");
				require(resp[0] <= VIRTIO_MEM_RESP_ERROR && resp[1] == 0,
					"answer type");
				if (resp[0] != VIRTIO_MEM_RESP_ACK ||
				    req[0] == VIRTIO_MEM_REQ_STATE)
					require(plugged_pages(mm) == before,
						"a refused request changed memory");
			}
		} else if (op < 240) {
			uint64_t want = (uint64_t)(op - 200) * 2 * BLOCK + (op & 1 ? 4096 : 0);
			uint64_t before = v.requested_size;

			if (vmem_set_requested_size(&v, want, &err))
				require(v.requested_size == before, "a refused size changed it");
		} else {
			(void)vmem_reset(&v, &err);
			/* unplugged even where the discard failed */
			require(plugged_pages(mm) == 0, "reset left blocks plugged");
		}
		check(&v, &blocks, mm);
	}
	vmem_blocks_release(&blocks);
	vmem_destroy(&v);
	mem_manager_destroy(mm);
	return 0;
}
