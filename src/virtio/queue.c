/* queue.c - the split virtqueue, device side (see queue.h).
 *
 * Ring layout (virtio 1.2, 2.7):
 *   desc   16 bytes each: addr u64, len u32, flags u16, next u16
 *   avail  flags u16, idx u16, ring[size] u16, used_event u16
 *   used   flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16
 * All little-endian (x86 hosts only).  The driver writes avail and reads
 * used concurrently, so the indexes are loaded and stored atomically with
 * the barriers the spec's memory model asks for (2.7.13).
 */
#include "virtio/queue.h"

#include <string.h>

#include "virtio/virtio.h"

#define AVAIL_IDX(q) ((q)->avail + 2)
#define AVAIL_RING(q, i) ((q)->avail + 4 + 2 * (uint64_t)(i))
#define USED_EVENT(q) ((q)->avail + 4 + 2 * (uint64_t)(q)->size)
#define USED_IDX(q) ((q)->used + 2)
#define USED_RING(q, i) ((q)->used + 4 + 8 * (uint64_t)(i))
#define AVAIL_EVENT(q) ((q)->used + 4 + 8 * (uint64_t)(q)->size)

void vq_reset(struct vq *q)
{
	const struct dma_space *dma = q->dma;
	unsigned index = q->index;

	memset(q, 0, sizeof(*q));
	q->dma = dma;
	q->index = index;
}

static int ring_error(const struct vq *q, struct kverr *err, const char *what, uint64_t addr,
		      uint64_t len)
{
	return kverr_set(err, EINVAL, "virtqueue %u: %s [0x%llx, +0x%llx) is not in guest RAM",
			 q->index, what, (unsigned long long)addr, (unsigned long long)len);
}

int vq_start(struct vq *q, struct kverr *err)
{
	uint64_t n = q->size;

	if (!n || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return kverr_set(err, EINVAL,
				 "virtqueue %u: size %u is not a power of two up to %u", q->index,
				 q->size, VIRTQ_MAX_SIZE);
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		return kverr_set(err, EINVAL,
				 "virtqueue %u: rings at 0x%llx, 0x%llx, 0x%llx are not aligned to "
				 "16, 2, 4",
				 q->index, (unsigned long long)q->desc,
				 (unsigned long long)q->avail, (unsigned long long)q->used);
	if (!dma_check(q->dma, q->desc, VIRTQ_DESC_SIZE * n))
		return ring_error(q, err, "descriptor table", q->desc, VIRTQ_DESC_SIZE * n);
	if (!dma_check(q->dma, q->avail, 6 + 2 * n))
		return ring_error(q, err, "available ring", q->avail, 6 + 2 * n);
	if (!dma_check(q->dma, q->used, 6 + VIRTQ_USED_ELEM_SIZE * n))
		return ring_error(q, err, "used ring", q->used, 6 + VIRTQ_USED_ELEM_SIZE * n);
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_used_valid = false;
	return 0;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static int read_desc(const struct vq *q, uint64_t table, unsigned i, struct desc *d,
		     struct kverr *err)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	if (dma_read(q->dma, table + (uint64_t)VIRTQ_DESC_SIZE * i, b, sizeof(b)))
		return ring_error(q, err, "descriptor", table + (uint64_t)VIRTQ_DESC_SIZE * i,
				  VIRTQ_DESC_SIZE);
	memcpy(&d->addr, b, 8);
	memcpy(&d->len, b + 8, 4);
	memcpy(&d->flags, b + 12, 2);
	memcpy(&d->next, b + 14, 2);
	return 0;
}

/* Follow the chain that starts at head into e. */
static int walk_chain(const struct vq *q, uint16_t head, struct vq_elem *e, struct kverr *err)
{
	uint64_t table = q->desc;
	unsigned max = q->size, count = 0, i = head;
	bool indirect = false;
	struct desc d = {0};
	int ret;

	e->head = head;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		if (++count > max)
			return kverr_set(
			    err, EINVAL,
			    "virtqueue %u: the chain at descriptor %u loops or is longer "
			    "than its %s (%u)",
			    q->index, head, indirect ? "indirect table" : "queue", max);
		if ((ret = read_desc(q, table, i, &d, err)))
			return ret;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return kverr_set(err, EINVAL,
						 "virtqueue %u: descriptor %u is indirect, but "
						 "VIRTIO_RING_F_INDIRECT_DESC was not negotiated",
						 q->index, i);
			if (indirect)
				return kverr_set(err, EINVAL,
						 "virtqueue %u: indirect descriptor %u inside an "
						 "indirect table",
						 q->index, i);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return kverr_set(err, EINVAL,
						 "virtqueue %u: descriptor %u is both INDIRECT and "
						 "NEXT",
						 q->index, i);
			if (!d.len || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VQ_MAX_SEGS)
				return kverr_set(err, EINVAL,
						 "virtqueue %u: indirect table of %u bytes (want a "
						 "multiple of 16, at most %u descriptors)",
						 q->index, d.len, VQ_MAX_SEGS);
			if (!dma_check(q->dma, d.addr, d.len))
				return ring_error(q, err, "indirect table", d.addr, d.len);
			table = d.addr;
			max = d.len / VIRTQ_DESC_SIZE;
			count = 0;
			i = 0;
			indirect = true;
			continue;
		}
		if (d.len) {
			if (!dma_check(q->dma, d.addr, d.len))
				return ring_error(q, err, "buffer", d.addr, d.len);
			if (e->n_out + e->n_in == VQ_MAX_SEGS)
				return kverr_set(
				    err, EINVAL,
				    "virtqueue %u: the chain at descriptor %u has more "
				    "than %u buffers",
				    q->index, head, VQ_MAX_SEGS);
			if (d.flags & VIRTQ_DESC_F_WRITE) {
				e->in_len += d.len;
				e->n_in++;
			} else {
				if (e->n_in)
					return kverr_set(err, EINVAL,
							 "virtqueue %u: readable descriptor %u "
							 "after a writable one",
							 q->index, i);
				e->out_len += d.len;
				e->n_out++;
			}
			e->seg[e->n_out + e->n_in - 1] = (struct vq_seg){d.addr, d.len};
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= max)
			return kverr_set(err, EINVAL,
					 "virtqueue %u: descriptor %u's next is %u, beyond its %s "
					 "(%u)",
					 q->index, i, d.next, indirect ? "indirect table" : "queue",
					 max);
		i = d.next;
	}
}

