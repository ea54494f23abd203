/* dma.h - the one door through which virtio queues and devices reach guest
 * memory ("DMA", as QEMU calls device accesses to guest RAM).
 *
 * Owns: nothing but the choice of translation.  Every access names a guest
 * physical range and is refused (-EFAULT) unless the whole range is guest
 * RAM; nobody outside this file keeps a host pointer into guest memory.
 * Today it reads the fixed map of mem/guest_mem.h; the run-time memory
 * manager takes its place here, and only here.
 * Never: prints, or touches anything outside guest RAM.
 */
#ifndef KVMEM_VIRTIO_DMA_H
#define KVMEM_VIRTIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"

struct dma_space {
	const struct guest_mem *gm;
};

/* true if [gpa, gpa+len) is wholly guest RAM (len 0: false) */
bool dma_check(const struct dma_space *d, uint64_t gpa, uint64_t len);
/* Copy len bytes from/to guest memory: 0 or -EFAULT (nothing copied). */
int dma_read(const struct dma_space *d, uint64_t gpa, void *dst, size_t len);
int dma_write(const struct dma_space *d, uint64_t gpa, const void *src, size_t len);
/* Naturally aligned single loads and stores (the ring indexes the driver
 * reads and writes concurrently): atomic, little-endian. */
int dma_load16(const struct dma_space *d, uint64_t gpa, uint16_t *v);
int dma_store16(const struct dma_space *d, uint64_t gpa, uint16_t v);

#endif
