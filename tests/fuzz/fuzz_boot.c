/* fuzz_boot.c - libFuzzer target: the kernel loader (kvm/boot.c) on a
 * kernel file that is the fuzzer's input, a bzImage's setup header or an
 * ELF vmlinux's header and program headers.
 *
 * The input is written to a memfd that boot_probe opens by its
 * /proc/self/fd path, for a guest of 64 MiB (all of it below 4 GiB), once
 * without an initrd and once with one of 3 MiB + 123 bytes (a memfd
 * filled with a pattern once).  Whenever the probe accepts the file,
 * boot_load puts it in 64 MiB of calloc'd RAM under a memory manager, with
 * ASan watching every byte written.  Checked, else abort:
 *   - a refused probe returns -errno and says why;
 *   - an accepted one planned what fits: the kernel (a bzImage's
 *     init_size from 1 MiB, or every ELF segment, inside the file and with
 *     the entry point in one of them) in [1 MiB, end of RAM), the initrd
 *     page-aligned above the kernel, below the end of RAM and the kernel's
 *     initrd_addr_max;
 *   - boot_load then succeeds, and the guest would see what it needs: the
 *     kernel's bytes where they go, the initrd's, the command line, and a
 *     zero page with HdrS whose loader fields are kvmem's (no initrd
 *     pointer or setup_data the kernel file carried), entered at 1 MiB +
 *     0x200 or the ELF entry point.
 *
 * Build: clang with -fsanitize=fuzzer (build-asan); run_fuzz.sh runs it
 * for a bounded time in the test suite.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../support/ram_region.h"
#include "kvm/boot.h"
#include "util/le.h"

#define RAM_SIZE (64 * MiB)
#define INITRD_SIZE (3 * MiB + 123)
#define CMDLINE "console=ttyS0 panic=-1"

static struct backend back = {.id = "ram", .size = RAM_SIZE, .page_size = 4096, .fd = -1};
static struct mem_manager *mm;
static struct layout layout;
static struct e820_map e820;
static int kernel_fd, initrd_fd;
static char kernel_path[64], initrd_path[64];
static uint8_t *initrd;

static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_boot: %s\n", what);
		abort();
	}
}

static int make_memfd(const char *name, char *path, size_t path_len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	require(fd >= 0, "memfd_create");
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kverr err;

	(void)argc;
	(void)argv;
	back.hva = calloc(1, RAM_SIZE);
	initrd = malloc(INITRD_SIZE);
	require(back.hva && initrd, "no memory");
	require(!test_ram_region(&mm, "ram", 0, RAM_SIZE, &back, 0, &err), "RAM region");
	layout.ram_size = RAM_SIZE;
	layout.below_4g = RAM_SIZE;
	e820.entry[0] = (struct e820_entry){0, LAYOUT_EBDA, E820_RAM};
	e820.entry[1] = (struct e820_entry){LAYOUT_HIGH_RAM, RAM_SIZE - LAYOUT_HIGH_RAM, E820_RAM};
	e820.nr = 2;

	kernel_fd = make_memfd("fuzz-kernel", kernel_path, sizeof(kernel_path));
	initrd_fd = make_memfd("fuzz-initrd", initrd_path, sizeof(initrd_path));
	for (uint64_t i = 0; i < INITRD_SIZE; i++)
		initrd[i] = (uint8_t)((i * 2654435761u) >> 13);
	require(pwrite(initrd_fd, initrd, INITRD_SIZE, 0) == (ssize_t)INITRD_SIZE, "initrd");
	return 0;
}

/* (memcmp, not a loop the fuzzer would trace byte by byte: a bss may be
 * most of the 64 MiB) */
static bool all_zero(const uint8_t *p, uint64_t len)
{
	static const uint8_t zeros[64 * 1024];

	for (uint64_t n; len; p += n, len -= n) {
		n = len < sizeof(zeros) ? len : sizeof(zeros);
		if (memcmp(p, zeros, n))
			return false;
	}
	return true;
}