int vq_pop(struct vq *q, struct vq_elem *e, struct kverr *err)
{
	uint16_t avail_idx, head;
	int ret;

	if (!q->ready || !q->size)
		return 0;
	if (dma_load16(q->dma, AVAIL_IDX(q), &avail_idx))
		return ring_error(q, err, "available ring", q->avail, 4);
	if (avail_idx == q->last_avail) {
		if (!q->event_idx)
			return 0;
		/* ask for a kick at the next request, then look again so that
		 * one added meanwhile is not left waiting for a kick */
		if (dma_store16(q->dma, AVAIL_EVENT(q), q->last_avail))
			return ring_error(q, err, "used ring", q->used, 6 + 8 * (uint64_t)q->size);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (dma_load16(q->dma, AVAIL_IDX(q), &avail_idx))
			return ring_error(q, err, "available ring", q->avail, 4);
		if (avail_idx == q->last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return kverr_set(err, EINVAL,
				 "virtqueue %u: available index %u is %u ahead of the device's "
				 "%u, more than the queue size %u",
				 q->index, avail_idx, (uint16_t)(avail_idx - q->last_avail),
				 q->last_avail, q->size);
	/* the ring entry is read after the index that published it */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (dma_load16(q->dma, AVAIL_RING(q, q->last_avail % q->size), &head))
		return ring_error(q, err, "available ring", q->avail, 6 + 2 * (uint64_t)q->size);
	if (head >= q->size)
		return kverr_set(
		    err, EINVAL,
		    "virtqueue %u: available ring entry %u names descriptor %u, beyond "
		    "the queue size %u",
		    q->index, q->last_avail % q->size, head, q->size);
	if ((ret = walk_chain(q, head, e, err)))
		return ret;
	q->last_avail++;
	if (q->event_idx && dma_store16(q->dma, AVAIL_EVENT(q), q->last_avail))
		return ring_error(q, err, "used ring", q->used, 6 + 8 * (uint64_t)q->size);
	return 1;
}

int vq_push(struct vq *q, uint16_t head, uint32_t len, struct kverr *err)
{
	uint8_t b[VIRTQ_USED_ELEM_SIZE];
	uint32_t id = head;

	if (!q->size)
		return kverr_set(err, EINVAL, "virtqueue %u: push to a queue without size",
				 q->index);
	memcpy(b, &id, 4);
	memcpy(b + 4, &len, 4);
	if (dma_write(q->dma, USED_RING(q, q->used_idx % q->size), b, sizeof(b)))
		return ring_error(q, err, "used ring", q->used, 6 + 8 * (uint64_t)q->size);
	/* the entry is visible before the index that publishes it */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (dma_store16(q->dma, USED_IDX(q), (uint16_t)(q->used_idx + 1)))
		return ring_error(q, err, "used ring", q->used, 4);
	q->used_idx++;
	return 0;
}

/* virtio 1.2, 2.7.10: notify if new_idx passed event_idx since old. */
static bool need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

bool vq_should_notify(struct vq *q)
{
	uint16_t v, old, now;
	bool valid;

	if (!q->size)
		return false;
	/* our used index is published before we read what the driver wants */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return dma_load16(q->dma, q->avail, &v) || !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
	valid = q->signalled_used_valid;
	old = q->signalled_used;
	now = q->used_idx;
	q->signalled_used_valid = true;
	q->signalled_used = now;
	if (dma_load16(q->dma, USED_EVENT(q), &v))
		return true;
	return !valid || need_event(v, now, old);
}

static long elem_copy(const struct vq *q, const struct vq_elem *e, bool write, uint64_t off,
		      void *buf, uint64_t len)
{
	unsigned first = write ? e->n_out : 0, n = write ? e->n_in : e->n_out;
	uint64_t done = 0;

	for (unsigned s = first; s < first + n && done < len; s++) {
		const struct vq_seg *seg = &e->seg[s];
		uint64_t chunk;
		int ret;

		if (off >= seg->len) {
			off -= seg->len;
			continue;
		}
		chunk = seg->len - off;
		if (chunk > len - done)
			chunk = len - done;
		ret = write ? dma_write(q->dma, seg->gpa + off, (uint8_t *)buf + done, chunk)
			    : dma_read(q->dma, seg->gpa + off, (uint8_t *)buf + done, chunk);
		if (ret)
			return ret;
		done += chunk;
		off = 0;
	}
	return (long)done;
}

long vq_elem_read(const struct vq *q, const struct vq_elem *e, uint64_t off, void *buf,
		  uint64_t len)
{
	return elem_copy(q, e, false, off, buf, len);
}

long vq_elem_write(const struct vq *q, const struct vq_elem *e, uint64_t off, const void *buf,
		   uint64_t len)
{
	return elem_copy(q, e, true, off, (void *)buf, len);
}
