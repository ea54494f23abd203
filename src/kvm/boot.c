/* boot.c - load a bzImage as Documentation/x86/boot.rst describes:
 * the setup header at 0x1f1 of the file, the protected-mode kernel after
 * (setup_sects + 1) * 512 bytes, entered at load address + 0x200 in
 * 64-bit mode with %rsi pointing at boot_params.  kvmem is the boot
 * loader, so it fills the header fields a loader owns (type_of_loader,
 * loadflags, cmd_line_ptr, ramdisk_*, setup_data) and copies the rest from
 * the file.
 *
 * Or load an uncompressed ELF vmlinux, as Firecracker does: its PT_LOAD
 * segments go to their physical addresses and the BSP starts at the ELF
 * entry point (the kernel's startup_64, which "we come here either
 * directly from a 64bit bootloader, or from" the bzImage's decompressor)
 * in the same 64-bit state with the same boot_params, whose setup header
 * kvmem writes itself.  The guest skips the decompression (seconds when
 * it runs nested) and sees the same e820, ACPI tables and command line.
 * (QEMU boots an ELF kernel only through its PVH note, whose entry builds
 * boot_params inside the guest and adds a reserved range for the ISA
 * hole to the e820.)
 */
#include "kvm/boot.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/le.h"

/* Offsets in the file / in struct boot_params (they coincide for the
 * setup header, which starts at 0x1f1 in both). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMG 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_SETUP_DATA 0x250
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_END_2_12 0x268 /* boot protocol 2.12's header ends here */
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

/* What a vmlinux, which has no setup header, gets in the one kvmem
 * writes: the x86-64 kernel's own values (COMMAND_LINE_SIZE 2048 with its
 * NUL, initrd anywhere below 2 GiB, 2 MiB alignment). */
#define ELF_PROTOCOL 0x020f
#define ELF_CMDLINE_MAX 2047
#define ELF_INITRD_ADDR_MAX 0x7fffffffU
#define ELF_KERNEL_ALIGNMENT 0x200000U

/* ELF64: the header and program header fields read here. */
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define E_TYPE 16
#define E_MACHINE 18
#define E_ENTRY 24
#define E_PHOFF 32
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define ELF_HEADER_SIZE 64
#define PHDR_SIZE 56
#define ELF_PHDRS_MAX 64

#define BOOT_GDT_CODE 0x10 /* __BOOT_CS */
#define BOOT_GDT_DATA 0x18 /* __BOOT_DS */

/* The first bytes of a bzImage: the boot sector and the setup header
 * (which ends before 0x300), all that is read of the file besides the
 * parts copied into guest RAM. */
#define IMAGE_HEAD 0x400

/* The kernel and initrd go to guest RAM through a bounce buffer of this
 * size, mapped for the copy and unmapped after it: kvmem never holds a
 * whole image in its own memory.  (A malloc'd image of several MiB stays
 * in the heap after free(), because glibc's dynamic mmap threshold moves
 * up to the first large block freed: it cost 9 MiB of RSS for the whole
 * run with a Debian kernel and a 1 MiB initrd.) */
#define LOAD_CHUNK (256 * 1024)

/* Open a regular file and read its first min(size, head_len) bytes into
 * head (the rest of head is zeroed).  Returns the fd, or -errno. */
static int open_image(const char *opt, const char *path, uint8_t *head, size_t head_len,
		      uint64_t *size, struct kverr *err)
{
	struct stat st;
	size_t want, done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kverr_sys(err, errno, "%s: cannot open '%s'", opt, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kverr_set(err, EINVAL, "%s: '%s' is not a regular file", opt, path);
	}
	*size = (uint64_t)st.st_size;
	want = *size < head_len ? (size_t)*size : head_len;
	if (head_len)
		memset(head, 0, head_len);
	while (done < want) {
		ssize_t n = pread(fd, head + done, want - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return kverr_sys(err, e, "%s: reading '%s'", opt, path);
		}
		done += (size_t)n;
	}
	return fd;
}

