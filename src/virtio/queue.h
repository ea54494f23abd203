/* queue.h - the split virtqueue (virtio 1.2, 2.7), as every kvmem device
 * uses it: pop a request's buffers, push it back used, decide whether the
 * driver wants an interrupt.
 *
 * Owns: the device's side of one ring (last_avail, used_idx, the event
 * index bookkeeping) and every check of what the driver put in the ring.
 * The driver is hostile: each index, descriptor, length and address is
 * checked before use, through dma.h only.  A malformed ring (an index
 * beyond the queue, a loop, a chain of more than VQ_MAX_SEGS buffers, an
 * address outside guest RAM, a length that overflows, a nested or
 * unnegotiated indirect table, a readable buffer after a writable one)
 * makes the call fail with a message saying what was wrong; the caller puts
 * its device in NEEDS_RESET.  Nothing is ever read or written outside guest
 * RAM, and the queue's own state is left as before the failed call.
 * Never: allocates, locks (the device's worker owns its queues), or raises
 * an interrupt (the transport does).
 */
#ifndef KVMEM_VIRTIO_QUEUE_H
#define KVMEM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "virtio/dma.h"

/* The most buffers one request may have (QEMU allows 1024 too). */
#define VQ_MAX_SEGS 1024

struct vq {
	/* set by the driver through the transport */
	uint16_t size; /* Queue Size: a power of two, 0 = absent */
	bool ready;
	uint64_t desc, avail, used;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	/* the device's side */
	const struct dma_space *dma;
	unsigned index; /* for messages */
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_used_valid;
};

/* One buffer of a request: readable (out) ones come before writable. */
struct vq_seg {
	uint64_t gpa;
	uint32_t len;
};

struct vq_elem {
	uint16_t head; /* the descriptor index to push back */
	unsigned n_out, n_in;
	uint64_t out_len, in_len;	/* bytes in each direction */
	struct vq_seg seg[VQ_MAX_SEGS]; /* [0, n_out) readable, then n_in writable */
};

/* Forget the device's side (queue reset, device reset); keep dma, index. */
void vq_reset(struct vq *q);

/* The driver made the queue ready: check the three ring areas (alignment,
 * wholly in guest RAM) and start from index 0.  -EINVAL with a message. */
int vq_start(struct vq *q, struct kverr *err);

/* Take the next request.  1: *e is filled; 0: the ring is empty (and,
 * with EVENT_IDX, the driver was asked to kick at the next one); < 0:
 * malformed, err says why and nothing was consumed. */
int vq_pop(struct vq *q, struct vq_elem *e, struct kverr *err);

/* Return a request to the driver, len bytes written to its writable
 * buffers.  -EFAULT if the used ring is no longer in guest RAM. */
int vq_push(struct vq *q, uint16_t head, uint32_t len, struct kverr *err);

/* After one or more vq_push: whether the driver asked for an interrupt
 * (its used_event with EVENT_IDX, else VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool vq_should_notify(struct vq *q);

/* Copy between a request's buffers and a host buffer: bytes [off,
 * off+len) of its readable (vq_elem_read) or writable (vq_elem_write)
 * side.  Returns the number of bytes copied (less at the end of the
 * buffers) or -EFAULT. */
long vq_elem_read(const struct vq *q, const struct vq_elem *e, uint64_t off, void *buf,
		  uint64_t len);
long vq_elem_write(const struct vq *q, const struct vq_elem *e, uint64_t off, const void *buf,
		   uint64_t len);

#endif
