/* mem_blocks.c - virtio-mem's memory on the memory manager; see
 * mem_blocks.h. */
#include "virtio/mem_blocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t vmem_memslot_size(uint64_t size, uint64_t block_size, unsigned budget)
{
	uint64_t slot,
	    min = block_size > VMEM_MIN_MEMSLOT_SIZE ? block_size : VMEM_MIN_MEMSLOT_SIZE;

	if (budget > VMEM_MAX_MEMSLOTS)
		budget = VMEM_MAX_MEMSLOTS;
	if (budget <= 1)
		return size;
	slot = (size / budget + block_size - 1) / block_size * block_size;
	return slot > min ? slot : min;
}

static unsigned slot_index(const struct vmem_blocks *b, uint64_t offset)
{
	return (unsigned)(offset / b->memslot_size);
}

static uint64_t slot_len(const struct vmem_blocks *b, unsigned i)
{
	uint64_t start = (uint64_t)i * b->memslot_size;

	return b->region->size - start < b->memslot_size ? b->region->size - start
							 : b->memslot_size;
}

static bool wholly_unplugged(struct vmem_blocks *b, uint64_t offset, uint64_t len)
{
	uint64_t gpa, run;
	const uint64_t start = b->region->gpa + offset;

	/* the first plugged page at or after start, if inside the range */
	if (mem_pages_find(b->mm, start, MEM_PAGE_UNPLUGGED, false, &gpa, &run))
		return true;
	return gpa >= start + len;
}

/* Unmap the memslots [first, last] that hold no plugged page. */
static void unmap_empty(struct vmem_blocks *b, unsigned first, unsigned last)
{
	struct kverr err;

	for (unsigned i = first; i <= last; i++) {
		uint64_t off = (uint64_t)i * b->memslot_size;

		if (!b->mapped[i] || !wholly_unplugged(b, off, slot_len(b, i)))
			continue;
		/* a slot KVM failed to delete is gone anyway (manager.h) */
		(void)mem_region_unmap_slot(b->mm, b->region, off, &err);
		b->mapped[i] = false;
	}
}

static int blocks_plug(void *ctx, uint64_t offset, uint64_t size, struct kverr *err)
{
	struct vmem_blocks *b = ctx;
	struct mem_region *r = b->region;
	unsigned first = 0, last = 0;
	bool newly[VMEM_MAX_MEMSLOTS] = {false};
	struct kverr ignored;
	int ret;

	if (b->prealloc && b->populate) {
		ret = b->populate(r->backend, r->backend_offset + offset, size, err);
		if (ret) {
			/* give back what was populated: every page is unplugged */
			(void)mem_pages_give(b->mm, r->gpa + offset, size, MEM_PAGE_UNPLUGGED, NULL,
					     &ignored);
			return ret;
		}
	}
	if (b->memslot_size) {
		first = slot_index(b, offset);
		last = slot_index(b, offset + size - 1);
		for (unsigned i = first; i <= last; i++) {
			if (b->mapped[i])
				continue;
			ret = mem_region_map_slot(b->mm, r, (uint64_t)i * b->memslot_size,
						  slot_len(b, i), err);
			if (ret)
				goto undo;
			b->mapped[i] = newly[i] = true;
		}
	}
	ret = mem_pages_take(b->mm, r->gpa + offset, size, MEM_PAGE_UNPLUGGED, err);
	if (!ret)
		return 0;
undo:
	for (unsigned i = first; b->memslot_size && i <= last; i++)
		if (newly[i]) {
			(void)mem_region_unmap_slot(b->mm, r, (uint64_t)i * b->memslot_size,
						    &ignored);
			b->mapped[i] = false;
		}
	if (b->prealloc && b->populate)
		(void)mem_pages_give(b->mm, r->gpa + offset, size, MEM_PAGE_UNPLUGGED, NULL,
				     &ignored);
	return ret;
}

/* Guest pages [gpa, gpa+len) that were plugged. */
struct run {
	uint64_t gpa, len;
};

/* The plugged runs of guest pages [start, end), in order. */
struct runs {
	struct run *run;
	size_t n, cap;
};

static int plugged_runs(struct vmem_blocks *b, uint64_t start, uint64_t end, struct runs *out,
			struct kverr *err)
{
	uint64_t at = start, gpa, len;

