/* boot: the bzImage loader puts the kernel, the initrd and boot_params in
 * guest RAM byte for byte, however the files are cut into pieces on the
 * way, and notices a file that changed between planning and loading.  An
 * ELF vmlinux's segments land at their physical addresses with the rest of
 * each zeroed, and a malformed one is refused by name before any load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm/boot.h"
#include "mem/manager.h"

#define RAM_SIZE (16 * MiB)
#define SETUP_SIZE 1024 /* setup_sects = 1, plus the boot sector */
/* Neither is a multiple of the loader's bounce buffer, nor of a page. */
#define KERNEL_PAYLOAD (600 * KiB + 123)
#define INITRD_SIZE (300 * KiB + 7)

struct fixture {
	uint8_t *ram;
	struct backend backend;
	struct mem_manager *mm;
	struct layout layout;
	struct e820_map e820;
	char kernel[64], initrd[64];
};

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

/* Byte i of the kernel's protected-mode part or of the initrd. */
static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 2654435761u) >> 13 ^ seed);
}

static void write_file(char *path, const uint8_t *data, size_t len)
{
	int fd;
	strcpy(path, "/tmp/kvmem-test-boot-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t klen = SETUP_SIZE + KERNEL_PAYLOAD;
	uint8_t *k = calloc(1, klen), *initrd = malloc(INITRD_SIZE);
	struct kverr err;

	assert_non_null(f);
	assert_non_null(k);
	assert_non_null(initrd);
	f->ram = calloc(1, RAM_SIZE);
	assert_non_null(f->ram);
	f->backend = (struct backend){
	    .id = "ram", .size = RAM_SIZE, .page_size = 4096, .fd = -1, .hva = f->ram};
	assert_int_equal(mem_manager_create(&f->mm, NULL, &err), 0);
	assert_int_equal(mem_manager_add(f->mm,
					 &(struct mem_region_spec){.name = "ram",
								   .kind = MEM_REGION_RAM,
								   .size = RAM_SIZE,
								   .backend = &f->backend},
					 NULL, &err),
			 0);
	f->layout.ram_size = RAM_SIZE;
	f->layout.below_4g = RAM_SIZE;

	/* The setup header of a 64-bit bzImage, boot protocol 2.15. */
	put(k, 0x1f1, 1, 1);	      /* setup_sects */
	put(k, 0x1fe, 0xaa55, 2);     /* boot_flag */
	put(k, 0x200, 0x66eb, 2);     /* jump: the header ends at 0x268 */
	memcpy(k + 0x202, "HdrS", 4); /* header magic */
	put(k, 0x206, 0x020f, 2);     /* version */
	put(k, 0x211, 0x01, 1);	      /* loadflags: LOADED_HIGH */
	put(k, 0x22c, 0x7fffffff, 4); /* initrd_addr_max */
	put(k, 0x236, 0x01, 2);	      /* xloadflags: XLF_KERNEL_64 */
	put(k, 0x238, 2047, 4);	      /* cmdline_size */
	put(k, 0x260, 2 * MiB, 4);    /* init_size */
	for (uint64_t i = 0; i < KERNEL_PAYLOAD; i++)
		k[SETUP_SIZE + i] = pattern(i, 1);
	for (uint64_t i = 0; i < INITRD_SIZE; i++)
		initrd[i] = pattern(i, 2);
	write_file(f->kernel, k, klen);
	write_file(f->initrd, initrd, INITRD_SIZE);
	free(k);
	free(initrd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->kernel);
	unlink(f->initrd);
	mem_manager_destroy(f->mm);
	free(f->ram);
	free(f);
	return 0;
}

static void test_loads_kernel_initrd_and_boot_params(void **state)
{
	struct fixture *f = *state;
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};
	const uint8_t *zp = f->ram + LAYOUT_BOOT_PARAMS;

	assert_int_equal(boot_probe(&bp, f->kernel, f->initrd, "console=ttyS0", &f->layout, &err),
			 0);
	assert_int_equal(bp.setup_size, SETUP_SIZE);
	assert_int_equal(bp.kernel_size, KERNEL_PAYLOAD);
	assert_int_equal(bp.initrd_size, INITRD_SIZE);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0xe0000, &entry, &err), 0);

	for (uint64_t i = 0; i < KERNEL_PAYLOAD; i++)
		if (f->ram[LAYOUT_KERNEL_LOAD + i] != pattern(i, 1))
			fail_msg("kernel byte %llu differs", (unsigned long long)i);
	/* nothing past the kernel's end */
	assert_int_equal(f->ram[LAYOUT_KERNEL_LOAD + KERNEL_PAYLOAD], 0);
	/* the initrd: at the top of RAM, page-aligned, byte for byte */
	assert_int_equal(bp.initrd_gpa, (RAM_SIZE - INITRD_SIZE) & ~4095ULL);
	for (uint64_t i = 0; i < INITRD_SIZE; i++)
		if (f->ram[bp.initrd_gpa + i] != pattern(i, 2))
			fail_msg("initrd byte %llu differs", (unsigned long long)i);

	/* boot_params: the header copied from the file, a loader's fields */
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get(zp, 0x206, 2), 0x020f);
	assert_int_equal(get(zp, 0x218, 4), bp.initrd_gpa);
	assert_int_equal(get(zp, 0x21c, 4), INITRD_SIZE);
	assert_int_equal(get(zp, 0x228, 4), LAYOUT_CMDLINE);
	assert_int_equal(get(zp, 0x70, 8), 0xe0000);
	assert_string_equal((const char *)f->ram + LAYOUT_CMDLINE, "console=ttyS0");
	assert_int_equal(entry.rip, LAYOUT_KERNEL_LOAD + 0x200);
	assert_int_equal(entry.rsi, LAYOUT_BOOT_PARAMS);
}

