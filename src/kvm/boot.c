/* boot.c - load a bzImage as Documentation/x86/boot.rst describes:
 * the setup header at 0x1f1 of the file, the protected-mode kernel after
 * (setup_sects + 1) * 512 bytes, entered at load address + 0x200 in
 * 64-bit mode with %rsi pointing at boot_params.  kvmem is the boot
 * loader, so it fills the header fields a loader owns (type_of_loader,
 * loadflags, cmd_line_ptr, ramdisk_*) and copies the rest from the file.
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
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

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
	if (strlen(bp->cmdline) > cmdline_max || strlen(bp->cmdline) >= LAYOUT_CMDLINE_MAX) {
		kverr_set(err, EINVAL,
			  "-append: command line of %zu bytes exceeds the kernel's limit of %u",
			  strlen(bp->cmdline), cmdline_max);
		goto out;
	}

	/* The kernel decompresses in place from its load address; keep room
	 * for init_size (at least the image) above LAYOUT_KERNEL_LOAD. */
	kernel_end = LAYOUT_KERNEL_LOAD +
		     (bp->init_size > bp->kernel_size ? bp->init_size : bp->kernel_size);
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
		initrd_max = le_get32(img + HDR_INITRD_ADDR_MAX);
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
	/* Copy the setup header as the file has it; its length is given by
	 * the jump instruction at 0x200. */
	hdr_end = 0x202 + img[HDR_JUMP + 1];
	if (hdr_end > BP_E820_TABLE)
		hdr_end = BP_E820_TABLE;
	memcpy(zp + HDR_START, img + HDR_START, hdr_end - HDR_START);

	zp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
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

	ret = load_to_guest("-kernel", bp->kernel_path, fd, bp->setup_size, bp->kernel_size, mm,
			    LAYOUT_KERNEL_LOAD, err);
	if (ret)
		goto out;

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

	entry->rip = LAYOUT_KERNEL_LOAD + 0x200;
	entry->rsi = LAYOUT_BOOT_PARAMS;
	entry->cr3 = LAYOUT_PML4;
out:
	close(fd);
	if (initrd_fd >= 0)
		close(initrd_fd);
	return ret;
}
