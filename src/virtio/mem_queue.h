/* mem_queue.h - virtio-mem's request queue: the requests a driver put in
 * its virtqueue, served one at a time by the device model (virtio/mem.h).
 * Pure: guest memory only through the queue (virtio/queue.h, dma.h).
 * Never: raises an interrupt or resets the device (the transport does,
 * from what this returns).
 */
#ifndef KVMEM_VIRTIO_MEM_QUEUE_H
#define KVMEM_VIRTIO_MEM_QUEUE_H

#include <stdbool.h>

#include "util/err.h"
#include "virtio/mem.h"
#include "virtio/queue.h"

/* Serve q until it is empty or stopping(ctx) says to stop (between two
 * requests; NULL: never): read each request (at most
 * VIRTIO_MEM_REQ_SIZE bytes of its readable buffers), answer it into its
 * writable ones and push it back used.  *pushed counts the answers (the
 * caller interrupts the driver if any).  0, or a negative errno with the
 * reason when the ring or a request is malformed (QEMU's protocol
 * violations): the device needs a reset, and the request is not pushed. */
int vmem_serve_queue(struct vmem *v, struct vq *q, struct vq_elem *e, bool (*stopping)(void *ctx),
		     void *ctx, unsigned *pushed, struct kverr *err);

#endif