static void resize(const char *path, long delta)
{
	FILE *fp = fopen(path, "r+");
	long len;
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_int_equal(ftruncate(fileno(fp), len + delta), 0);
	fclose(fp);
}

static void test_kernel_changed_after_probe(void **state)
{
	struct fixture *f = *state;
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};

	assert_int_equal(boot_probe(&bp, f->kernel, NULL, "", &f->layout, &err), 0);
	resize(f->kernel, -4096);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0, &entry, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "-kernel: '"));
	assert_non_null(strstr(err.msg, "' changed size while starting"));
}

static void test_initrd_changed_after_probe(void **state)
{
	struct fixture *f = *state;
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};

	assert_int_equal(boot_probe(&bp, f->kernel, f->initrd, "", &f->layout, &err), 0);
	resize(f->initrd, 1);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0, &entry, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "-initrd: '"));
	assert_non_null(strstr(err.msg, "' changed size while starting"));
}

/* Overwrite bytes of the file at path from offset off. */
static void patch(const char *path, long off, const void *data, size_t len)
{
	FILE *fp = fopen(path, "r+");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, off, SEEK_SET), 0);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

/* The fields a boot loader owns are kvmem's, whatever the file holds
 * there: without -initrd no initrd pointer reaches the guest, nor a
 * setup_data list; and a header whose jump at 0x200 claims it ends early
 * still gives the kernel the protocol 2.12 fields boot_probe checked. */
static void test_loader_fields_not_from_file(void **state)
{
	static const uint8_t ramdisk[8] = {0x00, 0x10, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00};
	static const uint8_t setup_data[8] = {0x00, 0x00, 0x80, 0x00, 0, 0, 0, 0};
	static const uint8_t short_jump = 0x02;
	struct fixture *f = *state;
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};
	const uint8_t *zp = f->ram + LAYOUT_BOOT_PARAMS;

	patch(f->kernel, 0x218, ramdisk, sizeof(ramdisk));
	patch(f->kernel, 0x250, setup_data, sizeof(setup_data));
	assert_int_equal(boot_probe(&bp, f->kernel, NULL, "", &f->layout, &err), 0);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0, &entry, &err), 0);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get(zp, 0x218, 4), 0);
	assert_int_equal(get(zp, 0x21c, 4), 0);
	assert_int_equal(get(zp, 0x250, 8), 0);

	patch(f->kernel, 0x201, &short_jump, 1);
	memset(f->ram + LAYOUT_BOOT_PARAMS, 0, 4096);
	assert_int_equal(boot_probe(&bp, f->kernel, NULL, "", &f->layout, &err), 0);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0, &entry, &err), 0);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get(zp, 0x206, 2), 0x020f);
	assert_int_equal(get(zp, 0x236, 2), 0x01);
	assert_int_equal(get(zp, 0x260, 4), 2 * MiB);
}

