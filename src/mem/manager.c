/* manager.c - guest physical memory at run time (see manager.h).
 *
 * The view.  mm->view points at an immutable struct mem_view: the regions
 * sorted by address and the KVM slots sorted by number, in one allocation.
 * A writer (under mm->lock) builds a whole new view, stores the pointer,
 * then waits in epoch_synchronize() until no read section can still hold
 * the old one, and only then frees it - and a removed region with it.
 * Readers load the pointer inside an epoch read section and never lock.
 *
 * Page state.  Each region has one bitmap per state bit, one bit per 4 KiB
 * page, allocated the first time a bit is set (a VM that never balloons
 * pays nothing).  Bits are changed under mm->pages_lock with atomic
 * read-modify-writes, so lock-free readers (mem_view_ptr on a
 * PLUGGED_ONLY region, the counters) see whole words.  A discard runs
 * under the same lock: a deflate of a page cannot slip between the
 * decision to discard it and the discard.
 *
 * Backend pages.  Discard works in the backend's page size P.  A backend
 * page is given back when each of its 4 KiB parts is unused - unplugged,
 * ballooned, or inside the range being reported free - looking into every
 * region that maps a part of it (two windows of one backend may share a
 * huge page at their edge); a part that no region maps counts as used,
 * so nothing is ever discarded on a guess.
 */
#include "mem/manager.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/epoch.h"

struct mem_pages {
	uint64_t nr; /* 4 KiB pages in the region */
	_Atomic(_Atomic uint64_t *) bits[MEM_PAGE_NR_STATES];
	_Atomic uint64_t count[MEM_PAGE_NR_STATES];
};

struct mem_manager {
	pthread_mutex_t lock; /* writers */
	_Atomic(struct mem_view *) view;
	uint64_t generation;
	struct mem_host_ops host;
	const struct mem_slot_ops *slot_ops; /* NULL: not attached */
	void *slot_opaque;
	uint32_t slot_limit;
	uint64_t slot_used[(MEM_MAX_SLOTS + 63) / 64];
	pthread_mutex_t pages_lock;
};

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* ---- views ---- */

static struct mem_view *view_alloc(unsigned nr_regions, unsigned nr_slots)
{
	size_t size = sizeof(struct mem_view) + nr_regions * sizeof(struct mem_region *) +
		      nr_slots * sizeof(struct mem_slot);
	struct mem_view *v = calloc(1, size);

	if (!v)
		return NULL;
	v->nr_regions = nr_regions;
	v->nr_slots = nr_slots;
	v->region = (const struct mem_region *const *)(v + 1);
	v->slot = (const struct mem_slot *)((const struct mem_region **)(v + 1) + nr_regions);
	return v;
}

static const struct mem_region **view_regions(struct mem_view *v)
{
	return (const struct mem_region **)v->region;
}

static struct mem_slot *view_slots(struct mem_view *v)
{
	return (struct mem_slot *)v->slot;
}

/* A copy of old with region add_r inserted (by address) or drop_r left out
 * with its slots, and slot add_s inserted (by number) or drop_s left out. */
static struct mem_view *view_edit(const struct mem_view *old, const struct mem_region *add_r,
				  const struct mem_region *drop_r, const struct mem_slot *add_s,
				  const struct mem_slot *drop_s)
{
	unsigned nr = old->nr_regions + (add_r != NULL) - (drop_r != NULL);
	unsigned ns = old->nr_slots + (add_s != NULL) - (drop_s != NULL);
	struct mem_view *v;
	unsigned j = 0;

	if (drop_r)
		for (unsigned i = 0; i < old->nr_slots; i++)
			ns -= old->slot[i].region == drop_r;
	v = view_alloc(nr, ns);
	if (!v)
		return NULL;
	for (unsigned i = 0; i < old->nr_regions; i++) {
		if (add_r && add_r->gpa < old->region[i]->gpa) {
			view_regions(v)[j++] = add_r;
			add_r = NULL;
		}
		if (old->region[i] != drop_r)
			view_regions(v)[j++] = old->region[i];
	}
	if (add_r)
		view_regions(v)[j++] = add_r;
	j = 0;
	for (unsigned i = 0; i < old->nr_slots; i++) {
		const struct mem_slot *s = &old->slot[i];
		if (add_s && add_s->slot < s->slot) {
			view_slots(v)[j++] = *add_s;
			add_s = NULL;
		}
		if (s->region != drop_r && s != drop_s)
			view_slots(v)[j++] = *s;
	}
	if (add_s)
		view_slots(v)[j++] = *add_s;
	return v;
}

static void pages_free(struct mem_pages *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < MEM_PAGE_NR_STATES; i++)
		free((void *)atomic_load(&p->bits[i]));
	free(p);
}

static void region_free(struct mem_region *r)
{
	if (r)
		pages_free(r->pages);
	free(r);
}

/* Make v the view; returns the old one, which readers may still hold. */
static struct mem_view *swap_view(struct mem_manager *mm, struct mem_view *v)
{
	v->generation = ++mm->generation;
	return atomic_exchange(&mm->view, v);
}

/* When no reader can see old any more, free it, and gone with it. */
static void retire(struct mem_view *old, struct mem_region *gone)
{
	epoch_synchronize(); /* writers are never inside a read section */
	free(old);
	region_free(gone);
}

static void publish(struct mem_manager *mm, struct mem_view *v)
{
	retire(swap_view(mm, v), NULL);
}

/* ---- slot numbers ---- */

