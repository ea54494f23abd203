/* test_virtio_pci.c - the virtio PCI transport driven as Linux's
 * virtio_pci_modern driver drives it, register by register, through the
 * PCI bus as vCPU exits reach it, with a small device behind it ("echo":
 * each request's readable bytes come back reversed in its writable
 * buffer) and a VM that records what it is asked to bind.
 *
 * Also: a driver that breaks the rules (NEEDS_RESET, one log line, the
 * device silent until reset), a reset while the device is busy, and
 * random register traffic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/ram_region.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"

#define RAM_SIZE (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x8000
#define QSIZE 16

/* ---- the device ---- */

struct echo {
	struct virtio_pci *vp;
	struct vq_elem *e;
	uint8_t config[8];
	unsigned resets, served;
	atomic_int slow_ms; /* sleep this long per request */
	atomic_bool saw_stop;
};

static void echo_config_read(void *dev, uint32_t off, uint8_t *data, unsigned len)
{
	struct echo *d = dev;
	memcpy(data, d->config + off, len);
}

static void echo_config_write(void *dev, uint32_t off, const uint8_t *data, unsigned len)
{
	struct echo *d = dev;
	memcpy(d->config + off, data, len);
}

static void echo_reset(void *dev)
{
	struct echo *d = dev;
	d->resets++;
}

static void echo_notify(void *dev, unsigned q)
{
	struct echo *d = dev;
	struct vq *vq = virtio_pci_queue(d->vp, q);
	struct kverr err = {{0}};
	uint8_t in[256], out[256];
	int r;

	while ((r = vq_pop(vq, d->e, &err)) > 0) {
		long n = vq_elem_read(vq, d->e, 0, in, sizeof(in));
		for (long i = 0; i < n; i++)
			out[i] = in[n - 1 - i];
		n = vq_elem_write(vq, d->e, 0, out, (uint64_t)n);
		if (vq_push(vq, d->e->head, (uint32_t)n, &err))
			break;
		d->served++;
		virtio_pci_notify_queue(d->vp, q);
		if (atomic_load(&d->slow_ms))
			usleep((unsigned)atomic_load(&d->slow_ms) * 1000);
		if (virtio_pci_stopping(d->vp)) {
			atomic_store(&d->saw_stop, true);
			return;
		}
	}
	if (r < 0)
		virtio_pci_fail(d->vp, &err);
}

static const struct virtio_dev_ops echo_ops = {
    .name = "virtio-echo-pci",
    .device_id = VIRTIO_ID_BALLOON,
    .pci_class = 0x00ff00,
    .nr_queues = 2,
    .queue_size = 64,
    .features = 1ULL << 1,
    .config_size = 8,
    .config_read = echo_config_read,
    .config_write = echo_config_write,
    .reset = echo_reset,
    .queue_notify = echo_notify,
};

/* ---- the VM ---- */

struct fake_vm {
	int msi_binds, msi_unbinds, intx_binds, ioeventfds_on, ioeventfds_off;
	uint64_t last_msi_addr;
	uint32_t last_msi_data;
	unsigned intx_gsi;
	uint64_t ioeventfd_addr[8];
	bool refuse_ioeventfd;
};

static int fake_msi_bind(void *ctx, int fd, uint64_t addr, uint32_t data, struct kverr *err)
{
	struct fake_vm *vm = ctx;
	(void)fd, (void)err;
	vm->msi_binds++;
	vm->last_msi_addr = addr;
	vm->last_msi_data = data;
	return 0;
}

static void fake_msi_unbind(void *ctx, int fd)
{
	struct fake_vm *vm = ctx;
	(void)fd;
	vm->msi_unbinds++;
}

static int fake_intx_bind(void *ctx, int fd, int resample_fd, unsigned gsi, struct kverr *err)
{
	struct fake_vm *vm = ctx;
	(void)fd, (void)resample_fd, (void)err;
	vm->intx_binds++;
	vm->intx_gsi = gsi;
	return 0;
}