static void test_not_a_bzimage(void **state)
{
	struct fixture *f = *state;
	struct boot_plan bp;
	struct kverr err = {{0}};

	/* an initrd is no kernel: no HdrS header */
	assert_int_equal(boot_probe(&bp, f->initrd, NULL, "", &f->layout, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a Linux bzImage (no HdrS header)"));
	/* a directory is no file */
	assert_int_equal(boot_probe(&bp, "/tmp", NULL, "", &f->layout, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "-kernel: '/tmp' is not a regular file"));
}

/* An ELF vmlinux: two PT_LOAD segments (the second with 8 KiB of bss past
 * its file data) and a PT_NOTE, which is not loaded. */
#define SEG1_GPA (2 * MiB)
#define SEG1_SIZE (300 * KiB + 5)
#define SEG2_GPA (4 * MiB)
#define SEG2_FILE (40 * KiB + 3)
#define SEG2_MEM (SEG2_FILE + 8 * KiB)
#define ELF_ENTRY (SEG1_GPA + 0x40)

static void put_phdr(uint8_t *e, unsigned i, uint32_t type, uint64_t off, uint64_t gpa,
		     uint64_t filesz, uint64_t memsz)
{
	uint8_t *ph = e + 64 + 56 * i;
	put(ph, 0, type, 4);
	put(ph, 8, off, 8);
	put(ph, 16, 0xffffffff80000000ULL + gpa, 8); /* p_vaddr: not used */
	put(ph, 24, gpa, 8);
	put(ph, 32, filesz, 8);
	put(ph, 40, memsz, 8);
}

/* Writes the vmlinux to path and returns its size; edit() may spoil it. */
static size_t write_elf(char *path, void (*edit)(uint8_t *e))
{
	size_t len = 8192 + SEG1_SIZE + SEG2_FILE;
	uint8_t *e = calloc(1, len);

	assert_non_null(e);
	memcpy(e, "\177ELF", 4);
	e[4] = 2; /* ELFCLASS64 */
	e[5] = 1; /* little-endian */
	e[6] = 1;
	put(e, 16, 2, 2);	  /* ET_EXEC */
	put(e, 18, 62, 2);	  /* EM_X86_64 */
	put(e, 24, ELF_ENTRY, 8); /* e_entry */
	put(e, 32, 64, 8);	  /* e_phoff */
	put(e, 54, 56, 2);	  /* e_phentsize */
	put(e, 56, 3, 2);	  /* e_phnum */
	put_phdr(e, 0, 1, 4096, SEG1_GPA, SEG1_SIZE, SEG1_SIZE);
	put_phdr(e, 1, 4, 4096, 0x5000, 64, 64); /* PT_NOTE */
	put_phdr(e, 2, 1, 8192 + SEG1_SIZE, SEG2_GPA, SEG2_FILE, SEG2_MEM);
	for (uint64_t i = 0; i < SEG1_SIZE; i++)
		e[4096 + i] = pattern(i, 3);
	for (uint64_t i = 0; i < SEG2_FILE; i++)
		e[8192 + SEG1_SIZE + i] = pattern(i, 4);
	if (edit)
		edit(e);
	write_file(path, e, len);
	free(e);
	return len;
}

static void test_loads_vmlinux(void **state)
{
	struct fixture *f = *state;
	struct boot_plan bp;
	struct boot_entry entry;
	struct kverr err = {{0}};
	const uint8_t *zp = f->ram + LAYOUT_BOOT_PARAMS;
	char elf[64];

	write_elf(elf, NULL);
	/* what the last run left in RAM: the bss must not keep it */
	memset(f->ram + SEG2_GPA, 0xaa, SEG2_MEM + 4096);
	assert_int_equal(boot_probe(&bp, elf, f->initrd, "console=ttyS0", &f->layout, &err), 0);
	assert_true(bp.elf);
	assert_int_equal(bp.nr_segments, 2);
	assert_int_equal(bp.kernel_end, SEG2_GPA + SEG2_MEM);
	assert_int_equal(bp.init_size, SEG2_GPA + SEG2_MEM - SEG1_GPA);
	assert_int_equal(boot_load(&bp, f->mm, &f->e820, 0xe0000, &entry, &err), 0);
	unlink(elf);

	for (uint64_t i = 0; i < SEG1_SIZE; i++)
		if (f->ram[SEG1_GPA + i] != pattern(i, 3))
			fail_msg("segment 1 byte %llu differs", (unsigned long long)i);
	for (uint64_t i = 0; i < SEG2_FILE; i++)
		if (f->ram[SEG2_GPA + i] != pattern(i, 4))
			fail_msg("segment 2 byte %llu differs", (unsigned long long)i);
	for (uint64_t i = SEG2_FILE; i < SEG2_MEM; i++)
		if (f->ram[SEG2_GPA + i] != 0)
			fail_msg("bss byte %llu is not zero", (unsigned long long)i);
	/* past memsz, nothing is touched; the note is not loaded */
	assert_int_equal(f->ram[SEG2_GPA + SEG2_MEM], 0xaa);
	assert_int_equal(f->ram[0x5000], 0);
	/* the initrd still goes to the top of RAM */
	assert_int_equal(bp.initrd_gpa, (RAM_SIZE - INITRD_SIZE) & ~4095ULL);
	assert_int_equal(f->ram[bp.initrd_gpa], pattern(0, 2));

	/* the setup header kvmem writes for a kernel that has none */
	assert_int_equal(get(zp, 0x1fe, 2), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get(zp, 0x206, 2), 0x020f);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x211] & 0x81, 0x81);
	assert_int_equal(get(zp, 0x218, 4), bp.initrd_gpa);
	assert_int_equal(get(zp, 0x21c, 4), INITRD_SIZE);
	assert_int_equal(get(zp, 0x228, 4), LAYOUT_CMDLINE);
	assert_int_equal(get(zp, 0x230, 4), 2 * MiB);
	assert_int_equal(get(zp, 0x236, 2), 0x01);
	assert_int_equal(get(zp, 0x238, 4), 2047);
	assert_int_equal(get(zp, 0x258, 8), SEG1_GPA);
	assert_int_equal(get(zp, 0x260, 4), SEG2_GPA + SEG2_MEM - SEG1_GPA);
	assert_int_equal(get(zp, 0x70, 8), 0xe0000);
	assert_string_equal((const char *)f->ram + LAYOUT_CMDLINE, "console=ttyS0");
	/* entered at the ELF entry point, in the same 64-bit state */
	assert_int_equal(entry.rip, ELF_ENTRY);
	assert_int_equal(entry.rsi, LAYOUT_BOOT_PARAMS);
	assert_int_equal(entry.cr3, LAYOUT_PML4);
}

