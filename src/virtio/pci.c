/* pci.c - the virtio 1.x PCI transport and the device worker (see pci.h).
 *
 * Config space, as QEMU 7.2 builds it for a modern device: vendor
 * capabilities at 0x40 (common), 0x50 (ISR), 0x60 (device), 0x70
 * (notify), 0x84 (PCI config access), then MSI-X at 0x98, the list
 * starting at the last one.  BAR4 holds the four regions 4 KiB apart,
 * BAR1 the MSI-X table (16 bytes a vector) and at 0x800 its PBA.
 */
#include "virtio/pci.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/virtio.h"

/* PCI capability ids and virtio's cfg_type values (4.1.4) */
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5
/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, pad[2],
 * offset le32, length le32 */
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_PCI_CFG_DATA 16

/* MSI-X capability and table (PCI 3.0, 6.8.2) */
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_MASKED 1

/* Common configuration (4.1.4.3) */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_NUMQ 0x12
#define COMMON_STATUS 0x14
#define COMMON_CFGGENERATION 0x15
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESCLO 0x20
#define COMMON_Q_DESCHI 0x24
#define COMMON_Q_AVAILLO 0x28
#define COMMON_Q_AVAILHI 0x2c
#define COMMON_Q_USEDLO 0x30
#define COMMON_Q_USEDHI 0x34

/* Features every kvmem virtio device offers beside its own. */
#define TRANSPORT_FEATURES                                                                         \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC |                        \
	 1ULL << VIRTIO_RING_F_EVENT_IDX)

static uint64_t le(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, an event is pending anyway */
	}
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

static uint64_t offered(const struct virtio_pci *vp)
{
	return vp->ops->features | TRANSPORT_FEATURES;
}

/* ---- interrupts (lock held) ---- */

static bool vector_masked(const struct virtio_pci *vp, unsigned v)
{
	return vp->msix_masked || (vp->msix_table[16 * v + MSIX_ENTRY_CTRL] & MSIX_ENTRY_MASKED);
}

static void msix_bind(struct virtio_pci *vp, unsigned v)
{
	const uint8_t *e = vp->msix_table + 16 * v;
	struct kverr err = {{0}};

	if (!vp->vm_attached || !vp->msix_enabled)
		return;
	if (vp->vm.msi_bind(vp->vm.ctx, vp->vector_fd[v], le(e, 8), (uint32_t)le(e + 8, 4), &err))
		log_ratelimited(&vp->rl, "%s: MSI-X vector %u: %s", vp->name, v, err.msg);
	else
		vp->vector_bound[v] = true;
}

static void msix_unbind_all(struct virtio_pci *vp)
{
	for (unsigned v = 0; v < vp->nvectors; v++) {
		if (vp->vector_bound[v] && vp->vm_attached)
			vp->vm.msi_unbind(vp->vm.ctx, vp->vector_fd[v]);
		vp->vector_bound[v] = false;
	}
}

static void fire_vector(struct virtio_pci *vp, uint16_t v)
{
	if (v == VIRTIO_MSI_NO_VECTOR || v >= vp->nvectors)
		return;
	if (vector_masked(vp, v)) {
		vp->msix_pending |= 1u << v;
		return;
	}
	signal_fd(vp->vector_fd[v]);
}

/* Deliver what became unmasked and was pending. */
static void fire_pending(struct virtio_pci *vp)
{
	for (unsigned v = 0; v < vp->nvectors; v++) {
		if (!(vp->msix_pending & (1u << v)) || vector_masked(vp, v))
			continue;
		vp->msix_pending &= ~(1u << v);
		signal_fd(vp->vector_fd[v]);
	}
}

static void interrupt(struct virtio_pci *vp, uint8_t isr_bit, uint16_t vector)
{
	vp->isr |= isr_bit;
	if (vp->msix_enabled)
		fire_vector(vp, vector);
	else if (!vp->intx_disabled)
		signal_fd(vp->intx_fd); /* held until EOI; resampled below */
}

/* ---- the device's state machine (lock held) ---- */