/* Copy len bytes of fd from offset off into guest RAM at gpa. */
static int load_to_guest(const char *opt, const char *path, int fd, uint64_t off, uint64_t len,
			 struct mem_manager *mm, uint64_t gpa, struct kverr *err)
{
	uint8_t *buf;
	uint64_t done = 0;
	int ret = 0;

	if (len == 0)
		return 0;
	buf = mmap(NULL, LOAD_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return kverr_sys(err, errno, "%s: '%s': no memory to load it", opt, path);
	while (!ret && done < len) {
		size_t want = len - done < LOAD_CHUNK ? (size_t)(len - done) : LOAD_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = kverr_sys(err, errno, "%s: reading '%s'", opt, path);
		else if (n == 0)
			ret = kverr_set(err, EINVAL, "%s: '%s' changed size while starting", opt,
					path);
		else
			ret = mem_write(mm, gpa + done, buf, (uint64_t)n, err);
		done += n > 0 ? (uint64_t)n : 0;
	}
	munmap(buf, LOAD_CHUNK);
	return ret;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Read and check an ELF vmlinux's headers (img holds the file's first
 * bytes): an x86-64 executable whose PT_LOAD segments lie in the file and
 * at or above LAYOUT_KERNEL_LOAD, with its entry point in one of them.
 * Fills bp's ELF fields; whether the segments fit the guest's RAM is the
 * caller's check (kernel_end). */
static int probe_elf(struct boot_plan *bp, int fd, const uint8_t *img, uint64_t img_size,
		     struct kverr *err)
{
	const char *path = bp->kernel_path;
	uint8_t ph[PHDR_SIZE];
	uint64_t phoff, lowest = UINT64_MAX;
	unsigned phnum;
	bool entry_in = false;

	if (img_size < ELF_HEADER_SIZE || img[EI_CLASS] != ELFCLASS64 ||
	    img[EI_DATA] != ELFDATA2LSB || le_get16(img + E_TYPE) != ET_EXEC ||
	    le_get16(img + E_MACHINE) != EM_X86_64)
		return kverr_set(err, EINVAL,
				 "-kernel: '%s' is an ELF file but not an x86-64 executable "
				 "(a vmlinux)",
				 path);
	phoff = le_get64(img + E_PHOFF);
	phnum = le_get16(img + E_PHNUM);
	if (le_get16(img + E_PHENTSIZE) != PHDR_SIZE || phnum == 0 || phnum > ELF_PHDRS_MAX ||
	    phoff > img_size || (uint64_t)phnum * PHDR_SIZE > img_size - phoff)
		return kverr_set(err, EINVAL,
				 "-kernel: '%s': its ELF program headers are missing or do not "
				 "fit in the file",
				 path);
	bp->elf = true;
	bp->entry = le_get64(img + E_ENTRY);
	bp->kernel_size = img_size;
	bp->setup_size = 0;
	bp->protocol = ELF_PROTOCOL;
	for (unsigned i = 0; i < phnum; i++) {
		struct boot_segment sg;
		ssize_t n;

		do
			n = pread(fd, ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * PHDR_SIZE));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(ph))
			return kverr_sys(err, n < 0 ? errno : EIO, "-kernel: reading '%s'", path);
		if (le_get32(ph) != PT_LOAD)
			continue;
		sg.offset = le_get64(ph + 8);
		sg.gpa = le_get64(ph + 24);
		sg.filesz = le_get64(ph + 32);
		sg.memsz = le_get64(ph + 40);
		if (sg.memsz == 0)
			continue;
		if (sg.filesz > sg.memsz || sg.filesz > img_size ||
		    sg.offset > img_size - sg.filesz)
			return kverr_set(err, EINVAL,
					 "-kernel: '%s': segment %u (%llu bytes at file offset "
					 "%llu) does not fit in the file",
					 path, i, (unsigned long long)sg.filesz,
					 (unsigned long long)sg.offset);
		if (sg.gpa < LAYOUT_KERNEL_LOAD)
			return kverr_set(err, EINVAL,
					 "-kernel: '%s': segment %u at physical address 0x%llx "
					 "is below 1 MiB, where kvmem keeps the boot structures",
					 path, i, (unsigned long long)sg.gpa);
		if (sg.memsz > UINT64_MAX - sg.gpa)
			return kverr_set(err, EINVAL,
					 "-kernel: '%s': segment %u at physical address 0x%llx "
					 "(%llu bytes) runs past the end of the address space",
					 path, i, (unsigned long long)sg.gpa,
					 (unsigned long long)sg.memsz);
		if (bp->nr_segments == BOOT_ELF_SEGMENTS_MAX)
			return kverr_set(err, EINVAL,
					 "-kernel: '%s' has more than %d loadable segments", path,
					 BOOT_ELF_SEGMENTS_MAX);
		bp->segment[bp->nr_segments++] = sg;
		if (sg.gpa < lowest)
			lowest = sg.gpa;
		if (sg.gpa + sg.memsz > bp->kernel_end)
			bp->kernel_end = sg.gpa + sg.memsz;
		if (bp->entry >= sg.gpa && bp->entry - sg.gpa < sg.memsz)
			entry_in = true;
	}
	if (bp->nr_segments == 0)
		return kverr_set(err, EINVAL, "-kernel: '%s' has no loadable ELF segment", path);
	if (!entry_in)
		return kverr_set(err, EINVAL,
				 "-kernel: '%s': its entry point 0x%llx is in none of its "
				 "loadable segments",
				 path, (unsigned long long)bp->entry);
	bp->init_size =
	    bp->kernel_end - lowest > UINT32_MAX ? UINT32_MAX : (uint32_t)(bp->kernel_end - lowest);
	return 0;
}