static void elf_i386(uint8_t *e)
{
	put(e, 18, 3, 2);
}
static void elf_seg_past_file(uint8_t *e)
{
	put(e, 64 + 56 * 2 + 32, SEG2_FILE + 1, 8);
}
static void elf_seg_low(uint8_t *e)
{
	put(e, 64 + 24, 0x8000, 8);
}
static void elf_entry_outside(uint8_t *e)
{
	put(e, 24, 0x900000, 8);
}
static void elf_seg_wraps(uint8_t *e)
{
	put(e, 64 + 40, UINT64_MAX - 4096, 8);
}
static void elf_filesz_over_memsz(uint8_t *e)
{
	put(e, 64 + 56 * 2 + 40, 16, 8);
}
static void elf_phdrs_past_file(uint8_t *e)
{
	put(e, 32, 1ULL << 40, 8);
}
static void elf_seg_too_high(uint8_t *e)
{
	put(e, 64 + 56 * 2 + 24, RAM_SIZE - 4096, 8);
}

static void test_bad_vmlinux(void **state)
{
	static const struct {
		void (*edit)(uint8_t *e);
		const char *msg;
	} cases[] = {
	    {elf_i386, "is an ELF file but not an x86-64 executable"},
	    {elf_seg_past_file, "segment 2 (40964 bytes at file offset 315397) does not fit"},
	    {elf_seg_low, "segment 0 at physical address 0x8000 is below 1 MiB"},
	    {elf_entry_outside, "its entry point 0x900000 is in none of its loadable segments"},
	    {elf_seg_wraps, "segment 0 at physical address 0x200000 (18446744073709547519 bytes) "
			    "runs past the end"},
	    {elf_filesz_over_memsz, "segment 2 (40963 bytes at file offset 315397) does not fit"},
	    {elf_phdrs_past_file, "its ELF program headers are missing or do not fit"},
	    {elf_seg_too_high, "-m: 16 MiB of RAM is too small for kernel '"},
	};
	struct fixture *f = *state;
	struct boot_plan bp;
	struct kverr err;
	char elf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		write_elf(elf, cases[i].edit);
		if (boot_probe(&bp, elf, NULL, "", &f->layout, &err) != -EINVAL)
			fail_msg("case %zu: accepted", i);
		unlink(elf);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_loads_kernel_initrd_and_boot_params, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_changed_after_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_changed_after_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loader_fields_not_from_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_bzimage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loads_vmlinux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_vmlinux, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