static void do_reset(struct virtio_pci *vp)
{
	atomic_store(&vp->reset_pending, true);
	signal_fd(vp->ctl_fd);
	while (vp->busy)
		pthread_cond_wait(&vp->idle, &vp->lock);
	vp->ops->reset(vp->dev);
	vp->status = 0;
	vp->isr = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = vp->features = 0;
	vp->queue_select = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		vq_reset(&vp->vq[q]);
		vp->vq[q].size = q < vp->ops->nr_queues ? vp->ops->queue_size : 0;
		vp->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
		drain_fd(vp->kick_fd[q]);
	}
	atomic_store(&vp->reset_pending, false);
}

static bool running(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->status & VIRTIO_STATUS_NEEDS_RESET) && !atomic_load(&vp->reset_pending);
}

static void fail_locked(struct virtio_pci *vp, const char *msg)
{
	bool first = !(vp->status & VIRTIO_STATUS_NEEDS_RESET);

	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (first && (vp->status & VIRTIO_STATUS_DRIVER_OK)) {
		vp->generation++;
		interrupt(vp, VIRTIO_ISR_CONFIG, vp->config_vector);
	}
	log_ratelimited(&vp->rl, "%s: %s; the device needs a reset", vp->name, msg);
}

static void write_status(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = vp->status;

	if (!val) {
		do_reset(vp);
		return;
	}
	vp->status =
	    (uint8_t)((val & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t f = vp->driver_features;
		bool ok = !(f & ~offered(vp)) && (f & (1ULL << VIRTIO_F_VERSION_1)) &&
			  (!vp->ops->set_features || vp->ops->set_features(vp->dev, f));

		/* refused: FEATURES_OK does not stick and the driver gives up */
		if (!ok) {
			vp->status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		} else {
			vp->features = f;
			for (unsigned q = 0; q < vp->ops->nr_queues; q++) {
				vp->vq[q].event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
				vp->vq[q].indirect = f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
			}
		}
	}
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (vp->ops->driver_ok)
			vp->ops->driver_ok(vp->dev);
		/* buffers the driver queued before DRIVER_OK wait for no kick */
		for (unsigned q = 0; q < vp->ops->nr_queues; q++)
			if (vp->vq[q].ready)
				signal_fd(vp->kick_fd[q]);
	}
}

static struct vq *selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->nr_queues ? &vp->vq[vp->queue_select] : NULL;
}

static void enable_queue(struct virtio_pci *vp, struct vq *q)
{
	struct kverr err = {{0}};

	if (q->ready)
		return;
	if (vq_start(q, &err)) {
		fail_locked(vp, err.msg);
		return;
	}
	q->ready = true;
}

static uint64_t common_read(struct virtio_pci *vp, uint32_t off)
{
	struct vq *q = selected(vp);

	switch (off) {
	case COMMON_DFSELECT:
		return vp->dfselect;
	case COMMON_DF:
		return vp->dfselect < 2 ? (uint32_t)(offered(vp) >> (32 * vp->dfselect)) : 0;
	case COMMON_GFSELECT:
		return vp->gfselect;
	case COMMON_GF:
		return vp->gfselect < 2 ? (uint32_t)(vp->driver_features >> (32 * vp->gfselect))
					: 0;
	case COMMON_MSIX:
		return vp->config_vector;
	case COMMON_NUMQ:
		return vp->ops->nr_queues;
	case COMMON_STATUS:
		return vp->status;
	case COMMON_CFGGENERATION:
		return vp->generation;
	case COMMON_Q_SELECT:
		return vp->queue_select;
	case COMMON_Q_SIZE:
		return q ? q->size : 0;
	case COMMON_Q_MSIX:
		return q ? vp->queue_vector[vp->queue_select] : VIRTIO_MSI_NO_VECTOR;
	case COMMON_Q_ENABLE:
		return q ? q->ready : 0;
	case COMMON_Q_NOFF:
		return q ? vp->queue_select : 0;
	case COMMON_Q_DESCLO:
		return q ? (uint32_t)q->desc : 0;
	case COMMON_Q_DESCHI:
		return q ? (uint32_t)(q->desc >> 32) : 0;
	case COMMON_Q_AVAILLO:
		return q ? (uint32_t)q->avail : 0;
	case COMMON_Q_AVAILHI:
		return q ? (uint32_t)(q->avail >> 32) : 0;
	case COMMON_Q_USEDLO:
		return q ? (uint32_t)q->used : 0;
	case COMMON_Q_USEDHI:
		return q ? (uint32_t)(q->used >> 32) : 0;
	}
	return 0;
}

