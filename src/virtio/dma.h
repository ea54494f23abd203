/* dma.h - the one door through which virtio queues and devices reach guest
 * memory ("DMA", as QEMU calls device accesses to guest RAM).
 *
 * Owns: nothing but the choice of translation.  Every access names a guest
 * physical range and is refused (-EFAULT) unless the whole range is guest
 * RAM at that moment.  Each call is one read section of the memory manager
 * (mem_view_begin/end): the host pointer it uses lives only inside that
 * call, so a region the manager removes meanwhile is never touched, and
 * nobody outside this file ever holds a host pointer into guest memory.
 * A range may cross adjacent regions (a NUMA node boundary), never a gap.
 * Never: prints, or touches anything outside guest RAM.
 */
#ifndef KVMEM_VIRTIO_DMA_H
#define KVMEM_VIRTIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/manager.h"

struct dma_space {
	struct mem_manager *mm;
};

/* true if [gpa, gpa+len) is wholly guest RAM now (len 0: false).  A later
 * access checks again: the answer may change when memory is unplugged. */
bool dma_check(const struct dma_space *d, uint64_t gpa, uint64_t len);
/* Copy len bytes from/to guest memory: 0 or -EFAULT (nothing copied). */
int dma_read(const struct dma_space *d, uint64_t gpa, void *dst, size_t len);
int dma_write(const struct dma_space *d, uint64_t gpa, const void *src, size_t len);
/* Naturally aligned single loads and stores (the ring indexes the driver
 * reads and writes concurrently): atomic, little-endian. */
int dma_load16(const struct dma_space *d, uint64_t gpa, uint16_t *v);
int dma_store16(const struct dma_space *d, uint64_t gpa, uint16_t v);

#endif