	memset(out, 0, sizeof(*out));
	while (at < end && !mem_pages_find(b->mm, at, MEM_PAGE_UNPLUGGED, false, &gpa, &len) &&
	       gpa < end) {
		if (out->n == out->cap) {
			size_t cap = out->cap ? 2 * out->cap : 16;
			void *grown = realloc(out->run, cap * sizeof(*out->run));

			if (!grown) {
				free(out->run);
				return kverr_set(err, ENOMEM, "virtio-mem: out of memory");
			}
			out->run = grown;
			out->cap = cap;
		}
		len = len < end - gpa ? len : end - gpa;
		out->run[out->n].gpa = gpa;
		out->run[out->n].len = len;
		out->n++;
		at = gpa + len;
	}
	return 0;
}

static int blocks_unplug(void *ctx, uint64_t offset, uint64_t size, struct kverr *err)
{
	struct vmem_blocks *b = ctx;
	struct mem_region *r = b->region;
	struct runs plugged;
	struct kverr ignored;
	int ret;

	/* what this request changes, noted before anything changes: a
	 * failure must put back only these (UNPLUG_ALL covers blocks that
	 * are unplugged already; they stay so) */
	ret = plugged_runs(b, r->gpa + offset, r->gpa + offset + size, &plugged, err);
	if (ret)
		return ret;
	ret = mem_pages_give(b->mm, r->gpa + offset, size, MEM_PAGE_UNPLUGGED, NULL, err);
	if (ret) {
		/* the device answers BUSY: the blocks stay the guest's */
		for (size_t i = 0; i < plugged.n; i++)
			(void)mem_pages_take(b->mm, plugged.run[i].gpa, plugged.run[i].len,
					     MEM_PAGE_UNPLUGGED, &ignored);
		free(plugged.run);
		return ret;
	}
	free(plugged.run);
	if (b->memslot_size)
		unmap_empty(b, slot_index(b, offset), slot_index(b, offset + size - 1));
	return 0;
}

static int blocks_reset(void *ctx, struct kverr *err)
{
	struct vmem_blocks *b = ctx;
	int ret;

	/* a failed discard leaves the pages unplugged: they stay so */
	ret = mem_pages_give(b->mm, b->region->gpa, b->region->size, MEM_PAGE_UNPLUGGED, NULL, err);
	vmem_blocks_release(b);
	return ret;
}

static enum vmem_state blocks_state(void *ctx, uint64_t offset, uint64_t size)
{
	struct vmem_blocks *b = ctx;
	const uint64_t start = b->region->gpa + offset, end = start + size;
	uint64_t gpa, run;
	bool some_unplugged, some_plugged;

	some_unplugged =
	    !mem_pages_find(b->mm, start, MEM_PAGE_UNPLUGGED, true, &gpa, &run) && gpa < end;
	some_plugged =
	    !mem_pages_find(b->mm, start, MEM_PAGE_UNPLUGGED, false, &gpa, &run) && gpa < end;
	if (some_unplugged && some_plugged)
		return VIRTIO_MEM_STATE_MIXED;
	return some_unplugged ? VIRTIO_MEM_STATE_UNPLUGGED : VIRTIO_MEM_STATE_PLUGGED;
}

void vmem_blocks_init(struct vmem_blocks *b, struct mem_manager *mm, struct mem_region *r,
		      bool prealloc, uint64_t memslot_size,
		      int (*populate)(struct backend *, uint64_t, uint64_t, struct kverr *),
		      struct vmem_mem_ops *ops)
{
	memset(b, 0, sizeof(*b));
	b->mm = mm;
	b->region = r;
	b->prealloc = prealloc;
	b->populate = populate;
	if (memslot_size) {
		/* never more memslots than the table holds */
		while ((r->size + memslot_size - 1) / memslot_size > VMEM_MAX_MEMSLOTS)
			memslot_size *= 2;
		b->memslot_size = memslot_size;
		b->nr_memslots = (unsigned)((r->size + memslot_size - 1) / memslot_size);
	}
	*ops = (struct vmem_mem_ops){
	    .ctx = b,
	    .plug = blocks_plug,
	    .unplug = blocks_unplug,
	    .reset = blocks_reset,
	    .state = blocks_state,
	};
}

unsigned vmem_blocks_memslots(const struct vmem_blocks *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->nr_memslots; i++)
		n += b->mapped[i];
	return n;
}

void vmem_blocks_release(struct vmem_blocks *b)
{
	struct kverr err;

	for (unsigned i = 0; i < b->nr_memslots; i++)
		if (b->mapped[i]) {
			(void)mem_region_unmap_slot(b->mm, b->region, (uint64_t)i * b->memslot_size,
						    &err);
			b->mapped[i] = false;
		}
}