static void set_half(uint64_t *v, bool hi, uint32_t val)
{
	*v = hi ? (*v & 0xffffffffULL) | (uint64_t)val << 32 : (*v & ~0xffffffffULL) | val;
}

static uint16_t checked_vector(const struct virtio_pci *vp, uint64_t v)
{
	/* a vector the device cannot use reads back as NO_VECTOR (4.1.5.1.2) */
	return v < vp->nvectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint64_t val)
{
	struct vq *q = selected(vp);
	/* the driver sets a queue up before enabling it, then leaves it */
	struct vq *setup = q && !q->ready ? q : NULL;

	switch (off) {
	case COMMON_DFSELECT:
		vp->dfselect = (uint32_t)val;
		break;
	case COMMON_GFSELECT:
		vp->gfselect = (uint32_t)val;
		break;
	case COMMON_GF:
		if (vp->gfselect < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&vp->driver_features, vp->gfselect, (uint32_t)val);
		break;
	case COMMON_MSIX:
		vp->config_vector = checked_vector(vp, val);
		break;
	case COMMON_STATUS:
		write_status(vp, (uint8_t)val);
		break;
	case COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)val;
		break;
	case COMMON_Q_SIZE:
		if (setup)
			setup->size = (uint16_t)val;
		break;
	case COMMON_Q_MSIX:
		if (q)
			vp->queue_vector[vp->queue_select] = checked_vector(vp, val);
		break;
	case COMMON_Q_ENABLE:
		if (q && val == 1)
			enable_queue(vp, q);
		break;
	case COMMON_Q_DESCLO:
	case COMMON_Q_DESCHI:
		if (setup)
			set_half(&setup->desc, off == COMMON_Q_DESCHI, (uint32_t)val);
		break;
	case COMMON_Q_AVAILLO:
	case COMMON_Q_AVAILHI:
		if (setup)
			set_half(&setup->avail, off == COMMON_Q_AVAILHI, (uint32_t)val);
		break;
	case COMMON_Q_USEDLO:
	case COMMON_Q_USEDHI:
		if (setup)
			set_half(&setup->used, off == COMMON_Q_USEDHI, (uint32_t)val);
		break;
	}
}

/* Registers are accessed with their own width (the 64-bit ones as two
 * dwords); anything else reads as 0 and writes nothing. */
static unsigned common_width(uint32_t off)
{
	if (off < COMMON_MSIX)
		return off % 4 ? 0 : 4;
	if (off == COMMON_STATUS || off == COMMON_CFGGENERATION)
		return 1;
	if (off < COMMON_Q_DESCLO)
		return off % 2 ? 0 : 2;
	if (off <= COMMON_Q_USEDHI)
		return off % 4 ? 0 : 4;
	return 0;
}

static void notify_write(struct virtio_pci *vp, uint64_t off, unsigned len)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULTIPLIER;

	(void)len;
	/* what an ioeventfd would have done, for a VM without them */
	if (off % VIRTIO_PCI_NOTIFY_MULTIPLIER == 0 && q < vp->ops->nr_queues)
		signal_fd(vp->kick_fd[q]);
}

static void bar4_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned len,
			bool is_write)
{
	uint64_t region = off & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1), o = off - region;

	if (!is_write)
		memset(data, 0, len);
	switch (region) {
	case VIRTIO_PCI_COMMON:
		if (common_width((uint32_t)o) != len)
			return;
		if (is_write)
			common_write(vp, (uint32_t)o, le(data, len));
		else
			put_le(data, common_read(vp, (uint32_t)o), len);
		return;
	case VIRTIO_PCI_ISR:
		/* reading ISR acknowledges it; the INTx line drops at EOI */
		if (!is_write && o == 0) {
			data[0] = vp->isr;
			vp->isr = 0;
		}
		return;
	case VIRTIO_PCI_DEVICE_CFG:
		if (o >= vp->ops->config_size || len > vp->ops->config_size - o)
			return;
		if (is_write)
			vp->ops->config_write(vp->dev, (uint32_t)o, data, len);
		else
			vp->ops->config_read(vp->dev, (uint32_t)o, data, len);
		return;
	case VIRTIO_PCI_NOTIFY:
		if (is_write)
			notify_write(vp, o, len);
		return;
	}
}