static int fake_ioeventfd(void *ctx, int fd, uint64_t addr, unsigned len, bool assign,
			  struct kverr *err)
{
	struct fake_vm *vm = ctx;
	(void)fd;
	if (vm->refuse_ioeventfd)
		return kverr_set(err, ENOTSUP, "no ioeventfds here");
	assert_int_equal(len, 2);
	if (assign) {
		vm->ioeventfd_addr[vm->ioeventfds_on % 8] = addr;
		vm->ioeventfds_on++;
	} else {
		vm->ioeventfds_off++;
	}
	return 0;
}

/* ---- the fixture ---- */

struct fx {
	uint8_t *ram;
	struct backend b;
	struct mem_manager *mm;
	struct dma_space dma;
	struct layout layout;
	struct pci_plan plan;
	struct pci_bus pci;
	struct bus pio, mmio;
	struct virtio_pci vp;
	struct echo dev;
	struct fake_vm vm;
	struct pci_vm_ops vm_ops;
	uint64_t bar4, bar1;
	char log[8][512];
	unsigned nlog;
};

static void sink(const char *line, void *opaque)
{
	struct fx *fx = opaque;
	if (fx->nlog < 8)
		snprintf(fx->log[fx->nlog], sizeof(fx->log[0]), "%s", line);
	fx->nlog++;
}

static int setup_with(void **state, unsigned nvectors, bool refuse_ioeventfd)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct config_mem m = {.size = 2 * GiB, .maxmem = 2 * GiB};
	struct pci_bar_req bar[PCI_NUM_BARS];
	struct pci_plan_func *pf;
	struct pci_ids ids;
	struct kverr err = {{0}};

	fx->ram = calloc(1, RAM_SIZE);
	fx->b = (struct backend){
	    .id = "ram", .size = RAM_SIZE, .page_size = 4096, .fd = -1, .hva = fx->ram};

	fx->pio.name = "pio";
	fx->mmio.name = "mmio";
	fx->dev.e = calloc(1, sizeof(*fx->dev.e));
	fx->dev.vp = &fx->vp;
	fx->vm.refuse_ioeventfd = refuse_ioeventfd;
	fx->vm_ops = (struct pci_vm_ops){&fx->vm, fake_msi_bind, fake_msi_unbind, fake_intx_bind,
					 fake_ioeventfd};
	log_set_sink(sink, fx);
	virtio_pci_plan(&echo_ops, nvectors, &ids, bar);
	if (test_ram_region(&fx->mm, "ram", 0, RAM_SIZE, &fx->b, 0, &err) ||
	    layout_compute(&m, &fx->layout, &err))
		fail_msg("%s", err.msg);
	fx->dma.mm = fx->mm;
	pci_plan_init(&fx->plan, &fx->layout);
	if (pci_plan_add(&fx->plan, "virtio-echo-pci", "e0", NULL, &ids, PCI_INTA, bar, &pf,
			 &err) ||
	    pci_plan_assign(&fx->plan, &err) || pci_bus_init(&fx->pci, &fx->plan, &err) ||
	    pci_bus_register(&fx->pci, &fx->pio, &fx->mmio, &err) ||
	    virtio_pci_init(&fx->vp, pf, &echo_ops, &fx->dev, &fx->dma, nvectors, &err) ||
	    virtio_pci_start(&fx->vp, &fx->pci, &err))
		fail_msg("set-up: %s", err.msg);
	fx->bar4 = pf->bar_addr[VIRTIO_PCI_BAR];
	fx->bar1 = pf->bar_addr[VIRTIO_PCI_MSIX_BAR];
	pci_bus_reset(&fx->pci);
	virtio_pci_attach_vm(&fx->vp, &fx->vm_ops);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	int ret = setup_with(state, 3, true);
	struct fx *fx = *state;

	/* the one line about ioeventfds this VM refuses */
	assert_int_equal(fx->nlog, 1);
	assert_non_null(strstr(fx->log[0], "no ioeventfds here; queue notifications exit"));
	fx->nlog = 0;
	return ret;
}

static int setup_intx(void **state)
{
	int ret = setup_with(state, 0, true);

	((struct fx *)*state)->nlog = 0;
	return ret;
}

static int setup_ioeventfd(void **state)
{
	return setup_with(state, 3, false);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	virtio_pci_destroy(&fx->vp);
	pci_bus_fini(&fx->pci);
	log_set_sink(NULL, NULL);
	mem_manager_destroy(fx->mm);
	free(fx->dev.e);
	free(fx->ram);
	free(fx);
	return 0;
}

