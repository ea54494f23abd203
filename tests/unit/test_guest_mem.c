/* guest_mem: the one GPA -> host pointer translation must refuse every
 * range that is not wholly inside one region. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem/guest_mem.h"

static uint8_t low[64 * 1024], high[32 * 1024];
static struct backend b_low = {
    .id = "low", .size = sizeof(low), .page_size = 4096, .fd = -1, .hva = low};
static struct backend b_high = {
    .id = "high", .size = sizeof(high), .page_size = 4096, .fd = -1, .hva = high};

static void setup_map(struct guest_mem *gm)
{
	struct kverr err;
	memset(gm, 0, sizeof(*gm));
	assert_int_equal(guest_mem_add(gm, "low", 0, sizeof(low), &b_low, 0, &err), 0);
	/* a window onto the second half of 'high' placed at 1 MiB */
	assert_int_equal(guest_mem_add(gm, "high", 0x100000, 16384, &b_high, 16384, &err), 0);
}

static void test_translate_inside(void **state)
{
	struct guest_mem gm;
	(void)state;
	setup_map(&gm);
	assert_ptr_equal(guest_mem_ptr(&gm, 0, 1), low);
	assert_ptr_equal(guest_mem_ptr(&gm, 100, 16), low + 100);
	assert_ptr_equal(guest_mem_ptr(&gm, 0, sizeof(low)), low);
	assert_ptr_equal(guest_mem_ptr(&gm, sizeof(low) - 1, 1), low + sizeof(low) - 1);
	assert_ptr_equal(guest_mem_ptr(&gm, 0x100000, 8), high + 16384);
	assert_ptr_equal(guest_mem_ptr(&gm, 0x100000 + 16383, 1), high + 32767);
}

static void test_translate_refuses(void **state)
{
	struct guest_mem gm;
	(void)state;
	setup_map(&gm);
	/* crossing a region's end, even by one byte */
	assert_null(guest_mem_ptr(&gm, sizeof(low) - 1, 2));
	assert_null(guest_mem_ptr(&gm, 0, sizeof(low) + 1));
	assert_null(guest_mem_ptr(&gm, 0x100000 + 16383, 2));
	/* holes */
	assert_null(guest_mem_ptr(&gm, sizeof(low), 1));
	assert_null(guest_mem_ptr(&gm, 0xfffff, 1));
	assert_null(guest_mem_ptr(&gm, 0xfffff, 2));
	/* overflow of gpa + len */
	assert_null(guest_mem_ptr(&gm, 16, UINT64_MAX));
	assert_null(guest_mem_ptr(&gm, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&gm, 0x100000, UINT64_MAX - 0x100000 + 2));
	/* empty ranges are refused: a caller never needs a pointer for 0 bytes */
	assert_null(guest_mem_ptr(&gm, 0, 0));
}

static void test_add_refuses(void **state)
{
	struct guest_mem gm;
	struct kverr err;
	(void)state;
	setup_map(&gm);
	/* overlap with an existing region */
	assert_int_equal(guest_mem_add(&gm, "x", 0x1000, 4096, &b_low, 0, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "overlaps low"));
	/* window leaving its backend */
	assert_int_equal(guest_mem_add(&gm, "y", 0x200000, 8192, &b_high, 28672, &err), -EINVAL);
	assert_int_equal(guest_mem_add(&gm, "y", 0x200000, 4096, &b_high, UINT64_MAX, &err),
			 -EINVAL);
	/* wrapping the address space */
	assert_int_equal(guest_mem_add(&gm, "z", UINT64_MAX - 4095, 8192, &b_high, 0, &err),
			 -EINVAL);
	assert_int_equal(gm.nr, 2);
}

static void test_read_write(void **state)
{
	struct guest_mem gm;
	struct kverr err;
	char buf[8] = "abcdefg";
	char out[8];
	(void)state;
	setup_map(&gm);
	assert_int_equal(guest_mem_write(&gm, 0x100010, buf, sizeof(buf), &err), 0);
	assert_memory_equal(high + 16384 + 16, buf, sizeof(buf));
	assert_int_equal(guest_mem_read(&gm, 0x100010, out, sizeof(out), &err), 0);
	assert_memory_equal(out, buf, sizeof(buf));
	assert_int_equal(guest_mem_write(&gm, sizeof(low) - 4, buf, sizeof(buf), &err), -EFAULT);
	assert_non_null(strstr(err.msg, "0xfffc+0x8"));
}

/* A copy may cross from one region into the next when nothing lies
 * between them; a gap anywhere refuses the whole copy and writes nothing. */
static void test_copy_across_adjacent(void **state)
{
	struct guest_mem gm;
	struct kverr err;
	uint8_t buf[64], out[64];
	(void)state;
	setup_map(&gm);
	/* the first half of 'high' right after 'low': adjacent to it */
	assert_int_equal(guest_mem_add(&gm, "mid", sizeof(low), 16384, &b_high, 0, &err), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	assert_int_equal(guest_mem_write(&gm, sizeof(low) - 16, buf, sizeof(buf), &err), 0);
	assert_memory_equal(low + sizeof(low) - 16, buf, 16);
	assert_memory_equal(high, buf + 16, sizeof(buf) - 16);
	memset(out, 0, sizeof(out));
	assert_int_equal(guest_mem_read(&gm, sizeof(low) - 16, out, sizeof(out), &err), 0);
	assert_memory_equal(out, buf, sizeof(buf));
	/* a pointer is still only ever inside one region */
	assert_null(guest_mem_ptr(&gm, sizeof(low) - 16, sizeof(buf)));
	/* 'mid' ends at 80 KiB, 'high' starts at 1 MiB: the gap refuses it all */
	memset(high + 16384 - 8, 0xee, 8);
	assert_int_equal(guest_mem_write(&gm, sizeof(low) + 16384 - 8, buf, 16, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "0x13ff8+0x10 is not inside guest RAM"));
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(high[16384 - 8 + i], 0xee);
	/* running off the end of the last region, and wrapping */
	assert_int_equal(guest_mem_read(&gm, 0x100000 + 16384 - 4, out, 8, &err), -EFAULT);
	assert_int_equal(guest_mem_read(&gm, 16, out, UINT64_MAX, &err), -EFAULT);
	assert_int_equal(guest_mem_write(&gm, UINT64_MAX - 1, buf, 4, &err), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_translate_inside),	 cmocka_unit_test(test_translate_refuses),
	    cmocka_unit_test(test_add_refuses),		 cmocka_unit_test(test_read_write),
	    cmocka_unit_test(test_copy_across_adjacent),
	};
	return cmocka_run_group_tests_name("guest_mem", tests, NULL, NULL);
}