static bool slot_is_used(const struct mem_manager *mm, uint32_t s)
{
	return mm->slot_used[s / 64] >> (s % 64) & 1;
}

static void slot_mark(struct mem_manager *mm, uint32_t s, bool used)
{
	if (used)
		mm->slot_used[s / 64] |= 1ULL << (s % 64);
	else
		mm->slot_used[s / 64] &= ~(1ULL << (s % 64));
}

static int slot_alloc(struct mem_manager *mm, const char *name, uint32_t *out, struct kverr *err)
{
	uint32_t limit = mm->slot_ops ? mm->slot_limit : MEM_MAX_SLOTS;

	for (uint32_t s = 0; s < limit; s++) {
		if (!slot_is_used(mm, s)) {
			*out = s;
			return 0;
		}
	}
	return kverr_set(err, ENOSPC, "guest region %s: KVM memory slots exhausted (all %u in use)",
			 name, limit);
}

static int slot_set(struct mem_manager *mm, const struct mem_slot *s, bool map, struct kverr *err)
{
	if (!mm->slot_ops)
		return 0;
	return mm->slot_ops->set_slot(mm->slot_opaque, s->slot, s->region->gpa + s->offset,
				      map ? s->size : 0, s->region->hva + s->offset, err);
}

/* ---- life ---- */

int mem_manager_create(struct mem_manager **out, const struct mem_host_ops *host, struct kverr *err)
{
	struct mem_manager *mm = calloc(1, sizeof(*mm));

	*out = NULL;
	if (!mm)
		return kverr_set(err, ENOMEM, "memory manager: out of memory");
	mm->view = view_alloc(0, 0);
	if (!mm->view) {
		free(mm);
		return kverr_set(err, ENOMEM, "memory manager: out of memory");
	}
	if (host)
		mm->host = *host;
	pthread_mutex_init(&mm->lock, NULL);
	pthread_mutex_init(&mm->pages_lock, NULL);
	*out = mm;
	return 0;
}

void mem_manager_destroy(struct mem_manager *mm)
{
	struct mem_view *v;

	if (!mm)
		return;
	v = atomic_exchange(&mm->view, NULL);
	epoch_synchronize();
	for (unsigned i = 0; v && i < v->nr_regions; i++)
		region_free((struct mem_region *)v->region[i]);
	free(v);
	pthread_mutex_destroy(&mm->lock);
	pthread_mutex_destroy(&mm->pages_lock);
	free(mm);
}

/* ---- page bitmaps ---- */

static uint64_t words(uint64_t nr_pages)
{
	return (nr_pages + 63) / 64;
}

static unsigned state_index(unsigned bit)
{
	return (unsigned)__builtin_ctz(bit);
}

static _Atomic uint64_t *bits_of(const struct mem_region *r, unsigned bit)
{
	return atomic_load_explicit(&r->pages->bits[state_index(bit)], memory_order_acquire);
}

/* The bitmap of bit, allocated (all clear) if it has none yet; under
 * pages_lock or before the region is published. */
static _Atomic uint64_t *bits_need(const struct mem_region *r, unsigned bit)
{
	_Atomic uint64_t *b = bits_of(r, bit);

	if (!b) {
		b = calloc(words(r->pages->nr), sizeof(*b));
		if (b)
			atomic_store_explicit(&r->pages->bits[state_index(bit)], b,
					      memory_order_release);
	}
	return b;
}

static bool bit_test(const struct mem_region *r, unsigned bit, uint64_t page)
{
	_Atomic uint64_t *b = bits_of(r, bit);

	return b && atomic_load_explicit(&b[page / 64], memory_order_relaxed) >> (page % 64) & 1;
}

/* Mask of the bits of word w that lie in [first, first + n); 0 if none. */
static uint64_t word_mask(uint64_t w, uint64_t first, uint64_t n)
{
	uint64_t lo = first > w * 64 ? first : w * 64;
	uint64_t hi = first + n < (w + 1) * 64 ? first + n : (w + 1) * 64;
	uint64_t m;

	if (lo >= hi)
		return 0;
	lo -= w * 64;
	hi -= w * 64;
	m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;
	return m & ~((1ULL << lo) - 1);
}

/* Set or clear bit on pages [first, first + n) of r, keeping its count;
 * the bitmap exists (bits_need) when setting. */
static void bits_change(const struct mem_region *r, unsigned bit, uint64_t first, uint64_t n,
			bool on)
{
	_Atomic uint64_t *b = on ? bits_need(r, bit) : bits_of(r, bit);
	uint64_t changed = 0;

	if (!b || !n)
		return;
	for (uint64_t w = first / 64; w <= (first + n - 1) / 64; w++) {
		uint64_t m = word_mask(w, first, n), old;
		if (on)
			old = atomic_fetch_or_explicit(&b[w], m, memory_order_relaxed), m &= ~old;
		else
			old = atomic_fetch_and_explicit(&b[w], ~m, memory_order_relaxed), m &= old;
		changed += (uint64_t)__builtin_popcountll(m);
	}
	if (on)
		atomic_fetch_add(&r->pages->count[state_index(bit)], changed);
	else
		atomic_fetch_sub(&r->pages->count[state_index(bit)], changed);
}

/* True if no page of [first, first + n) of r has a bit of mask. */
static bool bits_none(const struct mem_region *r, unsigned mask, uint64_t first, uint64_t n)
{
	for (unsigned bit = 1; bit < 1u << MEM_PAGE_NR_STATES; bit <<= 1) {
		_Atomic uint64_t *b = (mask & bit) ? bits_of(r, bit) : NULL;
		if (!b)
			continue;
		for (uint64_t w = first / 64; n && w <= (first + n - 1) / 64; w++)
			if (atomic_load_explicit(&b[w], memory_order_relaxed) &
			    word_mask(w, first, n))
				return false;
	}
	return true;
}

