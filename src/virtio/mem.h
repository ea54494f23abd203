/* mem.h - the virtio-mem device model (virtio 1.2, 5.15), as QEMU 7.2's
 * virtio-mem behaves: the config space, the guest's requests (PLUG,
 * UNPLUG, UNPLUG_ALL, STATE) and their answers, requested-size, and the
 * usable region that follows it.
 *
 * Owns: the device's numbers (block size, node, address, region size,
 * usable region size, plugged size, requested size) and every check of a
 * request against them.  The guest is hostile: a request's address and
 * block count are checked (aligned, inside the usable region, no
 * overflow, every block in the opposite state) before anything changes;
 * a malformed request (too short, no room for the answer, an unknown
 * type) is a protocol violation the caller answers with NEEDS_RESET.
 * Never: keeps which block is plugged, or touches memory.  That is
 * struct vmem_mem_ops' job (the memory manager's per-page state, the
 * backend's discard, prealloc, KVM slots: virtio/mem_blocks.h), so the
 * model is testable without guest memory behind it.
 *
 * Answers, as QEMU 7.2 and the specification give them:
 *   ERROR  the range is not aligned, empty, outside the usable region, or
 *          not wholly in the opposite state (unplug of an unplugged block)
 *   NACK   a plug that would take the plugged size above requested-size
 *   BUSY   the memory could not change now (a failed discard, prealloc
 *          that found no memory, e.g. an exhausted huge-page pool); the
 *          guest retries later (Linux: its retry timer)
 *   ACK    done; STATE answers PLUGGED, UNPLUGGED or MIXED
 *
 * Threads: requests run on the device's worker thread; the config space
 * is read from vCPU threads; requested-size is set and the device reset
 * from the main thread.  The vmem lock guards the numbers and is never
 * held while calling the ops (a discard of gigabytes delays no vCPU);
 * only the worker (or a reset, while the worker is stopped) changes
 * block states, so they cannot change between its check and its change.
 */
#ifndef KVMEM_VIRTIO_MEM_H
#define KVMEM_VIRTIO_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VIRTIO_ID_MEM 24

/* Feature bits (5.15.3) */
#define VIRTIO_MEM_F_ACPI_PXM 0
#define VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE 1

/* Requests, answers and states (5.15.6) */
enum {
	VIRTIO_MEM_REQ_PLUG = 0,
	VIRTIO_MEM_REQ_UNPLUG = 1,
	VIRTIO_MEM_REQ_UNPLUG_ALL = 2,
	VIRTIO_MEM_REQ_STATE = 3,
};
enum {
	VIRTIO_MEM_RESP_ACK = 0,
	VIRTIO_MEM_RESP_NACK = 1,
	VIRTIO_MEM_RESP_BUSY = 2,
	VIRTIO_MEM_RESP_ERROR = 3,
};
enum vmem_state {
	VIRTIO_MEM_STATE_PLUGGED = 0,
	VIRTIO_MEM_STATE_UNPLUGGED = 1,
	VIRTIO_MEM_STATE_MIXED = 2,
};

/* Wire sizes: struct virtio_mem_req (le16 type, 3 x le16 padding, le64
 * addr, le16 nb_blocks, 3 x le16 padding) and struct virtio_mem_resp (le16
 * type, 3 x le16 padding, le16 state). */
#define VIRTIO_MEM_REQ_SIZE 24
#define VIRTIO_MEM_RESP_SIZE 10
/* struct virtio_mem_config: le64 block_size, le16 node_id, 6 bytes
 * padding, le64 addr, region_size, usable_region_size, plugged_size,
 * requested_size. */
#define VIRTIO_MEM_CONFIG_SIZE 56

/* The smallest block QEMU allows (keeps the block bitmap small). */
#define VIRTIO_MEM_MIN_BLOCK_SIZE (1ULL << 20)
/* How far the usable region reaches past requested-size (QEMU on x86:
 * two 128 MiB memory sections, so Linux can add whole memory blocks). */
#define VIRTIO_MEM_USABLE_EXTENT (256ULL << 20)

/* The memory behind the device.  offset and size are whole blocks inside
 * the region (the model checked them).  Worker thread, or main thread at
 * reset; never with the vmem lock held. */