static void msix_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, unsigned len,
			bool is_write)
{
	uint64_t table = 16ULL * vp->nvectors;

	if (off < table && len <= table - off) {
		unsigned v = (unsigned)(off / 16), last = (unsigned)((off + len - 1) / 16);
		bool was_masked = vector_masked(vp, v);

		if (!is_write) {
			memcpy(data, vp->msix_table + off, len);
			return;
		}
		if (v != last)
			return; /* one entry at a time */
		memcpy(vp->msix_table + off, data, len);
		msix_bind(vp, v);
		if (was_masked && !vector_masked(vp, v))
			fire_pending(vp);
		return;
	}
	if (!is_write) {
		uint8_t pba[8];

		memset(data, 0, len);
		put_le(pba, vp->msix_pending, 8);
		if (off >= VIRTIO_PCI_MSIX_PBA && off - VIRTIO_PCI_MSIX_PBA + len <= 8)
			memcpy(data, pba + (off - VIRTIO_PCI_MSIX_PBA), len);
	}
}

static void bar_access_locked(struct virtio_pci *vp, unsigned bar, uint64_t off, uint8_t *data,
			      unsigned len, bool is_write)
{
	if (bar == VIRTIO_PCI_BAR)
		bar4_access(vp, off, data, len, is_write);
	else if (bar == VIRTIO_PCI_MSIX_BAR && vp->nvectors)
		msix_access(vp, off, data, len, is_write);
	else if (!is_write)
		memset(data, 0, len);
}

/* ---- PCI function ops ---- */

static void pci_bar_access(void *opaque, unsigned bar, uint64_t off, uint8_t *data, unsigned len,
			   bool is_write)
{
	struct virtio_pci *vp = opaque;

	pthread_mutex_lock(&vp->lock);
	bar_access_locked(vp, bar, off, data, len, is_write);
	pthread_mutex_unlock(&vp->lock);
}

/* lock held */
static void update_ioeventfds(struct virtio_pci *vp, uint64_t base)
{
	struct kverr err = {{0}};

	if (vp->ioeventfds && vp->vm_attached)
		for (unsigned q = 0; q < vp->ops->nr_queues; q++)
			vp->vm.ioeventfd(vp->vm.ctx, vp->kick_fd[q],
					 vp->notify_base +
					     (uint64_t)q * VIRTIO_PCI_NOTIFY_MULTIPLIER,
					 2, false, NULL);
	vp->ioeventfds = false;
	vp->notify_base = base;
	if (base == PCI_BAR_UNMAPPED || !vp->vm_attached)
		return;
	for (unsigned q = 0; q < vp->ops->nr_queues; q++) {
		if (vp->vm.ioeventfd(vp->vm.ctx, vp->kick_fd[q],
				     base + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULTIPLIER, 2, true,
				     &err)) {
			/* notifies still arrive, as MMIO exits */
			if (!vp->ioeventfd_failed)
				log_msg("%s: %s; queue notifications exit to a vCPU", vp->name,
					err.msg);
			vp->ioeventfd_failed = true;
			while (q--)
				vp->vm.ioeventfd(vp->vm.ctx, vp->kick_fd[q],
						 base + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULTIPLIER,
						 2, false, NULL);
			return;
		}
	}
	vp->ioeventfds = true;
}

static void pci_bar_mapped(void *opaque, unsigned bar, uint64_t addr)
{
	struct virtio_pci *vp = opaque;

	if (bar != VIRTIO_PCI_BAR)
		return;
	pthread_mutex_lock(&vp->lock);
	update_ioeventfds(vp, addr == PCI_BAR_UNMAPPED ? addr : addr + VIRTIO_PCI_NOTIFY);
	pthread_mutex_unlock(&vp->lock);
}

static bool overlaps(uint32_t off, unsigned len, uint32_t start, unsigned n)
{
	return off < start + n && start < off + len;
}