int boot_probe(struct boot_plan *bp, const char *kernel, const char *initrd, const char *cmdline,
	       const struct layout *layout, struct kverr *err)
{
	uint8_t img[IMAGE_HEAD];
	uint64_t img_size;
	unsigned setup_sects;
	uint32_t initrd_max, cmdline_max;
	uint64_t kernel_end, top;
	struct stat st;
	int fd, ret;

	memset(bp, 0, sizeof(*bp));
	bp->kernel_path = kernel;
	bp->initrd_path = initrd;
	bp->cmdline = cmdline ? cmdline : "";

	fd = open_image("-kernel", kernel, img, sizeof(img), &img_size, err);
	if (fd < 0)
		return fd;
	if (img_size >= 4 && memcmp(img, "\177ELF", 4) == 0) {
		ret = probe_elf(bp, fd, img, img_size, err);
		close(fd);
		if (ret)
			return ret;
		cmdline_max = ELF_CMDLINE_MAX;
		initrd_max = ELF_INITRD_ADDR_MAX;
		kernel_end = bp->kernel_end;
		goto checks;
	}
	close(fd);
	ret = -EINVAL;
	if (img_size < 0x300 || le_get16(img + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(img + HDR_MAGIC, "HdrS", 4) != 0) {
		kverr_set(err, EINVAL, "-kernel: '%s' is not a Linux bzImage (no HdrS header)",
			  kernel);
		goto out;
	}
	bp->protocol = le_get16(img + HDR_VERSION);
	if (bp->protocol < 0x020c || !(img[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
		kverr_set(err, EINVAL,
			  "-kernel: '%s' has boot protocol %u.%02u without a 64-bit entry point "
			  "(need 2.12+, x86_64)",
			  kernel, bp->protocol >> 8, bp->protocol & 0xff);
		goto out;
	}
	if (!(img[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
		kverr_set(err, EINVAL, "-kernel: '%s' is not a bzImage (zImage loads low)", kernel);
		goto out;
	}
	setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	bp->setup_size = (setup_sects + 1) * 512;
	if (bp->setup_size >= img_size) {
		kverr_set(err, EINVAL, "-kernel: '%s' is truncated (setup %u bytes, file %llu)",
			  kernel, bp->setup_size, (unsigned long long)img_size);
		goto out;
	}
	bp->kernel_size = img_size - bp->setup_size;
	bp->init_size = le_get32(img + HDR_INIT_SIZE);
	cmdline_max = le_get32(img + HDR_CMDLINE_SIZE);
	initrd_max = le_get32(img + HDR_INITRD_ADDR_MAX);
	/* The kernel decompresses in place from its load address; keep room
	 * for init_size (at least the image) above LAYOUT_KERNEL_LOAD. */
	kernel_end = LAYOUT_KERNEL_LOAD +
		     (bp->init_size > bp->kernel_size ? bp->init_size : bp->kernel_size);
checks:
	ret = -EINVAL;
	if (strlen(bp->cmdline) > cmdline_max || strlen(bp->cmdline) >= LAYOUT_CMDLINE_MAX) {
		kverr_set(err, EINVAL,
			  "-append: command line of %zu bytes exceeds the kernel's limit of %u",
			  strlen(bp->cmdline), cmdline_max);
		goto out;
	}
	if (kernel_end > layout->below_4g) {
		kverr_set(
		    err, EINVAL,
		    "-m: %llu MiB of RAM is too small for kernel '%s' (needs %llu MiB below 4 GiB)",
		    (unsigned long long)(layout->ram_size >> 20), kernel,
		    (unsigned long long)(align_up(kernel_end, MiB) >> 20));
		goto out;
	}

	if (initrd) {
		if (stat(initrd, &st) < 0) {
			kverr_sys(err, errno, "-initrd: cannot open '%s'", initrd);
			goto out;
		}
		bp->initrd_size = (uint64_t)st.st_size;
		/* Highest page-aligned spot below both the end of low RAM and
		 * the kernel's initrd_addr_max. */
		top = layout->below_4g;
		if ((uint64_t)initrd_max + 1 < top)
			top = (uint64_t)initrd_max + 1;
		if (bp->initrd_size > top ||
		    align_down(top - bp->initrd_size, 4096) < align_up(kernel_end, 4096)) {
			kverr_set(err, EINVAL,
				  "-initrd: '%s' (%llu bytes) does not fit in RAM below 0x%llx "
				  "beside the kernel; use a larger -m",
				  initrd, (unsigned long long)bp->initrd_size,
				  (unsigned long long)top);
			goto out;
		}
		bp->initrd_gpa = align_down(top - bp->initrd_size, 4096);
	}
	ret = 0;
out:
	return ret;
}

/* Identity-map 0-4 GiB with 2 MiB pages; the kernel builds its own tables
 * early, this only has to cover what it touches before that. */
static int write_page_tables(struct mem_manager *mm, struct kverr *err)
{
	uint64_t pml4[512] = {0}, pdpt[512] = {0}, pd[512];
	int ret;

	pml4[0] = LAYOUT_PDPT | 0x3; /* present, writable */
	for (int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + (uint64_t)i * 0x1000) | 0x3;
	ret = mem_write(mm, LAYOUT_PML4, pml4, sizeof(pml4), err);
	if (!ret)
		ret = mem_write(mm, LAYOUT_PDPT, pdpt, sizeof(pdpt), err);
	for (int i = 0; i < 4 && !ret; i++) {
		for (int j = 0; j < 512; j++)
			pd[j] = (((uint64_t)i << 30) + ((uint64_t)j << 21)) | 0x83; /* PS */
		ret = mem_write(mm, LAYOUT_PD + (uint64_t)i * 0x1000, pd, sizeof(pd), err);
	}
	return ret;
}

static int write_gdt(struct mem_manager *mm, struct boot_entry *entry, struct kverr *err)
{
	/* null, null, 64-bit code (0x10), data (0x18) - the selectors the
	 * boot protocol names __BOOT_CS and __BOOT_DS. */
	const uint64_t gdt[4] = {
	    0, 0, 0x00af9b000000ffffULL, /* code: P, DPL0, S, exec/read, accessed, L, G */
	    0x00cf93000000ffffULL,	 /* data: P, DPL0, S, read/write, accessed, D/B, G */
	};
	entry->gdt_base = LAYOUT_BOOT_GDT;
	entry->gdt_limit = sizeof(gdt) - 1;
	entry->code_sel = BOOT_GDT_CODE;
	entry->data_sel = BOOT_GDT_DATA;
	return mem_write(mm, LAYOUT_BOOT_GDT, gdt, sizeof(gdt), err);
}

/* Zero len bytes of guest RAM at gpa (a segment's part beyond its file
 * data: after a reset the RAM holds the last run's bytes). */
static int zero_guest(struct mem_manager *mm, uint64_t gpa, uint64_t len, struct kverr *err)
{
	static const uint8_t zeros[4096];
	int ret = 0;

	while (!ret && len) {
		uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		ret = mem_write(mm, gpa, zeros, n, err);
		gpa += n;
		len -= n;
	}
	return ret;
}

/* Put a vmlinux's segments in guest RAM and write the setup header the
 * file does not have: a boot loader's fields are filled by the caller. */
static int load_elf(const struct boot_plan *bp, int fd, struct mem_manager *mm, uint8_t *zp,
		    struct kverr *err)
{
	uint64_t lowest = UINT64_MAX;
	int ret = 0;

	for (unsigned i = 0; i < bp->nr_segments && !ret; i++) {
		const struct boot_segment *sg = &bp->segment[i];

		ret = load_to_guest("-kernel", bp->kernel_path, fd, sg->offset, sg->filesz, mm,
				    sg->gpa, err);
		if (!ret)
			ret = zero_guest(mm, sg->gpa + sg->filesz, sg->memsz - sg->filesz, err);
		if (sg->gpa < lowest)
			lowest = sg->gpa;
	}
	if (ret)
		return ret;
	le_put16(zp + HDR_BOOT_FLAG, 0xaa55);
	memcpy(zp + HDR_MAGIC, "HdrS", 4);
	le_put16(zp + HDR_VERSION, ELF_PROTOCOL);
	le_put32(zp + HDR_INITRD_ADDR_MAX, ELF_INITRD_ADDR_MAX);
	le_put32(zp + HDR_KERNEL_ALIGNMENT, ELF_KERNEL_ALIGNMENT);
	zp[HDR_XLOADFLAGS] = XLF_KERNEL_64;
	le_put32(zp + HDR_CMDLINE_SIZE, ELF_CMDLINE_MAX);
	le_put64(zp + HDR_PREF_ADDRESS, lowest);
	le_put32(zp + HDR_INIT_SIZE, bp->init_size);
	return 0;
}

int boot_load(const struct boot_plan *bp, struct mem_manager *mm, const struct e820_map *e820,
	      uint64_t rsdp_gpa, struct boot_entry *entry, struct kverr *err)
{
	uint8_t img[IMAGE_HEAD];
	uint64_t img_size, initrd_size;
	uint8_t zp[BP_SIZE];
	unsigned hdr_end;
	int fd, initrd_fd = -1, ret;

	fd = open_image("-kernel", bp->kernel_path, img, sizeof(img), &img_size, err);
	if (fd < 0)
		return fd;
	/* The file may have changed since boot_probe; everything below
	 * re-checks the sizes it relies on. */
	if (img_size != bp->setup_size + bp->kernel_size) {
		ret = kverr_set(err, EINVAL, "-kernel: '%s' changed size while starting",
				bp->kernel_path);
		goto out;
	}

	memset(zp, 0, sizeof(zp));
	if (bp->elf) {
		ret = load_elf(bp, fd, mm, zp, err);
		if (ret)
			goto out;
	} else {
		/* Copy the setup header as the file has it; its length is
		 * given by the jump instruction at 0x200, and is at least
		 * what protocol 2.12, which boot_probe checked, defines: the
		 * fields boot_probe read are the ones the kernel finds. */
		hdr_end = 0x202 + img[HDR_JUMP + 1];
		if (hdr_end < HDR_END_2_12)
			hdr_end = HDR_END_2_12;
		if (hdr_end > BP_E820_TABLE)
			hdr_end = BP_E820_TABLE;
		memcpy(zp + HDR_START, img + HDR_START, hdr_end - HDR_START);
	}

	/* The loader's fields: what the file holds there is not the guest's
	 * (an initrd or a setup_data list kvmem did not put in RAM). */
	zp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
	le_put32(zp + HDR_RAMDISK_IMAGE, 0);
	le_put32(zp + HDR_RAMDISK_SIZE, 0);
	le_put64(zp + HDR_SETUP_DATA, 0);
	zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	le_put16(zp + HDR_HEAP_END_PTR, 0xfe00);
	le_put32(zp + HDR_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
	le_put32(zp + BP_EXT_CMD_LINE_PTR, 0);
	le_put64(zp + BP_ACPI_RSDP_ADDR, rsdp_gpa);

	if (e820->nr > E820_MAX) {
		ret = kverr_set(err, EINVAL, "e820 map has %u entries, boot_params holds %d",
				e820->nr, E820_MAX);
		goto out;
	}
	zp[BP_E820_ENTRIES] = (uint8_t)e820->nr;
	for (unsigned i = 0; i < e820->nr; i++) {
		uint8_t *p = zp + BP_E820_TABLE + 20 * i;
		le_put64(p, e820->entry[i].addr);
		le_put64(p + 8, e820->entry[i].size);
		le_put32(p + 16, e820->entry[i].type);
	}

	if (!bp->elf) {
		ret = load_to_guest("-kernel", bp->kernel_path, fd, bp->setup_size, bp->kernel_size,
				    mm, LAYOUT_KERNEL_LOAD, err);
		if (ret)
			goto out;
	}

	if (bp->initrd_path) {
		initrd_fd = open_image("-initrd", bp->initrd_path, NULL, 0, &initrd_size, err);
		if (initrd_fd < 0) {
			ret = initrd_fd;
			goto out;
		}
		if (initrd_size != bp->initrd_size) {
			ret = kverr_set(err, EINVAL, "-initrd: '%s' changed size while starting",
					bp->initrd_path);
			goto out;
		}
		ret = load_to_guest("-initrd", bp->initrd_path, initrd_fd, 0, initrd_size, mm,
				    bp->initrd_gpa, err);
		if (ret)
			goto out;
		le_put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)bp->initrd_gpa);
		le_put32(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
		le_put32(zp + BP_EXT_RAMDISK_IMG, (uint32_t)(bp->initrd_gpa >> 32));
		le_put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	}

	ret = mem_write(mm, LAYOUT_CMDLINE, bp->cmdline, strlen(bp->cmdline) + 1, err);
	if (!ret)
		ret = mem_write(mm, LAYOUT_BOOT_PARAMS, zp, sizeof(zp), err);
	if (!ret)
		ret = write_gdt(mm, entry, err);
	if (!ret)
		ret = write_page_tables(mm, err);
	if (ret)
		goto out;

	entry->rip = bp->elf ? bp->entry : LAYOUT_KERNEL_LOAD + 0x200;
	entry->rsi = LAYOUT_BOOT_PARAMS;
	entry->cr3 = LAYOUT_PML4;
out:
	close(fd);
	if (initrd_fd >= 0)
		close(initrd_fd);
	return ret;
}
