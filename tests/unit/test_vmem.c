/* test_vmem.c - the virtio-mem device as its driver sees it: the config
 * space, the answer to each request (ACK, NACK, BUSY, ERROR, the STATE),
 * protocol violations with QEMU 7.2's messages, requested-size and the
 * usable region, and a reset that unplugs everything.  The memory behind
 * it is a fake block map here (the model's contract); test_vmem_blocks.c
 * puts the memory manager behind it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "virtio/mem.h"

#include "../support/vmem_request.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define BLOCK (2 * MiB)
#define BASE (4 * GiB)
#define REGION (1 * GiB)
#define NBLOCKS (REGION / BLOCK)

struct fake {
	bool plugged[NBLOCKS];
	unsigned plug_calls, unplug_calls, config_calls, size_calls;
	uint64_t last_size;
	int fail; /* errno the next plug/unplug fails with */
};

static int fake_set(struct fake *f, uint64_t off, uint64_t size, bool plug, struct kverr *err)
{
	assert_int_equal(off % BLOCK, 0);
	assert_int_equal(size % BLOCK, 0);
	assert_true(off + size <= REGION);
	if (f->fail)
		return kverr_set(err, f->fail, "fake memory refuses");
	for (uint64_t b = off / BLOCK; b < (off + size) / BLOCK; b++)
		f->plugged[b] = plug;
	return 0;
}

static int fake_plug(void *ctx, uint64_t off, uint64_t size, struct kverr *err)
{
	struct fake *f = ctx;

	f->plug_calls++;
	/* the model only plugs blocks that are all unplugged */
	for (uint64_t b = off / BLOCK; b < (off + size) / BLOCK; b++)
		assert_false(f->plugged[b]);
	return fake_set(f, off, size, true, err);
}

static int fake_unplug(void *ctx, uint64_t off, uint64_t size, struct kverr *err)
{
	struct fake *f = ctx;

	f->unplug_calls++;
	return fake_set(f, off, size, false, err);
}

static enum vmem_state fake_state(void *ctx, uint64_t off, uint64_t size)
{
	struct fake *f = ctx;
	bool p = false, u = false;

	for (uint64_t b = off / BLOCK; b < (off + size) / BLOCK; b++)
		*(f->plugged[b] ? &p : &u) = true;
	return p && u ? VIRTIO_MEM_STATE_MIXED
		      : (p ? VIRTIO_MEM_STATE_PLUGGED : VIRTIO_MEM_STATE_UNPLUGGED);
}

static void fake_size(void *ctx, uint64_t plugged)
{
	struct fake *f = ctx;

	f->size_calls++;
	f->last_size = plugged;
}

static void fake_config(void *ctx)
{
	((struct fake *)ctx)->config_calls++;
}

static struct fake fk;
static struct vmem dev;

static struct vmem *setup(uint64_t requested)
{
	struct vmem_params p = {.block_size = BLOCK,
				.addr = BASE,
				.region_size = REGION,
				.requested_size = requested,
				.node = 1,
				.unplugged_inaccessible = true};
	struct vmem_mem_ops ops = {.ctx = &fk,
				   .plug = fake_plug,
				   .unplug = fake_unplug,
				   .state = fake_state,
				   .size_changed = fake_size,
				   .config_changed = fake_config};
	struct kverr err;

	memset(&fk, 0, sizeof(fk));
	assert_int_equal(vmem_init(&dev, &p, &ops, &err), 0);
	return &dev;
}

static uint64_t cfg64(struct vmem *v, uint32_t off)
{
	uint8_t b[8];
	uint64_t x = 0;

	vmem_config_read(v, off, b, 8);
	for (int i = 7; i >= 0; i--)
		x = x << 8 | b[i];
	return x;
}

/* Send one request as the driver lays it out; returns the answer type,
 * *state the STATE answer. */
static int request(struct vmem *v, uint16_t type, uint64_t addr, uint16_t nb, uint16_t *state)
{
	return test_vmem_request(v, type, addr, nb, state);
}

