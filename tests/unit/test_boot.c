/* test_boot.c - what the boot loader writes lands in guest RAM, wherever
 * the plan put NUMA node boundaries.
 *
 * Each case runs the pure stages kvmem runs (config, layout, topology,
 * NUMA, ACPI, boot_probe) on a command line, backs every node's RAM with
 * its own anonymous mapping as machine_memory() does, writes the ACPI
 * tables and loads a kernel and an initrd, then reads every byte back
 * through the guest memory map.  The cases are the ones where a node
 * boundary falls inside the kernel, the initrd or the ACPI tables: a plan
 * that accepted the command line must also boot it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "acpi/acpi.h"
#include "config/config.h"
#include "kvm/boot.h"
#include "mem/manager.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/topology.h"

#define KERNEL_SIZE (10 * MiB) /* about Debian's bzImage */

static char kernel_path[64], initrd_path[64];

/* A file of size bytes whose every 4-byte word holds its own offset
 * mixed with seed, so a misplaced or missing page shows. */
static void write_pattern(int fd, uint64_t size, uint32_t seed, uint64_t from)
{
	uint32_t buf[1024];

	for (uint64_t off = from; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		for (size_t i = 0; i < sizeof(buf) / 4; i++)
			buf[i] = (uint32_t)(off / 4 + i) * 2654435761u ^ seed;
		assert_int_equal(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
}

/* A bzImage with a 64-bit boot protocol header, 4 setup sectors and a
 * protected-mode part of KERNEL_SIZE bytes that needs 24 MiB to unpack. */
static void make_kernel(void)
{
	uint8_t hdr[0xa00] = {0};
	int fd;

	strcpy(kernel_path, "/tmp/kvmem-test-bzImage-XXXXXX");
	fd = mkstemp(kernel_path);
	assert_true(fd >= 0);
	hdr[0x1f1] = 4; /* setup_sects */
	hdr[0x1fe] = 0x55;
	hdr[0x1ff] = 0xaa;
	hdr[0x200] = 0xeb; /* jmp: the header ends at 0x202 + hdr[0x201] */
	hdr[0x201] = 0x66;
	memcpy(hdr + 0x202, "HdrS", 4);
	hdr[0x206] = 0x0f; /* protocol 2.15 */
	hdr[0x207] = 0x02;
	hdr[0x211] = 0x01; /* LOADED_HIGH */
	hdr[0x22c] = 0xff; /* initrd_addr_max 0x7fffffff, as Debian's */
	hdr[0x22d] = 0xff;
	hdr[0x22e] = 0xff;
	hdr[0x22f] = 0x7f;
	hdr[0x236] = 0x01;			/* XLF_KERNEL_64 */
	hdr[0x239] = 0x08;			/* cmdline_size 2048 */
	hdr[0x262] = (uint8_t)(24 * MiB >> 16); /* init_size 24 MiB */
	write_pattern(fd, 0xa00 + KERNEL_SIZE, 0x6b65726e, 0xa00);
	assert_int_equal(pwrite(fd, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	close(fd);
}

static void make_initrd(uint64_t size)
{
	int fd;

	strcpy(initrd_path, "/tmp/kvmem-test-initrd-XXXXXX");
	fd = mkstemp(initrd_path);
	assert_true(fd >= 0);
	write_pattern(fd, size, 0x696e6974, 0);
	close(fd);
}

struct booted {
	struct config cfg;
	struct layout layout;
	struct topology topo;
	struct numa numa;
	struct e820_map e820;
	struct acpi_blob acpi;
	struct boot_plan boot;
	struct backend ram[CONFIG_MAX_NUMA_NODES];
	struct mem_manager *mm;
};

/* machine_plan() and machine_memory() for a command line, each node's RAM
 * on its own anonymous mapping. */
static void plan_and_map(struct booted *b, const char *cmdline)
{
	char line[512], *argv[64];
	struct acpi_input in;
	struct kverr err = {{0}};
	int argc = 0;

	memset(b, 0, sizeof(*b));
	snprintf(line, sizeof(line), "kvmem %s -kernel %s -initrd %s", cmdline, kernel_path,
		 initrd_path);
	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	if (config_parse(&b->cfg, argc, argv, &err) ||
	    layout_compute(&b->cfg.mem, &b->layout, &err))
		fail_msg("%s: %s", cmdline, err.msg);
	topology_from_config(&b->cfg.smp, &b->topo);
	if (topology_check(&b->topo, &err) || numa_plan(&b->numa, &b->cfg, &b->topo, &err) ||
	    layout_place_nodes(&b->layout, &b->numa, &err))
		fail_msg("%s: %s", cmdline, err.msg);
	e820_build(&b->layout, &b->e820);
	in = (struct acpi_input){.layout = &b->layout, .topo = &b->topo, .numa = &b->numa};
	if (acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &b->acpi, &err) ||
	    boot_probe(&b->boot, kernel_path, initrd_path, "console=ttyS0", &b->layout, &err))
		fail_msg("%s: the plan refused it: %s", cmdline, err.msg);

	assert_int_equal(mem_manager_create(&b->mm, NULL, &err), 0);
	for (unsigned i = 0; i < b->layout.nr_parts; i++) {
		const struct layout_ram_part *p = &b->layout.part[i];
		struct backend *be = &b->ram[p->node];

		if (!be->hva) {
			snprintf(be->id, sizeof(be->id), "ram-node%u", p->node);
			be->size = b->numa.node[p->node].mem;
			be->page_size = 4096;
			be->fd = -1;
			be->hva = mmap(NULL, be->size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			assert_true(be->hva != MAP_FAILED);
		}
		struct mem_region_spec spec = {.name = p->name,
					       .gpa = p->gpa,
					       .size = p->size,
					       .backend = be,
					       .backend_offset = p->node_offset,
					       .node = p->node};
		if (mem_manager_add(b->mm, &spec, NULL, &err))
			fail_msg("%s: %s", cmdline, err.msg);
	}
}

static void unmap(struct booted *b)
{
	mem_manager_destroy(b->mm);
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		if (b->ram[i].hva)
			munmap(b->ram[i].hva, b->ram[i].size);
	acpi_blob_free(&b->acpi);
	config_free(&b->cfg);
}

/* Where the guest finds [gpa, gpa+len) equals the file's [off, off+len). */
static void assert_guest_has_file(struct booted *b, uint64_t gpa, const char *path, uint64_t off,
				  uint64_t len)
{
	uint8_t *want = malloc(len), *got = malloc(len);
	struct kverr err = {{0}};
	FILE *f = fopen(path, "rb");

	assert_non_null(want);
	assert_non_null(got);
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(want, 1, len, f), len);
	fclose(f);
	if (mem_read(b->mm, gpa, got, len, &err))
		fail_msg("reading back 0x%llx+0x%llx: %s", (unsigned long long)gpa,
			 (unsigned long long)len, err.msg);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

/* The node boundary that lies strictly inside [start, end), or 0. */
static uint64_t boundary_inside(const struct booted *b, uint64_t start, uint64_t end)
{
	for (unsigned i = 1; i < b->layout.nr_parts; i++) {
		uint64_t at = b->layout.part[i].gpa;
		if (b->layout.part[i].node != b->layout.part[i - 1].node && start < at && at < end)
			return at;
	}
	return 0;
}

static void boot(struct booted *b)
{
	struct boot_entry entry;
	struct kverr err = {{0}};

	if (mem_write(b->mm, b->acpi.base, b->acpi.data, b->acpi.size, &err) ||
	    boot_load(&b->boot, b->mm, &b->e820, b->acpi.rsdp_gpa, &entry, &err))
		fail_msg("the plan accepted it but loading failed: %s", err.msg);
	assert_int_equal(entry.rip, LAYOUT_KERNEL_LOAD + 0x200);
	assert_guest_has_file(b, LAYOUT_KERNEL_LOAD, kernel_path, 0xa00, KERNEL_SIZE);
	assert_guest_has_file(b, b->boot.initrd_gpa, initrd_path, 0, b->boot.initrd_size);
}

/* The example: Debian's ~10 MiB kernel from 1 MiB crosses node 0's
 * end at 8 MiB. */
static void test_kernel_straddles_nodes(void **state)
{
	struct booted *b = calloc(1, sizeof(*b));

	(void)state;
	make_initrd(1 * MiB + 4096 * 37);
	plan_and_map(b, "-m 256M -object memory-backend-ram,id=a,size=8M "
			"-object memory-backend-ram,id=b,size=248M -numa node,memdev=a "
			"-numa node,memdev=b");
	assert_int_equal(boundary_inside(b, LAYOUT_KERNEL_LOAD, LAYOUT_KERNEL_LOAD + KERNEL_SIZE),
			 8 * MiB);
	boot(b);
	unmap(b);
	free(b);
	unlink(initrd_path);
}

/* The initrd goes as high as the kernel lets it (initrd_addr_max, 2 GiB
 * here): with 4 GiB of RAM in three nodes, node 1 ending 256 KiB below
 * 2 GiB, it straddles nodes 1 and 2, the last two nodes below 4 GiB (node
 * 2 continues above 4 GiB). */
static void test_initrd_straddles_last_nodes_below_4g(void **state)
{
	struct booted *b = calloc(1, sizeof(*b));

	(void)state;
	make_initrd(1 * MiB + 4096 * 37 + 123);
	plan_and_map(b, "-m 4G -smp 2 -numa node,nodeid=0,cpus=0,mem=1G "
			"-numa node,nodeid=1,cpus=1,mem=1048320K -numa node,nodeid=2,mem=2097408K");
	assert_int_equal(b->layout.part[b->layout.nr_parts - 1].node, 2); /* above 4 GiB */
	assert_int_equal(
	    boundary_inside(b, b->boot.initrd_gpa, b->boot.initrd_gpa + b->boot.initrd_size),
	    2 * GiB - 256 * KiB);
	boot(b);
	unmap(b);
	free(b);
	unlink(initrd_path);
}

/* A node 0 smaller than 1 MiB ends inside the ACPI tables at 0xe0000;
 * 240 CPUs make the tables longer than the page it leaves them. */
static void test_acpi_straddles_nodes(void **state)
{
	struct booted *b = calloc(1, sizeof(*b));
	uint8_t *got;
	struct kverr err = {{0}};

	(void)state;
	make_initrd(64 * KiB);
	plan_and_map(
	    b,
	    "-m 256M -smp 240 -numa node,mem=900K,cpus=0-119 -numa node,mem=261244K,cpus=120-239");
	assert_true(b->acpi.size > 900 * KiB - LAYOUT_ACPI_BASE);
	assert_int_equal(boundary_inside(b, b->acpi.base, b->acpi.base + b->acpi.size), 900 * KiB);
	boot(b);
	got = malloc(b->acpi.size);
	assert_non_null(got);
	assert_int_equal(mem_read(b->mm, b->acpi.base, got, b->acpi.size, &err), 0);
	assert_memory_equal(got, b->acpi.data, b->acpi.size);
	free(got);
	unmap(b);
	free(b);
	unlink(initrd_path);
}

static int setup(void **state)
{
	(void)state;
	make_kernel();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(kernel_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_straddles_nodes),
	    cmocka_unit_test(test_initrd_straddles_last_nodes_below_4g),
	    cmocka_unit_test(test_acpi_straddles_nodes),
	};
	return cmocka_run_group_tests_name("boot", tests, setup, teardown);
}
