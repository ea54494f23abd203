#!/usr/bin/env python3
"""boot_seeds.py - writes fuzz_boot's seed corpus (corpus/boot/): the
smallest kernel files kvmem's loader accepts, so the fuzzer starts past
the magic numbers.  Run it from anywhere; the committed seeds are its
output.

  bzimage      a 64-bit bzImage, boot protocol 2.15: setup_sects 1 (1 KiB
               of setup), 512 bytes of protected-mode kernel, init_size
               2 MiB, initrd_addr_max 0x7fffffff
  vmlinux      an ELF x86-64 executable: a PT_LOAD at 16 MiB (256 bytes of
               file, 8 KiB with its bss) holding the entry point, a
               PT_NOTE, and a second PT_LOAD at 32 MiB
  vmlinux-top  one PT_LOAD from 2 MiB whose bss ends where fuzz_boot's
               initrd (3 MiB + 123 bytes, page-aligned at the top of 64 MiB
               of RAM) starts: one more page and the initrd does not fit
  vmlinux-16   16 PT_LOADs of 16 bytes (4 KiB each with bss) 64 KiB apart
               from 1 MiB: as many as kvmem takes
"""
import os
import struct

MiB = 1 << 20
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "boot")


def bzimage():
    k = bytearray(1024 + 512)
    k[0x1F1] = 1  # setup_sects
    struct.pack_into("<H", k, 0x1FE, 0xAA55)  # boot_flag
    struct.pack_into("<H", k, 0x200, 0x66EB)  # jmp: the header ends at 0x268
    k[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", k, 0x206, 0x020F)  # version
    k[0x211] = 0x01  # loadflags: LOADED_HIGH
    struct.pack_into("<I", k, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<H", k, 0x236, 0x01)  # xloadflags: XLF_KERNEL_64
    struct.pack_into("<I", k, 0x238, 2047)  # cmdline_size
    struct.pack_into("<I", k, 0x260, 2 * MiB)  # init_size
    for i in range(512):
        k[1024 + i] = (i * 7 + 1) & 0xFF
    return bytes(k)


def elf(entry, phdrs, size):
    """phdrs: (type, offset, paddr, filesz, memsz) each."""
    e = bytearray(size)
    e[0:4] = b"\x7fELF"
    e[4] = 2  # ELFCLASS64
    e[5] = 1  # ELFDATA2LSB
    e[6] = 1  # EV_CURRENT
    struct.pack_into("<HHI", e, 16, 2, 62, 1)  # ET_EXEC, EM_X86_64, version
    struct.pack_into("<QQQ", e, 24, entry, 64, 0)  # entry, phoff, shoff
    struct.pack_into("<IHHHHHH", e, 48, 0, 64, 56, len(phdrs), 64, 0, 0)
    for i, (typ, off, paddr, filesz, memsz) in enumerate(phdrs):
        vaddr = 0xFFFFFFFF80000000 + paddr if typ == 1 else 0
        struct.pack_into("<IIQQQQQQ", e, 64 + 56 * i, typ, 7, off, vaddr, paddr, filesz,
                         memsz, 0x1000)
    for i in range(64 + 56 * len(phdrs), size):
        e[i] = (i * 13 + 5) & 0xFF
    return bytes(e)


def main():
    os.makedirs(HERE, exist_ok=True)
    seeds = {
        "bzimage": bzimage(),
        "vmlinux": elf(16 * MiB + 0x40,
                       [(1, 0x200, 16 * MiB, 256, 8192), (4, 0x300, 0, 32, 32),
                        (1, 0x320, 32 * MiB, 64, 64)], 0x400),
        "vmlinux-top": elf(2 * MiB, [(1, 0x100, 2 * MiB, 128, 59 * MiB - 4096)], 0x200),
        "vmlinux-16": elf(MiB, [(1, 0x3C0 + 16 * i, MiB + i * 0x10000, 16, 4096)
                                for i in range(16)], 0x4C0),
    }
    for name, data in seeds.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
