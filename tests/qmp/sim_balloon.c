/* sim_balloon.c - a virtio-balloon driver for kvmem-sim's simulated guest.
 *
 * With KVMEM_SIM_BALLOON=1 in kvmem-sim's environment, vCPU 0 drives a
 * virtio-balloon-pci function at 00:02.0 (where libvirt puts it) as
 * Linux's virtio_balloon does, through the real transport and device:
 *   - it finds the function in config space (mechanism #1), enables memory
 *     decoding, and negotiates VERSION_1 and STATS_VQ in BAR 4's common
 *     config (kvmem's layout, virtio/pci.h);
 *   - it keeps one statistics buffer on the stats queue and refills it
 *     each time the device hands it back (guest-stats-polling-interval);
 *   - it follows num_pages in the device config: inflates (PFNs from
 *     SIM_BALLOON_BASE up) or deflates in requests of up to 256 pages,
 *     one in flight at a time, and after each completes writes the new
 *     size to `actual`, as Linux does (up to 16 requests a tick);
 *   - no interrupts: it polls the used rings at each tick.
 * It starts once: after a machine reset it stays quiet (the libvirt test
 * needs no more).
 * Its statistics are made up from the size of guest RAM and the balloon:
 * total = RAM - balloon, free = total / 2, available = total * 3 / 4,
 * every other statistic 0, so a test can tell they came from here.
 * The rings and the PFN arrays sit in guest RAM at SIM_BALLOON_RINGS,
 * which nothing else in the simulated guest uses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/vm.h"
#include "mem/manager.h"
#include "plan/iomap.h"
#include "sim_balloon.h"
#include "util/le.h"
#include "virtio/pci.h"

#define SIM_BALLOON_RINGS 0x2000000ull /* 32 MiB */
#define SIM_BALLOON_BASE 0x4000000ull  /* first PFN ballooned: 64 MiB */
#define QSIZE 8
#define BATCH 256
#define PAGE 4096u

/* virtio 1.x common config (4.1.4.3) */
#define CC_DFSEL 0x00
#define CC_DF 0x04
#define CC_GFSEL 0x08
#define CC_GF 0x0c
#define CC_STATUS 0x14
#define CC_QSEL 0x16
#define CC_QSIZE 0x18
#define CC_QMSIX 0x1a
#define CC_QENABLE 0x1c
#define CC_QNOTIFY_OFF 0x1e
#define CC_QDESC 0x20
#define CC_QDRIVER 0x28
#define CC_QDEVICE 0x30
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define F_STATS_VQ 1
#define F_VERSION_1_HI 0 /* bit 32: bit 0 of the high word */
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define NO_VECTOR 0xffff

/* Per queue, in guest RAM from SIM_BALLOON_RINGS + q * 0x10000:
 * descriptors at +0, avail at +0x1000, used at +0x2000, buffer at +0x3000. */
#define QAREA(q) (SIM_BALLOON_RINGS + (uint64_t)(q)*0x10000)

static struct {
	bool tried, up;
	uint64_t bar; /* BAR 4 */
	uint32_t notify_mult;
	uint16_t notify_off[3];
	uint16_t avail_idx[3], used_seen[3];
	bool busy[2];	  /* an inflate/deflate request in flight */
	uint32_t pending; /* its number of pages, signed by direction */
	uint32_t actual;  /* pages in the balloon */
} sb;