/* The PCI config access capability: a window onto the BARs (4.1.4.9). */
static void cfg_window(struct virtio_pci *vp, bool is_write)
{
	struct pci_func *f = &vp->func;
	uint8_t c = vp->cfg_cap;
	unsigned bar = pci_get(f, c + CAP_BAR, 1);
	uint32_t off = pci_get(f, c + CAP_OFFSET, 4), len = pci_get(f, c + CAP_LENGTH, 4);
	uint8_t data[4];

	if ((len != 1 && len != 2 && len != 4) || off % len)
		return;
	if (bar >= PCI_NUM_BARS || f->plan->bar[bar].kind == PCI_BAR_UNUSED ||
	    off >= f->plan->bar[bar].size)
		return;
	memcpy(data, f->cfg + c + CAP_PCI_CFG_DATA, 4);
	bar_access_locked(vp, bar, off, data, len, is_write);
	if (!is_write)
		memcpy(f->cfg + c + CAP_PCI_CFG_DATA, data, len);
}

static void pci_config_write(void *opaque, uint32_t off, unsigned len)
{
	struct virtio_pci *vp = opaque;
	struct pci_func *f = &vp->func;

	pthread_mutex_lock(&vp->lock);
	if (overlaps(off, len, PCI_COMMAND, 2))
		vp->intx_disabled = pci_get(f, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;
	if (vp->msix_cap && overlaps(off, len, vp->msix_cap + MSIX_CONTROL, 2)) {
		uint16_t ctl = (uint16_t)pci_get(f, vp->msix_cap + MSIX_CONTROL, 2);
		bool enable = ctl & MSIX_ENABLE;

		vp->msix_masked = ctl & MSIX_MASKALL;
		if (enable && !vp->msix_enabled) {
			vp->msix_enabled = true;
			for (unsigned v = 0; v < vp->nvectors; v++)
				msix_bind(vp, v);
		} else if (!enable && vp->msix_enabled) {
			vp->msix_enabled = false;
			msix_unbind_all(vp);
		}
		if (vp->msix_enabled)
			fire_pending(vp);
	}
	if (overlaps(off, len, vp->cfg_cap + CAP_PCI_CFG_DATA, 4))
		cfg_window(vp, true);
	pthread_mutex_unlock(&vp->lock);
}

static void pci_config_read(void *opaque, uint32_t off, unsigned len)
{
	struct virtio_pci *vp = opaque;

	if (!overlaps(off, len, vp->cfg_cap + CAP_PCI_CFG_DATA, 4))
		return;
	pthread_mutex_lock(&vp->lock);
	cfg_window(vp, false);
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_func_ops virtio_pci_func_ops = {
    .bar_access = pci_bar_access,
    .config_write = pci_config_write,
    .config_read = pci_config_read,
    .bar_mapped = pci_bar_mapped,
};

/* ---- config space ---- */

static uint8_t add_vendor_cap(struct pci_func *f, uint8_t type, uint32_t offset, uint8_t len)
{
	uint8_t c = pci_func_add_cap(f, PCI_CAP_ID_VNDR, len);

	pci_set(f, c + 2, len, 1);
	pci_set(f, c + 3, type, 1);
	pci_set(f, c + CAP_BAR, VIRTIO_PCI_BAR, 1);
	pci_set(f, c + CAP_OFFSET, offset, 4);
	pci_set(f, c + CAP_LENGTH, VIRTIO_PCI_REGION_SIZE, 4);
	return c;
}

static void build_config(struct virtio_pci *vp)
{
	struct pci_func *f = &vp->func;
	uint8_t c;

	add_vendor_cap(f, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON, 16);
	add_vendor_cap(f, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 16);
	add_vendor_cap(f, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_CFG, 16);
	c = add_vendor_cap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY, 20);
	pci_set(f, c + 16, VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
	/* the PCI config access window: bar, offset, length and data are the
	 * driver's to write */
	c = pci_func_add_cap(f, PCI_CAP_ID_VNDR, 20);
	pci_set(f, c + 2, 20, 1);
	pci_set(f, c + 3, VIRTIO_PCI_CAP_PCI_CFG, 1);
	f->wmask[c + CAP_BAR] = 0xff;
	memset(f->wmask + c + CAP_OFFSET, 0xff, 12);
	vp->cfg_cap = c;
	if (vp->nvectors) {
		c = pci_func_add_cap(f, PCI_CAP_ID_MSIX, 12);
		pci_set(f, c + MSIX_CONTROL, vp->nvectors - 1, 2);
		f->wmask[c + MSIX_CONTROL + 1] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
		pci_set(f, c + MSIX_TABLE, VIRTIO_PCI_MSIX_BAR, 4);
		pci_set(f, c + MSIX_PBA, VIRTIO_PCI_MSIX_PBA | VIRTIO_PCI_MSIX_BAR, 4);
		vp->msix_cap = c;
	}
}

static void msix_reset(struct virtio_pci *vp)
{
	memset(vp->msix_table, 0, sizeof(vp->msix_table));
	for (unsigned v = 0; v < vp->nvectors; v++)
		vp->msix_table[16 * v + MSIX_ENTRY_CTRL] = MSIX_ENTRY_MASKED;
	vp->msix_pending = 0;
	vp->msix_enabled = vp->msix_masked = false;
	vp->intx_disabled = false;
}

/* ---- the worker ---- */

/* Run fn with busy set, the lock dropped, if the device may run. */
static void guarded(struct virtio_pci *vp, void (*fn)(struct virtio_pci *, void *, bool), void *arg)
{
	bool run;

	pthread_mutex_lock(&vp->lock);
	run = running(vp);
	vp->busy = true;
	pthread_mutex_unlock(&vp->lock);
	fn(vp, arg, run);
	pthread_mutex_lock(&vp->lock);
	vp->busy = false;
	pthread_cond_broadcast(&vp->idle);
	pthread_mutex_unlock(&vp->lock);
}

static void run_queue(struct virtio_pci *vp, void *arg, bool run)
{
	unsigned q = (unsigned)(uintptr_t)arg;

	if (run && vp->vq[q].ready)
		vp->ops->queue_notify(vp->dev, q);
}

static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_pci_slot *slot = opaque;
	struct virtio_pci *vp = slot->vp;
	unsigned q = slot->i;

	(void)events;
	drain_fd(vp->kick_fd[q]);
	guarded(vp, run_queue, (void *)(uintptr_t)q);
}

static void on_resample(void *opaque, uint32_t events)
{
	struct virtio_pci *vp = opaque;

	(void)events;
	drain_fd(vp->resample_fd);
	pthread_mutex_lock(&vp->lock);
	/* the guest's EOI dropped the line: raise it again if still due */
	if (vp->isr && !vp->msix_enabled && !vp->intx_disabled)
		signal_fd(vp->intx_fd);
	pthread_mutex_unlock(&vp->lock);
}

static void on_ctl(void *opaque, uint32_t events)
{
	struct virtio_pci *vp = opaque;

	(void)events;
	drain_fd(vp->ctl_fd);
}

static void run_extra(struct virtio_pci *vp, void *arg, bool run)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	vp->extra[i].fn(vp->extra[i].opaque, run);
}