/* ---- writers ---- */

static bool aligned(uint64_t v)
{
	return (v & (MEM_PAGE_SIZE - 1)) == 0;
}

static int check_spec(const struct mem_view *v, const struct mem_region_spec *s, struct kverr *err)
{
	const char *name = s->name ? s->name : "";

	if (!s->name || !s->name[0] || strlen(s->name) >= MEM_NAME_MAX)
		return kverr_set(err, EINVAL, "guest region '%s': a name of 1 to %d characters",
				 name, MEM_NAME_MAX - 1);
	if (s->size == 0 || s->gpa + s->size < s->gpa || s->gpa + s->size - 1 < s->gpa)
		return kverr_set(err, EINVAL, "guest region %s: bad range 0x%llx+0x%llx", name,
				 ull(s->gpa), ull(s->size));
	if (!aligned(s->gpa) || !aligned(s->size) || !aligned(s->backend_offset))
		return kverr_set(err, EINVAL,
				 "guest region %s: 0x%llx+0x%llx at backend offset 0x%llx is not "
				 "in whole 4 KiB pages",
				 name, ull(s->gpa), ull(s->size), ull(s->backend_offset));
	if (!s->backend || !s->backend->hva)
		return kverr_set(err, EINVAL, "guest region %s: no backend memory", name);
	if (s->backend_offset > s->backend->size || s->size > s->backend->size - s->backend_offset)
		return kverr_set(err, EINVAL,
				 "guest region %s: 0x%llx+0x%llx lies outside backend '%s' (0x%llx "
				 "bytes)",
				 name, ull(s->backend_offset), ull(s->size), s->backend->id,
				 ull(s->backend->size));
	for (unsigned i = 0; i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];
		if (s->gpa < r->gpa + r->size && r->gpa < s->gpa + s->size)
			return kverr_set(err, EEXIST,
					 "guest region %s at 0x%llx overlaps %s at 0x%llx", name,
					 ull(s->gpa), r->name, ull(r->gpa));
		if (!strcmp(r->name, s->name))
			return kverr_set(err, EEXIST, "guest region %s: the name is taken", name);
	}
	if (v->nr_regions == MEM_MAX_REGIONS)
		return kverr_set(err, ENOSPC, "guest region %s: more than %d regions", name,
				 MEM_MAX_REGIONS);
	return 0;
}

static struct mem_region *region_new(const struct mem_region_spec *s)
{
	struct mem_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pages = calloc(1, sizeof(*r->pages));
	if (!r->pages) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", s->name);
	r->kind = s->kind;
	r->flags = s->flags;
	r->gpa = s->gpa;
	r->size = s->size;
	r->backend = s->backend;
	r->backend_offset = s->backend_offset;
	r->hva = s->backend->hva + s->backend_offset;
	r->node = s->node;
	r->owner = s->owner;
	r->pages->nr = s->size / MEM_PAGE_SIZE;
	if (s->flags & MEM_REGION_UNPLUGGED) {
		if (!bits_need(r, MEM_PAGE_UNPLUGGED)) {
			region_free(r);
			return NULL;
		}
		bits_change(r, MEM_PAGE_UNPLUGGED, 0, r->pages->nr, true);
	}
	return r;
}

int mem_manager_add(struct mem_manager *mm, const struct mem_region_spec *spec,
		    struct mem_region **out, struct kverr *err)
{
	struct mem_view *old, *v = NULL;
	struct mem_region *r = NULL;
	struct mem_slot slot = {0};
	bool with_slot = !(spec->flags & MEM_REGION_NO_SLOT);
	int ret;

	if (out)
		*out = NULL;
	if (epoch_in_read())
		return kverr_set(err, EDEADLK, "guest region %s: added inside a read section",
				 spec->name ? spec->name : "");
	pthread_mutex_lock(&mm->lock);
	old = atomic_load(&mm->view);
	ret = check_spec(old, spec, err);
	if (!ret && with_slot)
		ret = slot_alloc(mm, spec->name, &slot.slot, err);
	if (ret)
		goto out;
	r = region_new(spec);
	if (r) {
		slot.region = r;
		slot.size = r->size;
		v = view_edit(old, r, NULL, with_slot ? &slot : NULL, NULL);
	}
	if (!v) {
		ret = kverr_set(err, ENOMEM, "guest region %s: out of memory", spec->name);
		goto out;
	}
	if (with_slot && (ret = slot_set(mm, &slot, true, err)) < 0)
		goto out;
	if (with_slot)
		slot_mark(mm, slot.slot, true);
	publish(mm, v);
	if (out)
		*out = r;
	v = NULL;
	r = NULL;
out:
	pthread_mutex_unlock(&mm->lock);
	free(v);
	region_free(r);
	return ret;
}

static bool is_current(const struct mem_view *v, const struct mem_region *r)
{
	for (unsigned i = 0; i < v->nr_regions; i++)
		if (v->region[i] == r)
			return true;
	return false;
}

