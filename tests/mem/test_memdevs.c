/* test_memdevs.c - the backend objects of object-add / object-del on real
 * memory: creation, QEMU's duplicate / not found / in use answers, a
 * failed creation that leaves nothing behind, object-del giving the
 * mapping back (gone from /proc/self/maps), and the alignment a DIMM gets
 * for each kind of backend (QEMU 7.2's: 2 MiB for ram, the page size for
 * memfd and files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "mem/memdevs.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

static struct config_memdev parse(const char *arg)
{
	struct config_memdev md;
	struct kverr err;

	if (config_memdev_parse(&md, arg, MEMDEV_FROM_MONITOR, &err))
		fail_msg("%s: %s", arg, err.msg);
	return md;
}

/* Whether /proc/self/maps has a mapping starting at p. */
static bool mapped_at(const void *p)
{
	char line[256], start[32];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	assert_non_null(f);
	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)p);
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, start, strlen(start));
	fclose(f);
	return found;
}

static int add(struct memdevs *l, const char *arg, struct kverr *err)
{
	struct config_memdev md = parse(arg);
	int ret;

	memset(err, 0, sizeof(*err));
	ret = memdevs_create(l, &md, err);
	config_memdev_free(&md);
	return ret;
}

static void test_add_find_delete(void **state)
{
	struct memdevs l = {0};
	struct memdev *a;
	struct kverr err;
	void *hva;

	(void)state;
	assert_int_equal(add(&l, "memory-backend-ram,id=a,size=4M", &err), 0);
	assert_int_equal(add(&l, "memory-backend-memfd,id=b,size=2M", &err), 0);
	assert_int_equal(l.n, 2);
	a = memdevs_find(&l, "a");
	assert_non_null(a);
	assert_string_equal(a->spec.id, "a");
	assert_int_equal(a->host.size, 4 * MiB);
	assert_non_null(a->host.hva);
	assert_null(memdevs_find(&l, "c"));
	assert_null(memdevs_find(&l, NULL));

	/* QEMU 7.2's answers, word for word */
	assert_int_equal(add(&l, "memory-backend-ram,id=a,size=1M", &err), -EEXIST);
	assert_string_equal(err.msg,
			    "attempt to add duplicate property 'a' to object (type 'container')");
	assert_int_equal(memdevs_delete(&l, "zz", &err), -ENOENT);
	assert_string_equal(err.msg, "object 'zz' not found");
	a->mapped = true;
	assert_int_equal(memdevs_delete(&l, "a", &err), -EBUSY);
	assert_string_equal(err.msg, "object 'a' is in use, can not be deleted");
	assert_int_equal(l.n, 2);

	/* unused again: object-del gives the memory back */
	a->mapped = false;
	hva = a->host.hva;
	assert_true(mapped_at(hva));
	assert_int_equal(memdevs_delete(&l, "a", &err), 0);
	assert_false(mapped_at(hva));
	assert_int_equal(l.n, 1);
	assert_null(memdevs_find(&l, "a"));
	assert_non_null(memdevs_find(&l, "b"));
	/* the id is free again */
	assert_int_equal(add(&l, "memory-backend-ram,id=a,size=2M", &err), 0);
	assert_string_equal(l.obj[1]->spec.id, "a");
	memdevs_free(&l);
	assert_int_equal(l.n, 0);
}

/* A backend that cannot be created is not added, and the description the
 * caller gave stays the caller's. */
static void test_failed_create(void **state)
{
	struct memdevs l = {0};
	struct kverr err;

	(void)state;
	assert_int_equal(add(&l, "memory-backend-ram,id=a,size=2M", &err), 0);
	assert_int_not_equal(
	    add(&l, "memory-backend-file,id=f,size=2M,mem-path=/nonexistent-kvmem-dir/x", &err), 0);
	assert_non_null(strstr(err.msg, "'f'"));
	assert_int_equal(l.n, 1);
	assert_null(memdevs_find(&l, "f"));
	memdevs_free(&l);
}

/* Many objects: the list grows and every object stays where it was. */
static void test_many(void **state)
{
	struct memdevs l = {0};
	struct memdev *first;
	struct kverr err;
	char arg[64];

	(void)state;
	assert_int_equal(add(&l, "memory-backend-ram,id=m0,size=64K", &err), 0);
	first = l.obj[0];
	for (int i = 1; i < 40; i++) {
		snprintf(arg, sizeof(arg), "memory-backend-ram,id=m%d,size=64K", i);
		assert_int_equal(add(&l, arg, &err), 0);
	}
	assert_int_equal(l.n, 40);
	assert_ptr_equal(memdevs_find(&l, "m0"), first);
	for (int i = 39; i >= 0; i -= 2) {
		snprintf(arg, sizeof(arg), "m%d", i);
		assert_int_equal(memdevs_delete(&l, arg, &err), 0);
	}
	assert_int_equal(l.n, 20);
	assert_ptr_equal(memdevs_find(&l, "m0"), first);
	assert_null(memdevs_find(&l, "m1"));
	memdevs_free(&l);
}

static void test_device_align(void **state)
{
	struct memdevs l = {0};
	struct kverr err;
	char arg[128];

	(void)state;
	assert_int_equal(add(&l, "memory-backend-ram,id=small,size=4K", &err), 0);
	assert_int_equal(add(&l, "memory-backend-ram,id=big,size=1G,reserve=off", &err), 0);
	assert_int_equal(add(&l, "memory-backend-memfd,id=fd,size=8K", &err), 0);
	snprintf(arg, sizeof(arg), "memory-backend-file,id=file,size=4M,mem-path=/tmp");
	assert_int_equal(add(&l, arg, &err), 0);
	snprintf(arg, sizeof(arg), "memory-backend-file,id=file2m,size=4M,mem-path=/tmp,align=2M");
	assert_int_equal(add(&l, arg, &err), 0);
	/* QEMU: "backend memory size must be multiple of 0x200000" for a 1 MiB
	 * ram backend, a 4 KiB memfd DIMM at 4 KiB alignment */
	assert_int_equal(memdev_device_align(memdevs_find(&l, "small")), 2 * MiB);
	assert_int_equal(memdev_device_align(memdevs_find(&l, "big")), 2 * MiB);
	assert_int_equal(memdev_device_align(memdevs_find(&l, "fd")), 4 * KiB);
	assert_int_equal(memdev_device_align(memdevs_find(&l, "file")), 4 * KiB);
	assert_int_equal(memdev_device_align(memdevs_find(&l, "file2m")), 2 * MiB);
	memdevs_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_find_delete),
	    cmocka_unit_test(test_failed_create),
	    cmocka_unit_test(test_many),
	    cmocka_unit_test(test_device_align),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