static void on_extra(void *opaque, uint32_t events)
{
	struct virtio_pci_slot *slot = opaque;
	struct virtio_pci *vp = slot->vp;
	unsigned i = slot->i;

	(void)events;
	guarded(vp, run_extra, (void *)(uintptr_t)i);
}

static void *worker(void *arg)
{
	struct virtio_pci *vp = arg;

	while (!atomic_load(&vp->stop))
		loop_run_once(&vp->loop, -1);
	return NULL;
}

/* ---- set-up ---- */

int virtio_pci_plan_add(struct pci_plan *p, const struct virtio_dev_ops *ops, unsigned nvectors,
			const char *driver, const char *id, int64_t devfn,
			struct pci_plan_func **out, struct kverr *err)
{
	struct pci_bar_req bar[PCI_NUM_BARS];
	struct pci_ids ids;
	char addr[16];

	virtio_pci_plan(ops, nvectors, &ids, bar);
	if (devfn >= 0)
		snprintf(addr, sizeof(addr), "%x.%x", (unsigned)(devfn >> 3),
			 (unsigned)(devfn & 7));
	return pci_plan_add(p, driver, id, devfn >= 0 ? addr : NULL, &ids, PCI_INTA, bar, out, err);
}

int virtio_pci_init(struct virtio_pci *vp, const struct pci_plan_func *plan,
		    const struct virtio_dev_ops *ops, void *dev, const struct dma_space *dma,
		    unsigned nvectors, struct kverr *err)
{
	memset(vp, 0, sizeof(*vp));
	vp->ctl_fd = vp->intx_fd = vp->resample_fd = -1;
	vp->loop.epfd = -1;
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->kick_fd[i] = -1;
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++)
		vp->vector_fd[i] = -1;
	if (ops->nr_queues > VIRTIO_PCI_MAX_QUEUES || nvectors > VIRTIO_PCI_MAX_VECTORS ||
	    !ops->queue_size || ops->queue_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_size & (ops->queue_size - 1)) || ops->config_size > VIRTIO_PCI_REGION_SIZE)
		return kverr_set(err, EINVAL, "%s: bad virtio device description", ops->name);
	vp->ops = ops;
	vp->dev = dev;
	vp->dma = *dma;
	vp->nvectors = nvectors;
	vp->rl = (struct ratelimit)RATELIMIT_INIT(5000, 1);
	vp->notify_base = PCI_BAR_UNMAPPED;
	snprintf(vp->name, sizeof(vp->name), "%s 00:%02x.%x", ops->name, plan->slot, plan->fn);
	if (pthread_mutex_init(&vp->lock, NULL) || pthread_cond_init(&vp->idle, NULL))
		return kverr_set(err, ENOMEM, "%s: cannot create its lock", vp->name);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		vp->vq[q].dma = &vp->dma;
		vp->vq[q].index = q;
	}
	vp->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vp->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vp->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->ctl_fd < 0 || vp->intx_fd < 0 || vp->resample_fd < 0)
		return kverr_sys(err, errno, "%s: eventfd", vp->name);
	for (unsigned q = 0; q < ops->nr_queues; q++)
		if ((vp->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			return kverr_sys(err, errno, "%s: eventfd", vp->name);
	for (unsigned v = 0; v < nvectors; v++)
		if ((vp->vector_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			return kverr_sys(err, errno, "%s: eventfd", vp->name);
	if (loop_init(&vp->loop, err))
		return -ENOMEM;
	pci_func_init(&vp->func, plan);
	build_config(vp);
	msix_reset(vp);
	pthread_mutex_lock(&vp->lock);
	do_reset(vp);
	pthread_mutex_unlock(&vp->lock);
	return 0;
}

int virtio_pci_add_fd(struct virtio_pci *vp, int fd, virtio_fd_fn fn, void *opaque,
		      struct kverr *err)
{
	if (vp->thread_started || vp->nr_extra == sizeof(vp->extra) / sizeof(vp->extra[0]))
		return kverr_set(err, EINVAL, "%s: no room for another worker fd", vp->name);
	vp->extra[vp->nr_extra].fd = fd;
	vp->extra[vp->nr_extra].fn = fn;
	vp->extra[vp->nr_extra].opaque = opaque;
	vp->nr_extra++;
	return 0;
}

int virtio_pci_start(struct virtio_pci *vp, struct pci_bus *bus, struct kverr *err)
{
	struct virtio_pci_slot *slots = vp->slot;
	int ret;

	if (loop_add(&vp->loop, vp->ctl_fd, EPOLLIN, on_ctl, vp) ||
	    loop_add(&vp->loop, vp->resample_fd, EPOLLIN, on_resample, vp))
		return kverr_set(err, ENOMEM, "%s: cannot watch its eventfds", vp->name);
	for (unsigned q = 0; q < vp->ops->nr_queues; q++) {
		slots[q] = (struct virtio_pci_slot){vp, q};
		if (loop_add(&vp->loop, vp->kick_fd[q], EPOLLIN, on_kick, &slots[q]))
			return kverr_set(err, ENOMEM, "%s: cannot watch its eventfds", vp->name);
	}
	for (unsigned i = 0; i < vp->nr_extra; i++) {
		slots[VIRTIO_PCI_MAX_QUEUES + i] = (struct virtio_pci_slot){vp, i};
		if (loop_add(&vp->loop, vp->extra[i].fd, EPOLLIN, on_extra,
			     &slots[VIRTIO_PCI_MAX_QUEUES + i]))
			return kverr_set(err, ENOMEM, "%s: cannot watch its fds", vp->name);
	}
	if ((ret = pci_bus_add(bus, &vp->func, &virtio_pci_func_ops, vp, err)))
		return ret;
	if ((ret = thread_start(&vp->thread, worker, vp)))
		return kverr_sys(err, -ret, "%s: cannot start its thread", vp->name);
	vp->thread_started = true;
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp->thread_started) {
		atomic_store(&vp->stop, true);
		signal_fd(vp->ctl_fd);
		thread_join(&vp->thread);
		vp->thread_started = false;
	}
	loop_fini(&vp->loop);
	if (vp->ctl_fd >= 0)
		close(vp->ctl_fd);
	if (vp->intx_fd >= 0)
		close(vp->intx_fd);
	if (vp->resample_fd >= 0)
		close(vp->resample_fd);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		if (vp->kick_fd[q] >= 0)
			close(vp->kick_fd[q]);
	for (unsigned v = 0; v < VIRTIO_PCI_MAX_VECTORS; v++)
		if (vp->vector_fd[v] >= 0)
			close(vp->vector_fd[v]);
	vp->ctl_fd = vp->intx_fd = vp->resample_fd = -1;
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		vp->kick_fd[q] = -1;
	for (unsigned v = 0; v < VIRTIO_PCI_MAX_VECTORS; v++)
		vp->vector_fd[v] = -1;
}

/* ---- the VM ---- */

void virtio_pci_attach_vm(struct virtio_pci *vp, const struct pci_vm_ops *vm)
{
	struct kverr err = {{0}};

	pthread_mutex_lock(&vp->lock);
	vp->vm = *vm;
	vp->vm_attached = true;
	if (vp->func.plan->intx_pin &&
	    vm->intx_bind(vm->ctx, vp->intx_fd, vp->resample_fd, vp->func.plan->gsi, &err))
		log_ratelimited(&vp->rl, "%s: INTx: %s", vp->name, err.msg);
	if (vp->msix_enabled)
		for (unsigned v = 0; v < vp->nvectors; v++)
			msix_bind(vp, v);
	update_ioeventfds(vp, vp->notify_base);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_detach_vm(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->vm_attached = false;
	vp->ioeventfds = false;
	for (unsigned v = 0; v < vp->nvectors; v++)
		vp->vector_bound[v] = false;
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	do_reset(vp);
	msix_unbind_all(vp);
	msix_reset(vp);
	drain_fd(vp->intx_fd);
	drain_fd(vp->resample_fd);
	for (unsigned v = 0; v < vp->nvectors; v++)
		drain_fd(vp->vector_fd[v]);
	pthread_mutex_unlock(&vp->lock);
}

/* ---- for devices ---- */

struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	return q < vp->ops->nr_queues ? &vp->vq[q] : NULL;
}

void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned q)
{
	pthread_mutex_lock(&vp->lock);
	if (q < vp->ops->nr_queues && running(vp) && vq_should_notify(&vp->vq[q]))
		interrupt(vp, VIRTIO_ISR_QUEUE, vp->queue_vector[q]);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		interrupt(vp, VIRTIO_ISR_CONFIG, vp->config_vector);
	pthread_mutex_unlock(&vp->lock);
}

void virtio_pci_fail(struct virtio_pci *vp, const struct kverr *err)
{
	pthread_mutex_lock(&vp->lock);
	fail_locked(vp, err->msg);
	pthread_mutex_unlock(&vp->lock);
}

bool virtio_pci_stopping(struct virtio_pci *vp)
{
	return atomic_load(&vp->reset_pending) || atomic_load(&vp->stop);
}

uint64_t virtio_pci_features(struct virtio_pci *vp)
{
	uint64_t f;

	pthread_mutex_lock(&vp->lock);
	f = vp->features;
	pthread_mutex_unlock(&vp->lock);
	return f;
}