/* ---- the driver's accesses ---- */

static uint32_t cfg_read(struct fx *fx, unsigned reg, unsigned len)
{
	uint8_t d[4] = {0}, a[4];
	uint32_t addr = 0x80000000u | 2u << 11 | (reg & 0xfc);

	memcpy(a, &addr, 4);
	bus_access(&fx->pio, 0xcf8, a, 4, true);
	bus_access(&fx->pio, 0xcfc + (reg & 3), d, len, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void cfg_write(struct fx *fx, unsigned reg, uint32_t v, unsigned len)
{
	uint8_t d[4], a[4];
	uint32_t addr = 0x80000000u | 2u << 11 | (reg & 0xfc);

	memcpy(a, &addr, 4);
	memcpy(d, &v, 4);
	bus_access(&fx->pio, 0xcf8, a, 4, true);
	bus_access(&fx->pio, 0xcfc + (reg & 3), d, len, true);
}

static uint64_t rd(struct fx *fx, uint64_t addr, unsigned len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	bus_access(&fx->mmio, addr, d, len, false);
	memcpy(&v, d, len);
	return v;
}

static void wr(struct fx *fx, uint64_t addr, uint64_t v, unsigned len)
{
	uint8_t d[8];

	memcpy(d, &v, 8);
	bus_access(&fx->mmio, addr, d, len, true);
}

#define COMMON(fx, off) ((fx)->bar4 + VIRTIO_PCI_COMMON + (off))

/* wait for an eventfd (the device's interrupt) */
static bool signalled(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static void put(struct fx *fx, uint64_t gpa, uint64_t v, unsigned len)
{
	memcpy(fx->ram + gpa, &v, len);
}

static uint64_t get(struct fx *fx, uint64_t gpa, unsigned len)
{
	uint64_t v = 0;
	memcpy(&v, fx->ram + gpa, len);
	return v;
}

/* Linux's vp_modern_probe + virtio_dev_probe + setup_vq, for queue 0. */
static void driver_init(struct fx *fx, bool msix)
{
	wr(fx, COMMON(fx, 0x14), VIRTIO_STATUS_ACKNOWLEDGE, 1);
	wr(fx, COMMON(fx, 0x14), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	wr(fx, COMMON(fx, 0x08), 0, 4);
	wr(fx, COMMON(fx, 0x0c), 1u << 1 | 1u << VIRTIO_RING_F_EVENT_IDX, 4);
	wr(fx, COMMON(fx, 0x08), 1, 4);
	wr(fx, COMMON(fx, 0x0c), 1, 4); /* VERSION_1 */
	wr(fx, COMMON(fx, 0x14), 0x0b, 1);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 0x0b); /* FEATURES_OK stuck */
	if (msix) {
		/* the table entries first, then MSI-X on, then the vectors */
		for (unsigned v = 0; v < 3; v++) {
			wr(fx, fx->bar1 + 16 * v, 0xfee00000 + v, 4);
			wr(fx, fx->bar1 + 16 * v + 4, 0, 4);
			wr(fx, fx->bar1 + 16 * v + 8, 0x40 + v, 4);
			wr(fx, fx->bar1 + 16 * v + 12, 0, 4);
		}
		cfg_write(fx, 0x98 + 2, 0x8000, 2);
		wr(fx, COMMON(fx, 0x10), 0, 2);
		assert_int_equal(rd(fx, COMMON(fx, 0x10), 2), 0);
	}
	wr(fx, COMMON(fx, 0x16), 0, 2);
	assert_int_equal(rd(fx, COMMON(fx, 0x18), 2), 64);
	wr(fx, COMMON(fx, 0x18), QSIZE, 2);
	wr(fx, COMMON(fx, 0x20), DESC, 4);
	wr(fx, COMMON(fx, 0x24), 0, 4);
	wr(fx, COMMON(fx, 0x28), AVAIL, 4);
	wr(fx, COMMON(fx, 0x2c), 0, 4);
	wr(fx, COMMON(fx, 0x30), USED, 4);
	wr(fx, COMMON(fx, 0x34), 0, 4);
	if (msix) {
		wr(fx, COMMON(fx, 0x1a), 1, 2);
		assert_int_equal(rd(fx, COMMON(fx, 0x1a), 2), 1);
	}
	assert_int_equal(rd(fx, COMMON(fx, 0x1e), 2), 0);
	wr(fx, COMMON(fx, 0x1c), 1, 2);
	assert_int_equal(rd(fx, COMMON(fx, 0x1c), 2), 1);
	wr(fx, COMMON(fx, 0x14), 0x0f, 1);
}

/* One request: "abc" out, 16 bytes in; kick through the notify region. */
static void request(struct fx *fx, uint16_t head)
{
	uint16_t idx = (uint16_t)get(fx, AVAIL + 2, 2);

	memcpy(fx->ram + DATA, "abc", 3);
	put(fx, DESC + 16 * head, DATA, 8);
	put(fx, DESC + 16 * head + 8, 3, 4);
	put(fx, DESC + 16 * head + 12, VIRTQ_DESC_F_NEXT, 2);
	put(fx, DESC + 16 * head + 14, (head + 1u) % QSIZE, 2);
	put(fx, DESC + 16 * ((head + 1u) % QSIZE), DATA + 0x100, 8);
	put(fx, DESC + 16 * ((head + 1u) % QSIZE) + 8, 16, 4);
	put(fx, DESC + 16 * ((head + 1u) % QSIZE) + 12, VIRTQ_DESC_F_WRITE, 2);
	put(fx, AVAIL + 4 + 2 * (idx % QSIZE), head, 2);
	put(fx, AVAIL + 2, (uint16_t)(idx + 1), 2);
	wr(fx, fx->bar4 + VIRTIO_PCI_NOTIFY + 0 * VIRTIO_PCI_NOTIFY_MULTIPLIER, 0, 2);
}

static void wait_served(struct fx *fx, unsigned n)
{
	for (int i = 0; i < 2000 && fx->dev.served < n; i++)
		usleep(1000);
	assert_int_equal(fx->dev.served, n);
}

/* ---- tests ---- */

/* What lspci and Linux's virtio_pci_modern find in config space. */
static void test_config_space(void **state)
{
	struct fx *fx = *state;
	static const uint8_t types[] = {0, 5, 2, 4, 3, 1}; /* from 0x98 down */
	unsigned c, i = 0;

	assert_int_equal(cfg_read(fx, 0x00, 4), 0x10451af4);
	assert_int_equal(cfg_read(fx, 0x08, 4), 0x00ff0001);
	assert_int_equal(cfg_read(fx, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_read(fx, 0x3d, 1), 1);
	assert_true(cfg_read(fx, 0x06, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_read(fx, 0x20, 4), (uint32_t)fx->bar4 | 0xc);
	assert_int_equal(cfg_read(fx, 0x14, 4), (uint32_t)fx->bar1);
	/* QEMU's order: MSI-X at 0x98, then the vendor capabilities */
	assert_int_equal(cfg_read(fx, 0x34, 1), 0x98);
	for (c = cfg_read(fx, 0x34, 1); c; c = cfg_read(fx, c + 1, 1), i++) {
		if (i == 0) {
			assert_int_equal(cfg_read(fx, c, 1), 0x11);
			assert_int_equal(cfg_read(fx, c + 2, 2), 2); /* 3 vectors */
			assert_int_equal(cfg_read(fx, c + 4, 4), 1); /* table in BAR1 */
			assert_int_equal(cfg_read(fx, c + 8, 4), 0x801);
			continue;
		}
		assert_int_equal(cfg_read(fx, c, 1), 0x09);
		assert_int_equal(cfg_read(fx, c + 3, 1), types[i]);
		if (types[i] == 5)
			continue;
		assert_int_equal(cfg_read(fx, c + 4, 1), 4);
		assert_int_equal(cfg_read(fx, c + 12, 4), 0x1000);
		if (types[i] == 2) {
			assert_int_equal(cfg_read(fx, c + 8, 4), 0x3000);
			assert_int_equal(cfg_read(fx, c + 16, 4), 4);
		}
	}
	assert_int_equal(i, 6);
	/* the INTx line is bound at the planned GSI */
	assert_int_equal(fx->vm.intx_binds, 1);
	assert_int_equal(fx->vm.intx_gsi, pci_intx_gsi(2, PCI_INTA));
}

static void test_features(void **state)
{
	struct fx *fx = *state;

	wr(fx, COMMON(fx, 0x00), 0, 4);
	assert_int_equal(rd(fx, COMMON(fx, 0x04), 4), 1u << 1 | 1u << VIRTIO_RING_F_INDIRECT_DESC |
							  1u << VIRTIO_RING_F_EVENT_IDX);
	wr(fx, COMMON(fx, 0x00), 1, 4);
	assert_int_equal(rd(fx, COMMON(fx, 0x04), 4), 1); /* VERSION_1 */
	wr(fx, COMMON(fx, 0x00), 2, 4);
	assert_int_equal(rd(fx, COMMON(fx, 0x04), 4), 0);
	assert_int_equal(rd(fx, COMMON(fx, 0x12), 2), 2);
	/* a legacy driver (no VERSION_1) is refused */
	wr(fx, COMMON(fx, 0x14), 3, 1);
	wr(fx, COMMON(fx, 0x08), 0, 4);
	wr(fx, COMMON(fx, 0x0c), 1u << 1, 4);
	wr(fx, COMMON(fx, 0x14), 0x0b, 1);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 3);
	/* so is a feature the device did not offer */
	wr(fx, COMMON(fx, 0x14), 0, 1);
	wr(fx, COMMON(fx, 0x14), 3, 1);
	wr(fx, COMMON(fx, 0x08), 1, 4);
	wr(fx, COMMON(fx, 0x0c), 1 | 1u << 2, 4);
	wr(fx, COMMON(fx, 0x14), 0x0b, 1);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 3);
	assert_int_equal(virtio_pci_features(&fx->vp), 0);
}

static void test_request_msix(void **state)
{
	struct fx *fx = *state;
	int fd;

	driver_init(fx, true);
	assert_true(fx->vm.msi_binds >= 3);
	assert_int_equal(fx->vm.last_msi_addr, 0xfee00002);
	assert_int_equal(fx->vm.last_msi_data, 0x42);
	fd = fx->vp.vector_fd[1];
	request(fx, 0);
	wait_served(fx, 1);
	assert_true(signalled(fd, 1000));
	assert_int_equal(get(fx, USED + 2, 2), 1);
	assert_int_equal(get(fx, USED + 4, 4), 0);
	assert_int_equal(get(fx, USED + 8, 4), 3);
	assert_memory_equal(fx->ram + DATA + 0x100, "cba", 3);
	/* EVENT_IDX: the device asks for the next kick */
	assert_int_equal(get(fx, USED + 4 + 8 * QSIZE, 2), 1);

	/* masked: the interrupt waits in the PBA, and comes on unmask */
	put(fx, AVAIL + 4 + 2 * QSIZE, 1, 2); /* used_event: after this one */
	wr(fx, fx->bar1 + 16 + 12, 1, 4);
	request(fx, 2);
	wait_served(fx, 2);
	assert_false(signalled(fd, 50));
	assert_int_equal(rd(fx, fx->bar1 + VIRTIO_PCI_MSIX_PBA, 4), 2);
	wr(fx, fx->bar1 + 16 + 12, 0, 4);
	assert_true(signalled(fd, 1000));
	assert_int_equal(rd(fx, fx->bar1 + VIRTIO_PCI_MSIX_PBA, 4), 0);
	/* a vector the device does not have reads back as NO_VECTOR */
	wr(fx, COMMON(fx, 0x16), 1, 2);
	wr(fx, COMMON(fx, 0x1a), 7, 2);
	assert_int_equal(rd(fx, COMMON(fx, 0x1a), 2), VIRTIO_MSI_NO_VECTOR);
	/* MSI-X off: routes go */
	cfg_write(fx, 0x98 + 2, 0, 2);
	assert_int_equal(fx->vm.msi_unbinds, 3);
}

static void test_request_intx(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(cfg_read(fx, 0x34, 1), 0x84); /* no MSI-X capability */
	driver_init(fx, false);
	request(fx, 0);
	wait_served(fx, 1);
	assert_true(signalled(fx->vp.intx_fd, 1000));
	/* reading ISR acknowledges */
	assert_int_equal(rd(fx, fx->bar4 + VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(rd(fx, fx->bar4 + VIRTIO_PCI_ISR, 1), 0);
	/* the guest's EOI while the ISR is clear: the line stays down */
	{
		uint64_t one = 1;
		assert_int_equal(write(fx->vp.resample_fd, &one, 8), 8);
	}
	assert_false(signalled(fx->vp.intx_fd, 100));
	/* config change: ISR bit 1 */
	virtio_pci_config_changed(&fx->vp);
	assert_true(signalled(fx->vp.intx_fd, 1000));
	assert_int_equal(rd(fx, fx->bar4 + VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
	assert_int_equal(rd(fx, COMMON(fx, 0x15), 1), 1);
	/* device config is the device's */
	wr(fx, fx->bar4 + VIRTIO_PCI_DEVICE_CFG + 4, 0x12345678, 4);
	assert_int_equal(rd(fx, fx->bar4 + VIRTIO_PCI_DEVICE_CFG + 4, 4), 0x12345678);
	assert_int_equal(rd(fx, fx->bar4 + VIRTIO_PCI_DEVICE_CFG + 6, 4), 0); /* past its end */
}

/* A broken ring: NEEDS_RESET, a config interrupt, one log line; the device
 * ignores kicks until the driver resets it, then works again. */
static void test_needs_reset(void **state)
{
	struct fx *fx = *state;

	driver_init(fx, true);
	put(fx, AVAIL + 4, 99, 2); /* head beyond the queue */
	put(fx, AVAIL + 2, 1, 2);
	wr(fx, fx->bar4 + VIRTIO_PCI_NOTIFY, 0, 2);
	assert_true(signalled(fx->vp.vector_fd[0], 1000)); /* config vector */
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 0x4f);
	assert_int_equal(fx->nlog, 1);
	assert_non_null(strstr(fx->log[0], "virtio-echo-pci 00:02.0: virtqueue 0: available ring "
					   "entry 0 names descriptor 99"));
	assert_non_null(strstr(fx->log[0], "the device needs a reset"));
	/* kicks change nothing now, and the log stays quiet */
	put(fx, AVAIL + 2, 1, 2);
	for (int i = 0; i < 20; i++)
		wr(fx, fx->bar4 + VIRTIO_PCI_NOTIFY, 0, 2);
	usleep(50 * 1000);
	assert_int_equal(fx->dev.served, 0);
	assert_int_equal(fx->nlog, 1);
	/* the driver cannot clear NEEDS_RESET but by resetting */
	wr(fx, COMMON(fx, 0x14), 0x0f, 1);
	assert_true(rd(fx, COMMON(fx, 0x14), 1) & VIRTIO_STATUS_NEEDS_RESET);
	wr(fx, COMMON(fx, 0x14), 0, 1);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 0);
	assert_int_equal(rd(fx, COMMON(fx, 0x1c), 2), 0);
	memset(fx->ram, 0, RAM_SIZE);
	driver_init(fx, true);
	request(fx, 0);
	wait_served(fx, 1);
}

/* Rings outside guest RAM at enable: NEEDS_RESET, not a crash. */
static void test_bad_ring_address(void **state)
{
	struct fx *fx = *state;

	wr(fx, COMMON(fx, 0x14), 3, 1);
	wr(fx, COMMON(fx, 0x16), 0, 2);
	wr(fx, COMMON(fx, 0x20), 0xfff00000, 4);
	wr(fx, COMMON(fx, 0x24), 0xffffffff, 4);
	wr(fx, COMMON(fx, 0x1c), 1, 2);
	assert_int_equal(rd(fx, COMMON(fx, 0x1c), 2), 0);
	assert_true(rd(fx, COMMON(fx, 0x14), 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_non_null(strstr(fx->log[0], "descriptor table"));
}

/* A reset waits for the device to stop between two requests. */
static void test_reset_while_busy(void **state)
{
	struct fx *fx = *state;

	driver_init(fx, true);
	atomic_store(&fx->dev.slow_ms, 100);
	request(fx, 0);
	request(fx, 2);
	request(fx, 4);
	usleep(20 * 1000);
	wr(fx, COMMON(fx, 0x14), 0, 1); /* returns once the device is idle */
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 0);
	assert_true(atomic_load(&fx->dev.saw_stop));
	assert_true(fx->dev.served < 3);
	assert_true(fx->dev.resets >= 2);
	atomic_store(&fx->dev.slow_ms, 0);
}

/* Doorbells: ioeventfds follow BAR4, one per queue, 4 bytes apart. */
static void test_ioeventfds(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx->vm.ioeventfds_on, 2);
	assert_int_equal(fx->vm.ioeventfd_addr[0], fx->bar4 + VIRTIO_PCI_NOTIFY);
	assert_int_equal(fx->vm.ioeventfd_addr[1], fx->bar4 + VIRTIO_PCI_NOTIFY + 4);
	cfg_write(fx, PCI_COMMAND, 0, 2); /* decoding off: gone */
	assert_int_equal(fx->vm.ioeventfds_off, 2);
	cfg_write(fx, 0x20, (uint32_t)fx->bar4 + 0x10000, 4);
	cfg_write(fx, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(fx->vm.ioeventfds_on, 4);
	assert_int_equal(fx->vm.ioeventfd_addr[2], fx->bar4 + 0x10000 + VIRTIO_PCI_NOTIFY);
	/* a new VM after a reset: bound again */
	virtio_pci_detach_vm(&fx->vp);
	virtio_pci_reset(&fx->vp);
	pci_bus_reset(&fx->pci);
	virtio_pci_attach_vm(&fx->vp, &fx->vm_ops);
	assert_int_equal(fx->vm.ioeventfd_addr[4], fx->bar4 + VIRTIO_PCI_NOTIFY);
	assert_int_equal(fx->vm.intx_binds, 2);
}

/* The PCI config access capability reaches BAR4's registers. */
static void test_pci_cfg_window(void **state)
{
	struct fx *fx = *state;
	unsigned c = 0x84;

	assert_int_equal(cfg_read(fx, c + 3, 1), 5);
	wr(fx, COMMON(fx, 0x14), 3, 1);
	cfg_write(fx, c + 4, 4, 1);
	cfg_write(fx, c + 8, 0x14, 4);
	cfg_write(fx, c + 12, 1, 4);
	assert_int_equal(cfg_read(fx, c + 16, 1), 3);
	cfg_write(fx, c + 16, 7, 1);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 7);
	/* nonsense windows do nothing */
	cfg_write(fx, c + 4, 9, 1);
	cfg_write(fx, c + 16, 0, 4);
	cfg_write(fx, c + 4, 4, 1);
	cfg_write(fx, c + 8, 0xffffff00, 4);
	cfg_write(fx, c + 16, 0, 4);
	assert_int_equal(rd(fx, COMMON(fx, 0x14), 1), 7);
}

/* Random register traffic: no crash, nothing outside guest RAM. */
static void test_random_registers(void **state)
{
	struct fx *fx = *state;

	srand(3);
	for (unsigned i = 0; i < 100000; i++) {
		unsigned len = 1u << (rand() % 4);
		uint64_t v = (uint64_t)rand() << 32 | (uint64_t)rand();
		uint64_t off = (uint64_t)rand() % (i % 3 ? 0x40 : 0x4000);

		if (rand() % 50 == 0)
			v &= 0xf; /* small values: queue selects, statuses */
		switch (rand() % 4) {
		case 0:
			wr(fx, fx->bar4 + off, v, len);
			break;
		case 1:
			rd(fx, fx->bar4 + off, len);
			break;
		case 2:
			wr(fx, fx->bar1 + (uint64_t)rand() % 4096, v, len);
			break;
		default:
			cfg_write(fx, (unsigned)rand() % 256, (uint32_t)v, len > 4 ? 4 : len);
		}
		if (rand() % 100 == 0)
			put(fx, AVAIL + 2, (uint64_t)rand(), 2);
	}
	usleep(50 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_features, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_msix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_intx, setup_intx, teardown),
	    cmocka_unit_test_setup_teardown(test_needs_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ring_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_while_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ioeventfds, setup_ioeventfd, teardown),
	    cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_registers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