static int plug(struct vmem *v, uint64_t addr, uint16_t nb)
{
	return request(v, VIRTIO_MEM_REQ_PLUG, addr, nb, NULL);
}

static int unplug(struct vmem *v, uint64_t addr, uint16_t nb)
{
	return request(v, VIRTIO_MEM_REQ_UNPLUG, addr, nb, NULL);
}

static uint16_t state_of(struct vmem *v, uint64_t addr, uint16_t nb)
{
	uint16_t s = 0xffff;

	assert_int_equal(request(v, VIRTIO_MEM_REQ_STATE, addr, nb, &s), VIRTIO_MEM_RESP_ACK);
	return s;
}

static void test_config_space(void **state)
{
	struct vmem *v = setup(256 * MiB);
	uint8_t b[4];

	(void)state;
	assert_int_equal(cfg64(v, 0), BLOCK);
	vmem_config_read(v, 8, b, 2);
	assert_int_equal(b[0] | b[1] << 8, 1); /* node_id */
	assert_int_equal(cfg64(v, 16), BASE);
	assert_int_equal(cfg64(v, 24), REGION);
	/* usable: requested-size + 256 MiB, as QEMU sizes it */
	assert_int_equal(cfg64(v, 32), 512 * MiB);
	assert_int_equal(cfg64(v, 40), 0);
	assert_int_equal(cfg64(v, 48), 256 * MiB);
	/* past the end reads zeros; a read across the end is cut */
	vmem_config_read(v, VIRTIO_MEM_CONFIG_SIZE - 2, b, 4);
	assert_int_equal(b[2] | b[3], 0);
	vmem_config_read(v, UINT32_MAX - 1, b, 4);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
}

static void test_usable_region(void **state)
{
	struct kverr err;

	(void)state;
	/* nothing requested: nothing usable */
	assert_int_equal(cfg64(setup(0), 32), 0);
	/* near the end the region is the limit */
	assert_int_equal(cfg64(setup(900 * MiB), 32), REGION);
	/* QEMU accepts a requested-size above the region at start */
	assert_int_equal(cfg64(setup(2 * GiB), 32), REGION);
	/* growing requested-size grows it; shrinking does not shrink it */
	struct vmem *v = setup(0);
	assert_int_equal(vmem_set_requested_size(v, 100 * MiB, &err), 0);
	assert_int_equal(cfg64(v, 32), 356 * MiB);
	assert_int_equal(cfg64(v, 48), 100 * MiB);
	assert_int_equal(vmem_set_requested_size(v, 0, &err), 0);
	assert_int_equal(cfg64(v, 32), 356 * MiB);
	assert_int_equal(cfg64(v, 48), 0);
	/* UNPLUG_ALL shrinks it to what requested-size needs */
	assert_int_equal(request(v, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 32), 0);
}

static void test_plug_unplug(void **state)
{
	struct vmem *v = setup(64 * MiB);

	(void)state;
	assert_int_equal(plug(v, BASE, 4), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), 8 * MiB);
	assert_int_equal(fk.last_size, 8 * MiB);
	assert_true(fk.plugged[0] && fk.plugged[3] && !fk.plugged[4]);
	assert_int_equal(plug(v, BASE + 16 * MiB, 2), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), 12 * MiB);
	assert_int_equal(state_of(v, BASE, 4), VIRTIO_MEM_STATE_PLUGGED);
	assert_int_equal(state_of(v, BASE, 5), VIRTIO_MEM_STATE_MIXED);
	assert_int_equal(state_of(v, BASE + 8 * MiB, 4), VIRTIO_MEM_STATE_UNPLUGGED);
	assert_int_equal(unplug(v, BASE + 2 * MiB, 2), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), 8 * MiB);
	assert_int_equal(fk.last_size, 8 * MiB);
	assert_int_equal(fk.size_calls, 3);
	assert_int_equal(state_of(v, BASE, 4), VIRTIO_MEM_STATE_MIXED);
}

