/* mem.c - the virtio-mem device model; see mem.h.
 *
 * The order of the checks of a PLUG or UNPLUG is QEMU's
 * (virtio_mem_state_change_request): the range first (ERROR), then the
 * requested size (NACK, plug only), then the blocks' state (ERROR), then
 * the memory (BUSY).  Every sum is checked: nb_blocks * block_size and
 * addr + size never wrap.
 */
#include "virtio/mem.h"

#include <string.h>

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint16_t le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static bool power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* QEMU's virtio_mem_resize_usable_region: requested-size plus the extent,
 * at most the region, in whole blocks; 0 when nothing is requested. */
static uint64_t usable_for(const struct vmem *v, uint64_t requested)
{
	uint64_t size = v->region_size;

	if (!requested)
		return 0;
	/* requested-size may exceed the region (QEMU accepts it at start) */
	if (requested < v->region_size && v->region_size - requested > VIRTIO_MEM_USABLE_EXTENT)
		size = requested + VIRTIO_MEM_USABLE_EXTENT;
	/* region_size is whole blocks, so rounding up stays inside it */
	return (size + v->block_size - 1) / v->block_size * v->block_size;
}

int vmem_init(struct vmem *v, const struct vmem_params *p, const struct vmem_mem_ops *ops,
	      struct kverr *err)
{
	if (!power_of_two(p->block_size) || p->block_size < VIRTIO_MEM_MIN_BLOCK_SIZE)
		return kverr_set(err, EINVAL,
				 "virtio-mem: block size 0x%llx is not a power of two "
				 "of at least 1 MiB",
				 (unsigned long long)p->block_size);
	if (!p->region_size || p->region_size % p->block_size || p->addr % p->block_size ||
	    p->requested_size % p->block_size || p->addr + p->region_size < p->addr)
		return kverr_set(err, EINVAL,
				 "virtio-mem: region [0x%llx, +0x%llx) or requested size 0x%llx "
				 "not in whole blocks of 0x%llx",
				 (unsigned long long)p->addr, (unsigned long long)p->region_size,
				 (unsigned long long)p->requested_size,
				 (unsigned long long)p->block_size);
	if (!ops || !ops->plug || !ops->unplug || !ops->state)
		return kverr_set(err, EINVAL, "virtio-mem: no memory behind the device");
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	v->mem = *ops;
	v->block_size = p->block_size;
	v->addr = p->addr;
	v->region_size = p->region_size;
	v->node = p->node;
	v->requested_size = p->requested_size;
	v->usable_region_size = usable_for(v, p->requested_size);
	if (p->acpi_pxm)
		v->features |= 1ULL << VIRTIO_MEM_F_ACPI_PXM;
	if (p->unplugged_inaccessible)
		v->features |= 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE;
	return 0;
}

void vmem_destroy(struct vmem *v)
{
	pthread_mutex_destroy(&v->lock);
}

void vmem_config_read(struct vmem *v, uint32_t off, uint8_t *data, unsigned len)
{
	uint8_t cfg[VIRTIO_MEM_CONFIG_SIZE] = {0};

	pthread_mutex_lock(&v->lock);
	put_le64(cfg + 0, v->block_size);
	put_le16(cfg + 8, v->node);
	put_le64(cfg + 16, v->addr);
	put_le64(cfg + 24, v->region_size);
	put_le64(cfg + 32, v->usable_region_size);
	put_le64(cfg + 40, v->plugged_size);
	put_le64(cfg + 48, v->requested_size);
	pthread_mutex_unlock(&v->lock);
	for (unsigned i = 0; i < len; i++)
		data[i] = (uint64_t)off + i < VIRTIO_MEM_CONFIG_SIZE ? cfg[off + i] : 0;
}

bool vmem_features_ok(const struct vmem *v, uint64_t driver_features)
{
	const uint64_t ui = 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE;

	return !(v->features & ui) || (driver_features & ui);
}

/* QEMU's virtio_mem_valid_range, against the usable region now. */
static bool valid_range(struct vmem *v, uint64_t gpa, uint16_t nb_blocks, uint64_t *size)
{
	uint64_t usable;

	/* block_size <= region_size, and 65535 blocks of it fit in 64 bits
	 * unless the region is larger than 2^48: check anyway */
	if (!nb_blocks || v->block_size > UINT64_MAX / nb_blocks)
		return false;
	*size = nb_blocks * v->block_size;
	if (gpa % v->block_size || gpa + *size < gpa || gpa < v->addr)
		return false;
	pthread_mutex_lock(&v->lock);
	usable = v->usable_region_size;
	pthread_mutex_unlock(&v->lock);
	return gpa - v->addr < usable && *size <= usable - (gpa - v->addr);
}

static void size_changed(struct vmem *v, uint64_t plugged)
{
	if (v->mem.size_changed)
		v->mem.size_changed(v->mem.ctx, plugged);
}

static uint16_t change(struct vmem *v, uint64_t gpa, uint16_t nb_blocks, bool plug)
{
	uint64_t size, offset, plugged;
	enum vmem_state want = plug ? VIRTIO_MEM_STATE_UNPLUGGED : VIRTIO_MEM_STATE_PLUGGED;
	int ret;

	if (!valid_range(v, gpa, nb_blocks, &size))
		return VIRTIO_MEM_RESP_ERROR;
	offset = gpa - v->addr;
	if (plug) {
		bool over;

		pthread_mutex_lock(&v->lock);
		over = v->plugged_size + size > v->requested_size;
		pthread_mutex_unlock(&v->lock);
		if (over)
			return VIRTIO_MEM_RESP_NACK;
	}
	if (v->mem.state(v->mem.ctx, offset, size) != want)
		return VIRTIO_MEM_RESP_ERROR;
	ret = plug ? v->mem.plug(v->mem.ctx, offset, size, &v->last_err)
		   : v->mem.unplug(v->mem.ctx, offset, size, &v->last_err);
	if (ret)
		return VIRTIO_MEM_RESP_BUSY;
	pthread_mutex_lock(&v->lock);
	v->plugged_size = plug ? v->plugged_size + size : v->plugged_size - size;
	plugged = v->plugged_size;
	pthread_mutex_unlock(&v->lock);
	size_changed(v, plugged);
	return VIRTIO_MEM_RESP_ACK;
}