struct vmem_mem_ops {
	void *ctx;
	/* Make [offset, +size), every block of it unplugged now, usable by the
	 * guest (populated first with prealloc, mapped).  On failure nothing
	 * changed: the model answers BUSY. */
	int (*plug)(void *ctx, uint64_t offset, uint64_t size, struct kverr *err);
	/* Take [offset, +size) away from the guest and give it back to the
	 * host.  Blocks of it may already be unplugged (UNPLUG_ALL, reset).
	 * On failure nothing changed (the model answers BUSY): what was
	 * plugged is plugged, what was unplugged stays so. */
	int (*unplug)(void *ctx, uint64_t offset, uint64_t size, struct kverr *err);
	/* A reset: every block unplugged, whatever a discard answers (the
	 * failure is returned, the blocks stay unplugged).  Optional: without
	 * it, unplug of the whole region. */
	int (*reset)(void *ctx, struct kverr *err);
	/* Whether [offset, +size) is plugged, unplugged or both. */
	enum vmem_state (*state)(void *ctx, uint64_t offset, uint64_t size);
	/* The plugged size changed (QMP's MEMORY_DEVICE_SIZE_CHANGE): worker
	 * or main thread, the callee defers to its loop.  Optional. */
	void (*size_changed)(void *ctx, uint64_t plugged);
	/* The config space changed (requested-size): tell the driver (config
	 * interrupt).  Main thread.  Optional. */
	void (*config_changed)(void *ctx);
};

/* What realize decided (plan/vmem.h checked it). */
struct vmem_params {
	uint64_t block_size;	 /* a power of two >= 1 MiB */
	uint64_t addr;		 /* guest physical, block-aligned */
	uint64_t region_size;	 /* the backend's size, whole blocks */
	uint64_t requested_size; /* whole blocks, may exceed region_size (QEMU) */
	uint16_t node;
	bool unplugged_inaccessible; /* offer VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE */
	bool acpi_pxm;		     /* offer VIRTIO_MEM_F_ACPI_PXM (NUMA) */
};

struct vmem {
	pthread_mutex_t lock;
	struct vmem_mem_ops mem;
	uint64_t block_size, addr, region_size;
	uint16_t node;
	uint64_t features; /* device-specific bits offered */
	/* under lock */
	uint64_t usable_region_size;
	uint64_t plugged_size;
	uint64_t requested_size;
	/* for messages and tests: the last failure of the ops */
	struct kverr last_err;
};

/* Set the device up with every block unplugged (the caller's memory is
 * unplugged already).  -EINVAL with a message if p is inconsistent. */
int vmem_init(struct vmem *v, const struct vmem_params *p, const struct vmem_mem_ops *ops,
	      struct kverr *err);
void vmem_destroy(struct vmem *v);

/* Bytes [off, off+len) of the config space, little-endian (beyond its end:
 * zeros).  vCPU thread. */
void vmem_config_read(struct vmem *v, uint32_t off, uint8_t *data, unsigned len);

/* The driver refuses VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE although it was
 * offered: false, FEATURES_OK refused (QEMU's validate_features). */
bool vmem_features_ok(const struct vmem *v, uint64_t driver_features);

/* One request: req_len bytes of the guest's request; resp_room bytes of
 * room for the answer.  0 and the answer in resp[0, VIRTIO_MEM_RESP_SIZE)
 * (*resp_len), or a protocol violation: -EPROTO with QEMU's message and
 * nothing changed.  Worker thread. */
int vmem_handle_request(struct vmem *v, const uint8_t *req, size_t req_len, size_t resp_room,
			uint8_t resp[VIRTIO_MEM_RESP_SIZE], size_t *resp_len, struct kverr *err);

/* qom-set requested-size while the device runs: QEMU 7.2's checks and
 * messages (a multiple of the block size, at most the region size); the
 * usable region grows to cover it (it never shrinks here), and the driver
 * is told even if the value did not change, as QEMU does.  Main thread. */
int vmem_set_requested_size(struct vmem *v, uint64_t size, struct kverr *err);

/* A machine reset: unplug every block (the specification: after a reset
 * nothing is plugged) and size the usable region for requested-size
 * again.  The worker is stopped.  Returns the ops' error, if any. */
int vmem_reset(struct vmem *v, struct kverr *err);

struct vmem_info {
	uint64_t block_size, addr, region_size, usable_region_size, plugged_size, requested_size;
	uint16_t node;
};
void vmem_get_info(struct vmem *v, struct vmem_info *out);

#endif