int mem_manager_remove(struct mem_manager *mm, struct mem_region *r, struct kverr *err)
{
	struct mem_view *old, *v;
	int ret = 0;

	if (epoch_in_read())
		return kverr_set(err, EDEADLK, "guest region: removed inside a read section");
	pthread_mutex_lock(&mm->lock);
	old = atomic_load(&mm->view);
	if (!r || !is_current(old, r)) {
		pthread_mutex_unlock(&mm->lock);
		return kverr_set(err, ENOENT, "guest region: not a region of this VM");
	}
	v = view_edit(old, NULL, r, NULL, NULL);
	if (!v) {
		pthread_mutex_unlock(&mm->lock);
		return kverr_set(err, ENOMEM, "guest region %s: out of memory", r->name);
	}
	/* Readers stop finding it, then the guest loses its slots, then the
	 * last reader that could see it leaves, then it is freed. */
	old = swap_view(mm, v);
	for (unsigned i = 0; i < old->nr_slots; i++) {
		if (old->slot[i].region != r)
			continue;
		if (slot_set(mm, &old->slot[i], false, ret ? NULL : err) < 0 && !ret)
			ret = -EIO;
		slot_mark(mm, old->slot[i].slot, false);
	}
	retire(old, r);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

int mem_region_map_slot(struct mem_manager *mm, struct mem_region *r, uint64_t offset,
			uint64_t size, struct kverr *err)
{
	struct mem_view *old, *v;
	struct mem_slot s = {.region = r, .offset = offset, .size = size};
	int ret;

	if (epoch_in_read())
		return kverr_set(err, EDEADLK, "guest region: mapped inside a read section");
	pthread_mutex_lock(&mm->lock);
	old = atomic_load(&mm->view);
	if (!r || !is_current(old, r)) {
		ret = kverr_set(err, ENOENT, "guest region: not a region of this VM");
		goto out;
	}
	if (!size || !aligned(offset) || !aligned(size) || offset > r->size ||
	    size > r->size - offset) {
		ret = kverr_set(err, EINVAL, "guest region %s: cannot map 0x%llx+0x%llx of 0x%llx",
				r->name, ull(offset), ull(size), ull(r->size));
		goto out;
	}
	for (unsigned i = 0; i < old->nr_slots; i++) {
		const struct mem_slot *o = &old->slot[i];
		if (o->region == r && offset < o->offset + o->size && o->offset < offset + size) {
			ret = kverr_set(err, EEXIST,
					"guest region %s: 0x%llx+0x%llx overlaps KVM slot %u",
					r->name, ull(offset), ull(size), o->slot);
			goto out;
		}
	}
	if ((ret = slot_alloc(mm, r->name, &s.slot, err)))
		goto out;
	v = view_edit(old, NULL, NULL, &s, NULL);
	if (!v) {
		ret = kverr_set(err, ENOMEM, "guest region %s: out of memory", r->name);
		goto out;
	}
	if ((ret = slot_set(mm, &s, true, err)) < 0) {
		free(v);
		goto out;
	}
	slot_mark(mm, s.slot, true);
	publish(mm, v);
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

int mem_region_unmap_slot(struct mem_manager *mm, struct mem_region *r, uint64_t offset,
			  struct kverr *err)
{
	struct mem_view *old, *v;
	const struct mem_slot *s = NULL;
	int ret;

	if (epoch_in_read())
		return kverr_set(err, EDEADLK, "guest region: unmapped inside a read section");
	pthread_mutex_lock(&mm->lock);
	old = atomic_load(&mm->view);
	for (unsigned i = 0; r && i < old->nr_slots; i++)
		if (old->slot[i].region == r && old->slot[i].offset == offset)
			s = &old->slot[i];
	if (!s) {
		ret = kverr_set(err, ENOENT, "guest region %s: no KVM slot at offset 0x%llx",
				r && is_current(old, r) ? r->name : "?", ull(offset));
		goto out;
	}
	v = view_edit(old, NULL, NULL, NULL, s);
	if (!v) {
		ret = kverr_set(err, ENOMEM, "guest region %s: out of memory", r->name);
		goto out;
	}
	ret = slot_set(mm, s, false, err);
	slot_mark(mm, s->slot, false);
	publish(mm, v);
out:
	pthread_mutex_unlock(&mm->lock);
	return ret < 0 ? ret : 0;
}

int mem_manager_attach(struct mem_manager *mm, const struct mem_slot_ops *ops, void *opaque,
		       uint32_t nr_slots, struct kverr *err)
{
	const struct mem_view *v;
	unsigned done = 0;
	int ret = 0;

	pthread_mutex_lock(&mm->lock);
	v = atomic_load(&mm->view);
	if (nr_slots > MEM_MAX_SLOTS)
		nr_slots = MEM_MAX_SLOTS;
	for (unsigned i = 0; i < v->nr_slots; i++)
		if (v->slot[i].slot >= nr_slots) {
			ret = kverr_set(err, ENOSPC,
					"guest region %s needs KVM memory slot %u, KVM allows %u",
					v->slot[i].region->name, v->slot[i].slot, nr_slots);
			goto out;
		}
	mm->slot_ops = ops;
	mm->slot_opaque = opaque;
	mm->slot_limit = nr_slots;
	for (; done < v->nr_slots; done++)
		if ((ret = slot_set(mm, &v->slot[done], true, err)) < 0)
			break;
	if (ret < 0) {
		while (done--)
			slot_set(mm, &v->slot[done], false, NULL);
		mm->slot_ops = NULL;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

void mem_manager_detach(struct mem_manager *mm)
{
	pthread_mutex_lock(&mm->lock);
	mm->slot_ops = NULL;
	mm->slot_opaque = NULL;
	pthread_mutex_unlock(&mm->lock);
}

unsigned mem_manager_slots_used(struct mem_manager *mm)
{
	unsigned n = 0;

	pthread_mutex_lock(&mm->lock);
	for (unsigned i = 0; i < sizeof(mm->slot_used) / sizeof(mm->slot_used[0]); i++)
		n += (unsigned)__builtin_popcountll(mm->slot_used[i]);
	pthread_mutex_unlock(&mm->lock);
	return n;
}

bool mem_manager_slot_free(struct mem_manager *mm)
{
	uint32_t s;
	bool free;

	pthread_mutex_lock(&mm->lock);
	free = slot_alloc(mm, "", &s, NULL) == 0;
	pthread_mutex_unlock(&mm->lock);
	return free;
}

/* ---- readers ---- */

const struct mem_view *mem_view_begin(struct mem_manager *mm)
{
	epoch_read_begin();
	return atomic_load(&mm->view);
}

void mem_view_end(struct mem_manager *mm)
{
	(void)mm;
	epoch_read_end();
}

const struct mem_region *mem_view_find(const struct mem_view *v, uint64_t gpa)
{
	unsigned lo = 0, hi = v->nr_regions;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct mem_region *r = v->region[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* [off, off+len) of r, which the caller checked lies inside r, may be
 * touched: plugged, if r keeps unplugged memory from the guest. */
static bool accessible(const struct mem_region *r, uint64_t off, uint64_t len)
{
	uint64_t first = off / MEM_PAGE_SIZE;

	if (!(r->flags & MEM_REGION_PLUGGED_ONLY))
		return true;
	return bits_none(r, MEM_PAGE_UNPLUGGED, first, (off + len - 1) / MEM_PAGE_SIZE - first + 1);
}

void *mem_view_ptr(const struct mem_view *v, uint64_t gpa, uint64_t len)
{
	const struct mem_region *r;
	uint64_t off;

	if (len == 0)
		return NULL;
	r = mem_view_find(v, gpa);
	if (!r)
		return NULL;
	off = gpa - r->gpa;
	/* off < r->size here, so r->size - off cannot underflow */
	if (len > r->size - off || !accessible(r, off, len))
		return NULL;
	return r->hva + off;
}

int mem_view_locate(const struct mem_view *v, uint64_t gpa, struct mem_location *loc)
{
	const struct mem_region *r = mem_view_find(v, gpa);
	uint64_t off;

	if (!r)
		return -EFAULT;
	off = gpa - r->gpa;
	*loc = (struct mem_location){
	    .region = r,
	    .backend = r->backend,
	    .backend_offset = r->backend_offset + off,
	    .hva = r->hva + off,
	    .len = r->size - off,
	    .slot = -1,
	};
	for (unsigned i = 0; i < v->nr_slots; i++) {
		const struct mem_slot *s = &v->slot[i];
		if (s->region == r && off >= s->offset && off - s->offset < s->size)
			loc->slot = (int)s->slot;
	}
	return 0;
}

/* Calls fn on each piece of [gpa, gpa+len) that lies in one region, in
 * order, once every piece was found: a range that leaves guest RAM
 * anywhere (a gap, the end, an overflow, or with fn an inaccessible page)
 * is refused whole, before fn ran once.  Without fn it only checks. */
static int for_each_piece(const struct mem_view *v, uint64_t gpa, uint64_t len,
			  void (*fn)(uint8_t *hva, uint64_t done, uint64_t n, void *arg), void *arg,
			  struct kverr *err)
{
	for (int pass = 0; pass < (fn ? 2 : 1); pass++) {
		uint64_t done = 0;

		while (done < len) {
			const struct mem_region *r = mem_view_find(v, gpa + done);
			uint64_t off, n;

			/* gpa + done wraps only past a region ending at 2^64,
			 * which mem_manager_add refuses */
			if (!r || gpa + done < gpa)
				return kverr_set(
				    err, EFAULT,
				    "guest range 0x%llx+0x%llx is not inside guest RAM", ull(gpa),
				    ull(len));
			off = gpa + done - r->gpa;
			n = r->size - off < len - done ? r->size - off : len - done;
			if (!pass && fn && !accessible(r, off, n))
				return kverr_set(err, EFAULT,
						 "guest range 0x%llx+0x%llx is not plugged in %s",
						 ull(gpa), ull(len), r->name);
			if (pass)
				fn(r->hva + off, done, n, arg);
			done += n;
		}
	}
	return 0;
}

static void copy_in(uint8_t *hva, uint64_t done, uint64_t n, void *arg)
{
	memcpy(hva, (const uint8_t *)arg + done, n);
}

static void copy_out(uint8_t *hva, uint64_t done, uint64_t n, void *arg)
{
	memcpy((uint8_t *)arg + done, hva, n);
}

int mem_view_write(const struct mem_view *v, uint64_t gpa, const void *src, uint64_t len,
		   struct kverr *err)
{
	return for_each_piece(v, gpa, len, copy_in, (void *)src, err);
}

int mem_view_read(const struct mem_view *v, uint64_t gpa, void *dst, uint64_t len,
		  struct kverr *err)
{
	return for_each_piece(v, gpa, len, copy_out, dst, err);
}

int mem_read(struct mem_manager *mm, uint64_t gpa, void *dst, uint64_t len, struct kverr *err)
{
	int ret = mem_view_read(mem_view_begin(mm), gpa, dst, len, err);

	mem_view_end(mm);
	return ret;
}

int mem_write(struct mem_manager *mm, uint64_t gpa, const void *src, uint64_t len,
	      struct kverr *err)
{
	int ret = mem_view_write(mem_view_begin(mm), gpa, src, len, err);

	mem_view_end(mm);
	return ret;
}

/* ---- page state ---- */

static uint64_t backend_page(const struct backend *b)
{
	return b->page_size > MEM_PAGE_SIZE ? b->page_size : MEM_PAGE_SIZE;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

/* Guest range [gpa, gpa+len) checked: 4 KiB aligned, no wrap, each byte
 * in a region, the regions adjacent. */
static int check_pages(const struct mem_view *v, uint64_t gpa, uint64_t len, unsigned why,
		       struct kverr *err)
{
	if (why != MEM_PAGE_UNPLUGGED && why != MEM_PAGE_BALLOONED && why != MEM_PAGE_REPORTED)
		return kverr_set(err, EINVAL, "page state 0x%x cannot be given or taken", why);
	if (!len || !aligned(gpa) || !aligned(len))
		return kverr_set(err, EINVAL, "guest pages 0x%llx+0x%llx are not whole 4 KiB pages",
				 ull(gpa), ull(len));
	return for_each_piece(v, gpa, len, NULL, NULL, err);
}

/* The regions mapping backend b over [boff, boff+blen), each with the
 * part it maps, in turn: fn(r, first page in r, pages). */
static void
for_each_window(const struct mem_view *v, const struct backend *b, uint64_t boff, uint64_t blen,
		void (*fn)(const struct mem_region *r, uint64_t first, uint64_t n, void *arg),
		void *arg)
{
	for (unsigned i = 0; i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];
		uint64_t lo, hi;

		if (r->backend != b)
			continue;
		lo = boff > r->backend_offset ? boff : r->backend_offset;
		hi = boff + blen < r->backend_offset + r->size ? boff + blen
							       : r->backend_offset + r->size;
		if (lo < hi)
			fn(r, (lo - r->backend_offset) / MEM_PAGE_SIZE, (hi - lo) / MEM_PAGE_SIZE,
			   arg);
	}
}

struct unused_check {
	uint64_t cur_gpa, cur_len; /* the range being reported, counted unused */
	uint64_t covered;	   /* pages of the backend page some region maps */
	bool unused;
};

static void check_window(const struct mem_region *r, uint64_t first, uint64_t n, void *arg)
{
	struct unused_check *c = arg;
	_Atomic uint64_t *u = bits_of(r, MEM_PAGE_UNPLUGGED), *b = bits_of(r, MEM_PAGE_BALLOONED);
	uint64_t cur_first = 0, cur_n = 0;

	c->covered += n;
	if (c->cur_len && c->cur_gpa < r->gpa + r->size && r->gpa < c->cur_gpa + c->cur_len) {
		uint64_t lo = c->cur_gpa > r->gpa ? c->cur_gpa : r->gpa;
		uint64_t hi = c->cur_gpa + c->cur_len < r->gpa + r->size ? c->cur_gpa + c->cur_len
									 : r->gpa + r->size;
		cur_first = (lo - r->gpa) / MEM_PAGE_SIZE;
		cur_n = (hi - lo) / MEM_PAGE_SIZE;
	}
	for (uint64_t w = first / 64; c->unused && w <= (first + n - 1) / 64; w++) {
		uint64_t m = word_mask(w, first, n);
		uint64_t gone = (u ? atomic_load_explicit(&u[w], memory_order_relaxed) : 0) |
				(b ? atomic_load_explicit(&b[w], memory_order_relaxed) : 0);
		if (cur_n)
			gone |= word_mask(w, cur_first, cur_n);
		if ((gone & m) != m)
			c->unused = false;
	}
}

/* Does the guest use no 4 KiB part of [boff, boff+p) of r's backend (p a
 * multiple of its page)?  Only r is looked at when the span lies inside
 * r's window. */
static bool span_unused(const struct mem_view *v, const struct mem_region *r, uint64_t boff,
			uint64_t p, uint64_t cur_gpa, uint64_t cur_len)
{
	struct unused_check c = {.cur_gpa = cur_gpa, .cur_len = cur_len, .unused = true};

	if (boff >= r->backend_offset && boff + p <= r->backend_offset + r->size)
		check_window(r, (boff - r->backend_offset) / MEM_PAGE_SIZE, p / MEM_PAGE_SIZE, &c);
	else
		for_each_window(v, r->backend, boff, p, check_window, &c);
	return c.unused && c.covered == p / MEM_PAGE_SIZE;
}

static bool backend_page_unused(const struct mem_view *v, const struct mem_region *r, uint64_t boff,
				uint64_t cur_gpa, uint64_t cur_len)
{
	return span_unused(v, r, boff, backend_page(r->backend), cur_gpa, cur_len);
}

/* What a give discards at a time.  Ballooned pages of memory the kernel
 * backs with transparent huge pages go a whole huge page at a time: a
 * discard of 4 KiB parts would split each huge page the guest's 1 MiB
 * requests touch (and the guest's own mapping of it with it), which made
 * a nested inflate of 1.5 GiB take 71 s against 19 s on hugetlb pages.
 * What is left, mem_pages_sweep() discards once the burst is over. */
static uint64_t give_unit(const struct backend *b, unsigned why)
{
	uint64_t p = backend_page(b);

	return why == MEM_PAGE_BALLOONED && b->thp_size > p ? b->thp_size : p;
}

struct mark {
	unsigned bit;
	bool on;
};

static void mark_window(const struct mem_region *r, uint64_t first, uint64_t n, void *arg)
{
	const struct mark *m = arg;

	bits_change(r, m->bit, first, n, m->on);
}

/* Every bitmap a give or take of [gpa, gpa+len) will set exists, or
 * -ENOMEM before anything changed. */
static int prepare_bits(const struct mem_view *v, uint64_t gpa, uint64_t len, unsigned why,
			struct kverr *err)
{
	for (unsigned i = 0; i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];
		bool in_range = gpa < r->gpa + r->size && r->gpa < gpa + len;
		bool shares = false;

		for (unsigned j = 0; j < v->nr_regions && !shares; j++) {
			const struct mem_region *o = v->region[j];
			shares = o->backend == r->backend && gpa < o->gpa + o->size &&
				 o->gpa < gpa + len;
		}
		if ((in_range && !bits_need(r, why)) ||
		    (shares && !bits_need(r, MEM_PAGE_DISCARDED)))
			return kverr_set(err, ENOMEM, "guest pages 0x%llx+0x%llx: out of memory",
					 ull(gpa), ull(len));
	}
	return 0;
}

/* Discard [start, start+len) of b and mark it; adds to *done. */
static int discard_run(struct mem_manager *mm, const struct mem_view *v, struct backend *b,
		       uint64_t start, uint64_t len, uint64_t *done, struct kverr *err)
{
	struct mark m = {.bit = MEM_PAGE_DISCARDED, .on = true};
	int ret;

	if (!len)
		return 0;
	if (!mm->host.discard)
		return kverr_set(err, ENOTSUP, "backend '%s': nothing can discard its pages",
				 b->id);
	ret = mm->host.discard(mm->host.opaque, b, start, len, err);
	if (ret < 0)
		return ret;
	for_each_window(v, b, start, len, mark_window, &m);
	*done += len;
	return 0;
}

int mem_pages_give(struct mem_manager *mm, uint64_t gpa, uint64_t len, unsigned why,
		   uint64_t *discarded, struct kverr *err)
{
	const struct mem_view *v = mem_view_begin(mm);
	uint64_t done = 0, cur_gpa = why == MEM_PAGE_REPORTED ? gpa : 0;
	uint64_t cur_len = why == MEM_PAGE_REPORTED ? len : 0;
	int ret;

	pthread_mutex_lock(&mm->pages_lock);
	ret = check_pages(v, gpa, len, why, err);
	if (!ret)
		ret = prepare_bits(v, gpa, len, why, err);
	for (uint64_t at = gpa; !ret && at < gpa + len;) {
		const struct mem_region *r = mem_view_find(v, at);
		uint64_t off = at - r->gpa;
		uint64_t n = r->size - off < gpa + len - at ? r->size - off : gpa + len - at;
		uint64_t p = give_unit(r->backend, why), run = 0, run_len = 0;
		uint64_t b0 = align_down(r->backend_offset + off, p);

		bits_change(r, why, off / MEM_PAGE_SIZE, n / MEM_PAGE_SIZE, true);
		/* every unit that touches this piece, merged into runs */
		for (uint64_t bo = b0; !ret && bo < r->backend_offset + off + n; bo += p) {
			if (span_unused(v, r, bo, p, cur_gpa, cur_len)) {
				if (!run_len)
					run = bo;
				run_len += p;
				continue;
			}
			ret = discard_run(mm, v, r->backend, run, run_len, &done, err);
			run_len = 0;
		}
		if (!ret)
			ret = discard_run(mm, v, r->backend, run, run_len, &done, err);
		at += n;
	}
	pthread_mutex_unlock(&mm->pages_lock);
	mem_view_end(mm);
	if (discarded)
		*discarded = done;
	return ret;
}

int mem_pages_sweep(struct mem_manager *mm, uint64_t *discarded, struct kverr *err)
{
	const struct mem_view *v = mem_view_begin(mm);
	uint64_t done = 0;
	int ret = 0;

	pthread_mutex_lock(&mm->pages_lock);
	for (unsigned i = 0; !ret && i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];
		_Atomic uint64_t *b = bits_of(r, MEM_PAGE_BALLOONED);
		_Atomic uint64_t *d = bits_of(r, MEM_PAGE_DISCARDED);
		uint64_t p = backend_page(r->backend), run = 0, run_len = 0, next = 0;

		for (uint64_t w = 0; !ret && b && w < words(r->pages->nr); w++) {
			uint64_t bits = atomic_load_explicit(&b[w], memory_order_relaxed);

			if (d)
				bits &= ~atomic_load_explicit(&d[w], memory_order_relaxed);
			while (bits && !ret) {
				uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
				uint64_t bo =
				    align_down(r->backend_offset + page * MEM_PAGE_SIZE, p);

				bits &= bits - 1;
				if (bo < next) /* this backend page was looked at */
					continue;
				next = bo + p;
				if (!backend_page_unused(v, r, bo, 0, 0))
					continue;
				if (run_len && run + run_len == bo) {
					run_len += p;
					continue;
				}
				ret = discard_run(mm, v, r->backend, run, run_len, &done, err);
				run = bo;
				run_len = p;
			}
		}
		if (!ret)
			ret = discard_run(mm, v, r->backend, run, run_len, &done, err);
	}
	pthread_mutex_unlock(&mm->pages_lock);
	mem_view_end(mm);
	if (discarded)
		*discarded = done;
	return ret;
}

int mem_pages_take(struct mem_manager *mm, uint64_t gpa, uint64_t len, unsigned why,
		   struct kverr *err)
{
	const struct mem_view *v = mem_view_begin(mm);
	struct mark m = {.bit = MEM_PAGE_DISCARDED, .on = false};
	int ret;

	pthread_mutex_lock(&mm->pages_lock);
	ret = check_pages(v, gpa, len, why, err);
	for (uint64_t at = gpa; !ret && at < gpa + len;) {
		const struct mem_region *r = mem_view_find(v, at);
		uint64_t off = at - r->gpa;
		uint64_t n = r->size - off < gpa + len - at ? r->size - off : gpa + len - at;
		uint64_t p = backend_page(r->backend);
		uint64_t b0 = align_down(r->backend_offset + off, p);
		uint64_t b1 = align_down(r->backend_offset + off + n + p - 1, p);

		bits_change(r, why, off / MEM_PAGE_SIZE, n / MEM_PAGE_SIZE, false);
		bits_change(r, MEM_PAGE_REPORTED, off / MEM_PAGE_SIZE, n / MEM_PAGE_SIZE, false);
		for_each_window(v, r->backend, b0, b1 - b0, mark_window, &m);
		at += n;
	}
	pthread_mutex_unlock(&mm->pages_lock);
	mem_view_end(mm);
	return ret;
}

void mem_pages_reset(struct mem_manager *mm, unsigned mask)
{
	const struct mem_view *v = mem_view_begin(mm);
	struct mark m = {.bit = MEM_PAGE_DISCARDED, .on = false};

	mask &= (1u << MEM_PAGE_NR_STATES) - 1;
	pthread_mutex_lock(&mm->pages_lock);
	for (unsigned i = 0; i < v->nr_regions; i++)
		for (unsigned bit = 1; bit < 1u << MEM_PAGE_NR_STATES; bit <<= 1)
			if (mask & bit)
				bits_change(v->region[i], bit, 0, v->region[i]->pages->nr, false);
	/* a discarded backend page the guest uses again is not discarded */
	for (unsigned i = 0; i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];
		_Atomic uint64_t *d = bits_of(r, MEM_PAGE_DISCARDED);
		uint64_t p = backend_page(r->backend);

		for (uint64_t w = 0; d && w < words(r->pages->nr); w++) {
			uint64_t bits = atomic_load_explicit(&d[w], memory_order_relaxed);
			while (bits) {
				uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
				uint64_t bo =
				    align_down(r->backend_offset + page * MEM_PAGE_SIZE, p);

				bits &= bits - 1;
				if (!backend_page_unused(v, r, bo, 0, 0))
					for_each_window(v, r->backend, bo, p, mark_window, &m);
			}
		}
	}
	pthread_mutex_unlock(&mm->pages_lock);
	mem_view_end(mm);
}

unsigned mem_pages_state(struct mem_manager *mm, uint64_t gpa)
{
	const struct mem_view *v = mem_view_begin(mm);
	const struct mem_region *r = mem_view_find(v, gpa);
	unsigned state = 0;

	for (unsigned bit = 1; r && bit < 1u << MEM_PAGE_NR_STATES; bit <<= 1)
		if (bit_test(r, bit, (gpa - r->gpa) / MEM_PAGE_SIZE))
			state |= bit;
	mem_view_end(mm);
	return state;
}

uint64_t mem_pages_count(struct mem_manager *mm, unsigned state)
{
	const struct mem_view *v = mem_view_begin(mm);
	uint64_t n = 0;

	if (state && !(state & (state - 1)) && state < 1u << MEM_PAGE_NR_STATES)
		for (unsigned i = 0; i < v->nr_regions; i++)
			n += atomic_load(&v->region[i]->pages->count[state_index(state)]);
	mem_view_end(mm);
	return n;
}

/* Bits of word w of r that have (set) or lack (!set) every bit of mask. */
static uint64_t match_word(const struct mem_region *r, unsigned mask, bool set, uint64_t w)
{
	uint64_t any = 0;

	for (unsigned bit = 1; bit < 1u << MEM_PAGE_NR_STATES; bit <<= 1) {
		_Atomic uint64_t *b = (mask & bit) ? bits_of(r, bit) : NULL;
		if (b)
			any |= atomic_load_explicit(&b[w], memory_order_relaxed);
	}
	return set ? any : ~any;
}

/* First page >= from of r (up to r's last page) whose match is want. */
static uint64_t scan(const struct mem_region *r, unsigned mask, bool set, uint64_t from, bool want)
{
	uint64_t nr = r->pages->nr;

	for (uint64_t w = from / 64; w < words(nr); w++) {
		uint64_t m = match_word(r, mask, set, w);
		if (!want)
			m = ~m;
		m &= word_mask(w, from, nr - from);
		if (m)
			return w * 64 + (uint64_t)__builtin_ctzll(m);
	}
	return nr;
}

int mem_pages_find(struct mem_manager *mm, uint64_t from, unsigned mask, bool set, uint64_t *gpa,
		   uint64_t *len)
{
	const struct mem_view *v = mem_view_begin(mm);
	int ret = -ENOENT;

	pthread_mutex_lock(&mm->pages_lock);
	for (unsigned i = 0; i < v->nr_regions && ret; i++) {
		const struct mem_region *r = v->region[i];
		uint64_t first, end;

		if (r->gpa + r->size <= from)
			continue;
		first = from > r->gpa ? (from - r->gpa) / MEM_PAGE_SIZE : 0;
		first = scan(r, mask, set, first, true);
		if (first == r->pages->nr)
			continue;
		end = scan(r, mask, set, first, false);
		*gpa = r->gpa + first * MEM_PAGE_SIZE;
		*len = (end - first) * MEM_PAGE_SIZE;
		ret = 0;
	}
	pthread_mutex_unlock(&mm->pages_lock);
	mem_view_end(mm);
	return ret;
}