/* QEMU's virtio_mem_unplug_all: everything goes, then the usable region
 * may shrink to what requested-size needs. */
static int unplug_all(struct vmem *v, struct kverr *err)
{
	uint64_t plugged;
	int ret;

	pthread_mutex_lock(&v->lock);
	plugged = v->plugged_size;
	pthread_mutex_unlock(&v->lock);
	if (plugged) {
		ret = v->mem.unplug(v->mem.ctx, 0, v->region_size, err);
		if (ret)
			return ret;
	}
	pthread_mutex_lock(&v->lock);
	v->plugged_size = 0;
	v->usable_region_size = usable_for(v, v->requested_size);
	pthread_mutex_unlock(&v->lock);
	if (plugged)
		size_changed(v, 0);
	return 0;
}

int vmem_handle_request(struct vmem *v, const uint8_t *req, size_t req_len, size_t resp_room,
			uint8_t resp[VIRTIO_MEM_RESP_SIZE], size_t *resp_len, struct kverr *err)
{
	uint16_t type, answer, nb_blocks;
	uint64_t gpa, size;

	if (req_len < VIRTIO_MEM_REQ_SIZE)
		return kverr_set(err, EPROTO,
				 "virtio-mem protocol violation: invalid request size: %d",
				 VIRTIO_MEM_REQ_SIZE);
	if (resp_room < VIRTIO_MEM_RESP_SIZE)
		return kverr_set(
		    err, EPROTO,
		    "virtio-mem protocol violation: not enough space for response: %zu", resp_room);
	type = le16_at(req);
	gpa = le64_at(req + 8);
	nb_blocks = le16_at(req + 16);
	memset(resp, 0, VIRTIO_MEM_RESP_SIZE);
	switch (type) {
	case VIRTIO_MEM_REQ_PLUG:
	case VIRTIO_MEM_REQ_UNPLUG:
		answer = change(v, gpa, nb_blocks, type == VIRTIO_MEM_REQ_PLUG);
		break;
	case VIRTIO_MEM_REQ_UNPLUG_ALL:
		answer = unplug_all(v, &v->last_err) ? VIRTIO_MEM_RESP_BUSY : VIRTIO_MEM_RESP_ACK;
		break;
	case VIRTIO_MEM_REQ_STATE:
		if (!valid_range(v, gpa, nb_blocks, &size)) {
			answer = VIRTIO_MEM_RESP_ERROR;
			break;
		}
		answer = VIRTIO_MEM_RESP_ACK;
		put_le16(resp + 8, (uint16_t)v->mem.state(v->mem.ctx, gpa - v->addr, size));
		break;
	default:
		return kverr_set(err, EPROTO,
				 "virtio-mem protocol violation: unknown request type: %d", type);
	}
	put_le16(resp, answer);
	*resp_len = VIRTIO_MEM_RESP_SIZE;
	return 0;
}

int vmem_set_requested_size(struct vmem *v, uint64_t size, struct kverr *err)
{
	uint64_t usable;

	if (size % v->block_size)
		return kverr_set(err, EINVAL,
				 "'requested-size' has to be multiples of 'block-size' "
				 "(0x%llx)",
				 (unsigned long long)v->block_size);
	if (size > v->region_size)
		return kverr_set(err, EINVAL,
				 "'requested-size' cannot exceed the memory backend size(0x%llx)",
				 (unsigned long long)v->region_size);
	pthread_mutex_lock(&v->lock);
	if (size != v->requested_size) {
		/* QEMU never shrinks the usable region here: blocks plugged
		 * beyond the new end may still be unplugged by the guest */
		usable = usable_for(v, size);
		if (usable > v->usable_region_size)
			v->usable_region_size = usable;
		v->requested_size = size;
	}
	pthread_mutex_unlock(&v->lock);
	if (v->mem.config_changed)
		v->mem.config_changed(v->mem.ctx);
	return 0;
}

int vmem_reset(struct vmem *v, struct kverr *err)
{
	uint64_t plugged;
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	plugged = v->plugged_size;
	pthread_mutex_unlock(&v->lock);
	/* whatever the count says, every block goes: a block plugged by a
	 * request whose answer the reset overtook is unplugged too */
	ret = v->mem.reset ? v->mem.reset(v->mem.ctx, err)
			   : v->mem.unplug(v->mem.ctx, 0, v->region_size, err);
	pthread_mutex_lock(&v->lock);
	v->plugged_size = 0;
	v->usable_region_size = usable_for(v, v->requested_size);
	pthread_mutex_unlock(&v->lock);
	if (plugged)
		size_changed(v, 0);
	return ret;
}

void vmem_get_info(struct vmem *v, struct vmem_info *out)
{
	pthread_mutex_lock(&v->lock);
	*out = (struct vmem_info){
	    .block_size = v->block_size,
	    .addr = v->addr,
	    .region_size = v->region_size,
	    .usable_region_size = v->usable_region_size,
	    .plugged_size = v->plugged_size,
	    .requested_size = v->requested_size,
	    .node = v->node,
	};
	pthread_mutex_unlock(&v->lock);
}