/* What an accepted probe promises about where things go. */
static void check_plan(const struct boot_plan *bp, const uint8_t *data, size_t size, bool with)
{
	uint64_t kernel_end, initrd_top;

	require(bp->setup_size + bp->kernel_size == size, "setup and kernel are not the file");
	if (bp->elf) {
		bool entry_in = false;

		require(bp->nr_segments >= 1 && bp->nr_segments <= BOOT_ELF_SEGMENTS_MAX,
			"segment count");
		kernel_end = 0;
		for (unsigned i = 0; i < bp->nr_segments; i++) {
			const struct boot_segment *sg = &bp->segment[i];

			require(sg->filesz <= sg->memsz, "segment's file part above its size");
			require(sg->offset <= size && sg->filesz <= size - sg->offset,
				"segment outside the file");
			require(sg->gpa >= LAYOUT_KERNEL_LOAD, "segment below 1 MiB");
			require(sg->memsz <= RAM_SIZE && sg->gpa <= RAM_SIZE - sg->memsz,
				"segment beyond the end of RAM");
			if (bp->entry >= sg->gpa && bp->entry - sg->gpa < sg->memsz)
				entry_in = true;
			if (sg->gpa + sg->memsz > kernel_end)
				kernel_end = sg->gpa + sg->memsz;
		}
		require(entry_in, "entry point outside the segments");
		require(kernel_end == bp->kernel_end, "kernel_end is not the segments' end");
		initrd_top = 0x80000000ULL;
	} else {
		require(size >= 0x300 && memcmp(data + 0x202, "HdrS", 4) == 0,
			"a bzImage without HdrS accepted");
		require(bp->setup_size >= 1024 && bp->kernel_size >= 1, "setup size");
		kernel_end = LAYOUT_KERNEL_LOAD +
			     (bp->init_size > bp->kernel_size ? bp->init_size : bp->kernel_size);
		require(kernel_end <= RAM_SIZE, "kernel beyond the end of RAM");
		initrd_top = (uint64_t)le_get32(data + 0x22c) + 1;
	}
	if (!with) {
		require(bp->initrd_path == NULL && bp->initrd_size == 0, "an initrd nobody gave");
		return;
	}
	require(bp->initrd_size == INITRD_SIZE, "initrd size");
	require(bp->initrd_gpa % 4096 == 0, "initrd not page-aligned");
	require(bp->initrd_gpa >= kernel_end, "initrd overlaps the kernel");
	require(bp->initrd_gpa + INITRD_SIZE <= RAM_SIZE, "initrd beyond the end of RAM");
	require(bp->initrd_gpa + INITRD_SIZE <= initrd_top, "initrd above initrd_addr_max");
}

/* What the guest finds in RAM after boot_load. */
static void check_ram(const struct boot_plan *bp, const struct boot_entry *entry,
		      const uint8_t *data, bool with)
{
	const uint8_t *ram = back.hva, *zp = ram + LAYOUT_BOOT_PARAMS;

	require(le_get16(zp + 0x1fe) == 0xaa55 && memcmp(zp + 0x202, "HdrS", 4) == 0,
		"zero page without HdrS");
	require(le_get16(zp + 0x206) >= 0x020c && (zp[0x236] & 1), "zero page: no 64-bit entry");
	require(zp[0x210] == 0xff && (zp[0x211] & 1), "zero page: loader fields");
	require(le_get32(zp + 0x228) == LAYOUT_CMDLINE &&
		    strcmp((const char *)ram + LAYOUT_CMDLINE, CMDLINE) == 0,
		"command line");
	require(le_get64(zp + 0x250) == 0, "zero page: setup_data kvmem did not write");
	require(le_get32(zp + 0x218) == (with ? bp->initrd_gpa : 0) &&
		    le_get32(zp + 0x21c) == (with ? INITRD_SIZE : 0),
		"zero page: initrd fields");
	if (with)
		require(memcmp(ram + bp->initrd_gpa, initrd, INITRD_SIZE) == 0, "initrd bytes");
	require(entry->rsi == LAYOUT_BOOT_PARAMS && entry->cr3 == LAYOUT_PML4, "entry state");
	if (bp->elf) {
		/* the last segment written is the one nothing overwrote */
		const struct boot_segment *sg = &bp->segment[bp->nr_segments - 1];

		require(entry->rip == bp->entry, "entry: not the ELF entry point");
		require(memcmp(ram + sg->gpa, data + sg->offset, sg->filesz) == 0, "segment bytes");
		require(all_zero(ram + sg->gpa + sg->filesz, sg->memsz - sg->filesz),
			"segment's bss not zeroed");
	} else {
		require(entry->rip == LAYOUT_KERNEL_LOAD + 0x200, "entry: not 1 MiB + 0x200");
		require(memcmp(ram + LAYOUT_KERNEL_LOAD, data + bp->setup_size, bp->kernel_size) ==
			    0,
			"kernel bytes");
	}
}

static void probe_and_load(const uint8_t *data, size_t size, bool with)
{
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};
	int ret = boot_probe(&bp, kernel_path, with ? initrd_path : NULL, CMDLINE, &layout, &err);

	if (ret) {
		require(ret < 0 && ret > -4096, "probe failed without an errno");
		require(err.msg[0] != '\0', "probe failed without a message");
		return;
	}
	check_plan(&bp, data, size, with);
	/* the last run's zero page and command line must not count */
	memset((uint8_t *)back.hva + LAYOUT_BOOT_PARAMS, 0, 4096);
	memset((uint8_t *)back.hva + LAYOUT_CMDLINE, 0, sizeof(CMDLINE));
	ret = boot_load(&bp, mm, &e820, LAYOUT_ACPI_BASE, &entry, &err);
	if (ret) {
		fprintf(stderr, "fuzz_boot: load after a good probe: %s\n", err.msg);
		abort();
	}
	check_ram(&bp, &entry, data, with);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	require(ftruncate(kernel_fd, 0) == 0, "ftruncate");
	require(size == 0 || pwrite(kernel_fd, data, size, 0) == (ssize_t)size, "pwrite");
	probe_and_load(data, size, false);
	probe_and_load(data, size, true);
	return 0;
}