static void test_nack_above_requested(void **state)
{
	struct vmem *v = setup(8 * MiB);

	(void)state;
	assert_int_equal(plug(v, BASE, 4), VIRTIO_MEM_RESP_ACK);
	/* one more block would pass requested-size (inside the usable region) */
	assert_int_equal(plug(v, BASE + 8 * MiB, 1), VIRTIO_MEM_RESP_NACK);
	assert_int_equal(cfg64(v, 40), 8 * MiB);
	assert_int_equal(fk.plug_calls, 1);
	assert_false(fk.plugged[4]);
}

static void test_error_ranges(void **state)
{
	struct vmem *v = setup(64 * MiB); /* usable: 320 MiB */
	uint16_t s;

	(void)state;
	/* misaligned, empty, below the region, past the usable region, wrapping */
	assert_int_equal(plug(v, BASE + 4096, 1), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, BASE, 0), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, BASE - BLOCK, 1), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, BASE + 320 * MiB, 1), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, BASE + 318 * MiB, 2), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, UINT64_MAX - BLOCK + 1, 2), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(plug(v, 0, 0xffff), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(request(v, VIRTIO_MEM_REQ_STATE, BASE + 320 * MiB, 1, &s),
			 VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(unplug(v, BASE + 4096, 1), VIRTIO_MEM_RESP_ERROR);
	/* the last usable block is fine */
	assert_int_equal(plug(v, BASE + 318 * MiB, 1), VIRTIO_MEM_RESP_ACK);
	/* not wholly in the opposite state */
	assert_int_equal(plug(v, BASE + 316 * MiB, 2), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(unplug(v, BASE + 316 * MiB, 2), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(unplug(v, BASE, 1), VIRTIO_MEM_RESP_ERROR);
	assert_int_equal(fk.plug_calls, 1);
	assert_int_equal(fk.unplug_calls, 0);
	assert_int_equal(cfg64(v, 40), 2 * MiB);
}

static void test_busy(void **state)
{
	struct vmem *v = setup(64 * MiB);

	(void)state;
	fk.fail = ENOMEM; /* e.g. prealloc found no huge page */
	assert_int_equal(plug(v, BASE, 2), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(cfg64(v, 40), 0);
	assert_int_equal(fk.size_calls, 0);
	assert_string_equal(v->last_err.msg, "fake memory refuses");
	fk.fail = 0;
	assert_int_equal(plug(v, BASE, 2), VIRTIO_MEM_RESP_ACK);
	fk.fail = EIO;
	assert_int_equal(unplug(v, BASE, 2), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(request(v, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(cfg64(v, 40), 4 * MiB);
	fk.fail = 0;
	assert_int_equal(unplug(v, BASE, 2), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), 0);
}

static void test_unplug_all(void **state)
{
	struct vmem *v = setup(64 * MiB);

	(void)state;
	assert_int_equal(plug(v, BASE, 8), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(plug(v, BASE + 32 * MiB, 8), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(request(v, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), 0);
	assert_int_equal(fk.last_size, 0);
	for (unsigned b = 0; b < NBLOCKS; b++)
		assert_false(fk.plugged[b]);
	/* with nothing plugged it succeeds without touching memory */
	fk.unplug_calls = 0;
	assert_int_equal(request(v, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(fk.unplug_calls, 0);
}

static void test_protocol_violations(void **state)
{
	struct vmem *v = setup(64 * MiB);
	uint8_t req[VIRTIO_MEM_REQ_SIZE] = {0}, resp[VIRTIO_MEM_RESP_SIZE];
	size_t len = 0;
	struct kverr err;

	(void)state;
	assert_int_equal(vmem_handle_request(v, req, 23, 16, resp, &len, &err), -EPROTO);
	assert_string_equal(err.msg, "virtio-mem protocol violation: invalid request size: 24");
	assert_int_equal(vmem_handle_request(v, req, 24, 9, resp, &len, &err), -EPROTO);
	assert_string_equal(err.msg,
			    "virtio-mem protocol violation: not enough space for response: 9");
	req[0] = 4;
	assert_int_equal(vmem_handle_request(v, req, 24, 16, resp, &len, &err), -EPROTO);
	assert_string_equal(err.msg, "virtio-mem protocol violation: unknown request type: 4");
	assert_int_equal(fk.plug_calls + fk.unplug_calls, 0);
	/* a longer request (padding) is fine */
	req[0] = VIRTIO_MEM_REQ_UNPLUG_ALL;
	assert_int_equal(vmem_handle_request(v, req, 24, 10, resp, &len, &err), 0);
	assert_int_equal(resp[0], VIRTIO_MEM_RESP_ACK);
}

static void test_requested_size(void **state)
{
	struct vmem *v = setup(0);
	struct kverr err;

	(void)state;
	assert_int_equal(vmem_set_requested_size(v, 3 * MiB, &err), -EINVAL);
	assert_string_equal(err.msg, "'requested-size' has to be multiples of 'block-size' "
				     "(0x200000)");
	assert_int_equal(vmem_set_requested_size(v, 2 * GiB, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "'requested-size' cannot exceed the memory backend size(0x40000000)");
	assert_int_equal(fk.config_calls, 0);
	assert_int_equal(cfg64(v, 48), 0);
	/* the driver is told even when the value stays */
	assert_int_equal(vmem_set_requested_size(v, 0, &err), 0);
	assert_int_equal(fk.config_calls, 1);
	assert_int_equal(vmem_set_requested_size(v, REGION, &err), 0);
	assert_int_equal(cfg64(v, 48), REGION);
	assert_int_equal(cfg64(v, 32), REGION);
	assert_int_equal(plug(v, BASE, (uint16_t)NBLOCKS), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(cfg64(v, 40), REGION);
}

static void test_reset(void **state)
{
	struct vmem *v = setup(64 * MiB);
	struct kverr err;

	(void)state;
	assert_int_equal(plug(v, BASE, 8), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(vmem_set_requested_size(v, 512 * MiB, &err), 0);
	assert_int_equal(vmem_reset(v, &err), 0);
	assert_int_equal(cfg64(v, 40), 0);
	assert_int_equal(fk.last_size, 0);
	assert_false(fk.plugged[0]);
	/* requested-size stays; the guest plugs again after the reset */
	assert_int_equal(cfg64(v, 48), 512 * MiB);
	assert_int_equal(cfg64(v, 32), 768 * MiB);
}

static void test_features(void **state)
{
	struct vmem *v = setup(0);
	struct vmem_params p = {.block_size = BLOCK, .addr = BASE, .region_size = REGION};
	struct vmem_mem_ops ops = {
	    .ctx = &fk, .plug = fake_plug, .unplug = fake_unplug, .state = fake_state};
	struct vmem w;
	struct kverr err;

	(void)state;
	assert_int_equal(v->features, 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	/* offered: a driver that does not accept it is refused (QEMU) */
	assert_false(vmem_features_ok(v, 0));
	assert_true(vmem_features_ok(v, 1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
	assert_int_equal(vmem_init(&w, &p, &ops, &err), 0);
	assert_true(vmem_features_ok(&w, 0));
	/* inconsistent parameters are refused */
	p.block_size = 3 * MiB;
	assert_int_equal(vmem_init(&w, &p, &ops, &err), -EINVAL);
	p.block_size = BLOCK;
	p.region_size = REGION + 4096;
	assert_int_equal(vmem_init(&w, &p, &ops, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_space),   cmocka_unit_test(test_usable_region),
	    cmocka_unit_test(test_plug_unplug),	   cmocka_unit_test(test_nack_above_requested),
	    cmocka_unit_test(test_error_ranges),   cmocka_unit_test(test_busy),
	    cmocka_unit_test(test_unplug_all),	   cmocka_unit_test(test_protocol_violations),
	    cmocka_unit_test(test_requested_size), cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