static uint32_t cfg_read(struct vm *vm, unsigned dev, unsigned off, unsigned len)
{
	uint8_t a[4] = {(uint8_t)(off & 0xfc), (uint8_t)(dev << 3), 0, 0x80}, d[4] = {0};

	bus_access(vm->pio, IOMAP_PCI_CONFIG_ADDR, a, 4, true);
	bus_access(vm->pio, IOMAP_PCI_CONFIG_DATA + (off & 3), d, len, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void cfg_write(struct vm *vm, unsigned dev, unsigned off, uint32_t v, unsigned len)
{
	uint8_t a[4] = {(uint8_t)(off & 0xfc), (uint8_t)(dev << 3), 0, 0x80};
	uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	bus_access(vm->pio, IOMAP_PCI_CONFIG_ADDR, a, 4, true);
	bus_access(vm->pio, IOMAP_PCI_CONFIG_DATA + (off & 3), d, len, true);
}

static uint64_t mmio_read(struct vm *vm, uint64_t off, unsigned len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	bus_access(vm->mmio, sb.bar + off, d, len, false);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static void mmio_write(struct vm *vm, uint64_t off, uint64_t v, unsigned len)
{
	uint8_t d[8];

	for (unsigned i = 0; i < len; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	bus_access(vm->mmio, sb.bar + off, d, len, true);
}

static int gwrite(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	struct kverr err = {0};

	return mem_write(vm->mem, gpa, src, len, &err);
}

/* Queue one device-readable buffer of len bytes (already at QAREA + 0x3000)
 * on queue q and notify. */
static int queue_buffer(struct vm *vm, unsigned q, uint32_t len)
{
	uint8_t desc[16] = {0}, idx[2];
	uint16_t slot = sb.avail_idx[q] % QSIZE;
	uint8_t ring[2];

	le_put64(desc, QAREA(q) + 0x3000);
	le_put32(desc + 8, len);
	if (gwrite(vm, QAREA(q), desc, sizeof(desc)))
		return -1;
	le_put16(ring, 0); /* always descriptor 0: one buffer in flight */
	if (gwrite(vm, QAREA(q) + 0x1000 + 4 + 2u * slot, ring, 2))
		return -1;
	le_put16(idx, ++sb.avail_idx[q]);
	if (gwrite(vm, QAREA(q) + 0x1000 + 2, idx, 2))
		return -1;
	mmio_write(vm, VIRTIO_PCI_NOTIFY + (uint64_t)sb.notify_off[q] * sb.notify_mult, q, 2);
	return 0;
}

static bool queue_used(struct vm *vm, unsigned q)
{
	uint8_t idx[2];
	struct kverr err = {0};
	uint16_t v;

	if (mem_read(vm->mem, QAREA(q) + 0x2000 + 2, idx, 2, &err))
		return false;
	v = (uint16_t)(idx[0] | idx[1] << 8);
	if (v == sb.used_seen[q])
		return false;
	sb.used_seen[q] = v;
	return true;
}

/* Guest RAM: every plugged page of every region. */
static uint64_t ram_bytes(struct vm *vm)
{
	uint64_t from = 0, gpa, len, n = 0;

	while (!mem_pages_find(vm->mem, from, MEM_PAGE_UNPLUGGED, false, &gpa, &len)) {
		n += len;
		from = gpa + len;
	}
	return n;
}

static int send_stats(struct vm *vm)
{
	uint64_t total = ram_bytes(vm) - (uint64_t)sb.actual * PAGE;
	uint64_t vals[10] = {0, 0, 0, 0, total / 2, total, 0, 0, 0, 0};
	uint8_t buf[10 * 10];

	vals[6] = total / 4 * 3;
	for (unsigned i = 0; i < 10; i++) {
		le_put16(buf + 10 * i, (uint16_t)i);
		le_put64(buf + 10 * i + 2, vals[i]);
	}
	if (gwrite(vm, QAREA(Q_STATS) + 0x3000, buf, sizeof(buf)))
		return -1;
	return queue_buffer(vm, Q_STATS, sizeof(buf));
}

static bool find(struct vm *vm)
{
	const unsigned dev = 2;
	uint32_t id = cfg_read(vm, dev, 0, 4);
	uint32_t lo, hi;

	if (id != (VIRTIO_PCI_VENDOR | (uint32_t)(VIRTIO_PCI_DEVICE_BASE + 5) << 16))
		return false;
	lo = cfg_read(vm, dev, 0x10 + 4 * VIRTIO_PCI_BAR, 4);
	hi = cfg_read(vm, dev, 0x14 + 4 * VIRTIO_PCI_BAR, 4);
	sb.bar = ((uint64_t)hi << 32 | lo) & ~0xfull;
	if (!sb.bar)
		return false;
	cfg_write(vm, dev, 0x04, cfg_read(vm, dev, 0x04, 2) | 0x2, 2); /* memory space */
	sb.notify_mult = VIRTIO_PCI_NOTIFY_MULTIPLIER;
	return true;
}

static bool start(struct vm *vm)
{
	uint8_t zero[0x3000] = {0};

	mmio_write(vm, CC_STATUS, 0, 1);
	mmio_write(vm, CC_STATUS, ST_ACK | ST_DRIVER, 1);
	mmio_write(vm, CC_DFSEL, 0, 4);
	if (!(mmio_read(vm, CC_DF, 4) & (1u << F_STATS_VQ)))
		return false;
	mmio_write(vm, CC_GFSEL, 0, 4);
	mmio_write(vm, CC_GF, 1u << F_STATS_VQ, 4);
	mmio_write(vm, CC_GFSEL, 1, 4);
	mmio_write(vm, CC_GF, 1u << F_VERSION_1_HI, 4);
	mmio_write(vm, CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK, 1);
	if (!(mmio_read(vm, CC_STATUS, 1) & ST_FEATURES_OK))
		return false;
	for (unsigned q = Q_INFLATE; q <= Q_STATS; q++) {
		if (gwrite(vm, QAREA(q), zero, sizeof(zero)))
			return false;
		mmio_write(vm, CC_QSEL, q, 2);
		mmio_write(vm, CC_QSIZE, QSIZE, 2);
		mmio_write(vm, CC_QMSIX, NO_VECTOR, 2);
		/* 64-bit fields as two 32-bit halves, as Linux writes them */
		for (unsigned h = 0; h < 2; h++) {
			mmio_write(vm, CC_QDESC + 4 * h, QAREA(q) >> (32 * h), 4);
			mmio_write(vm, CC_QDRIVER + 4 * h, (QAREA(q) + 0x1000) >> (32 * h), 4);
			mmio_write(vm, CC_QDEVICE + 4 * h, (QAREA(q) + 0x2000) >> (32 * h), 4);
		}
		sb.notify_off[q] = (uint16_t)mmio_read(vm, CC_QNOTIFY_OFF, 2);
		mmio_write(vm, CC_QENABLE, 1, 2);
	}
	mmio_write(vm, CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK, 1);
	return send_stats(vm) == 0;
}

/* Inflate or deflate toward num_pages: one request of up to BATCH pages.
 * Returns whether it sent one. */
static bool follow_target(struct vm *vm)
{
	uint32_t target = (uint32_t)mmio_read(vm, VIRTIO_PCI_DEVICE_CFG, 4);
	uint8_t pfns[BATCH * 4];
	bool inflate = target > sb.actual;
	unsigned q = inflate ? Q_INFLATE : Q_DEFLATE;
	uint32_t n = inflate ? target - sb.actual : sb.actual - target;
	uint32_t first;

	if (sb.busy[0] || sb.busy[1] || target == sb.actual)
		return false;
	if (n > BATCH)
		n = BATCH;
	first = inflate ? sb.actual : sb.actual - n;
	for (uint32_t i = 0; i < n; i++)
		le_put32(pfns + 4 * i, (uint32_t)(SIM_BALLOON_BASE / PAGE) + first + i);
	if (gwrite(vm, QAREA(q) + 0x3000, pfns, 4ull * n) || queue_buffer(vm, q, 4 * n))
		return false;
	sb.busy[q] = true;
	sb.pending = n;
	return true;
}

/* The request in flight is done: the balloon has its new size. */
static bool complete(struct vm *vm)
{
	for (unsigned q = Q_INFLATE; q <= Q_DEFLATE; q++) {
		if (sb.busy[q] && queue_used(vm, q)) {
			sb.busy[q] = false;
			sb.actual =
			    q == Q_INFLATE ? sb.actual + sb.pending : sb.actual - sb.pending;
			mmio_write(vm, VIRTIO_PCI_DEVICE_CFG + 4, sb.actual, 4);
			return true;
		}
	}
	return false;
}

void sim_balloon_poll(struct vm *vm)
{
	if (!sb.tried) {
		sb.tried = true;
		sb.up = find(vm) && start(vm);
	}
	if (!sb.up)
		return;
	if (queue_used(vm, Q_STATS))
		send_stats(vm);
	/* up to 16 requests a tick (about 300 MiB/s), each waited for a
	 * few milliseconds at most: the device works on its own thread */
	complete(vm);
	for (int i = 0; i < 16 && follow_target(vm); i++)
		for (int w = 0; w < 50 && !complete(vm); w++)
			usleep(100);
}
