/* iomap.h - fixed I/O ports, IRQs and MMIO addresses of kvmem's devices.
 *
 * The one place these numbers live: device models register themselves
 * here and the ACPI builder describes the same numbers to the guest.
 */
#ifndef KVMEM_PLAN_IOMAP_H
#define KVMEM_PLAN_IOMAP_H

/* 16550 UART (COM1) */
#define IOMAP_COM1_BASE   0x3f8
#define IOMAP_COM1_LEN    8
#define IOMAP_COM1_IRQ    4

/* CMOS RTC */
#define IOMAP_RTC_BASE    0x70
#define IOMAP_RTC_LEN     2
#define IOMAP_RTC_IRQ     8

/* i8042 command port: 0xfe written here pulses reset (fallback path) */
#define IOMAP_I8042_CMD   0x64

/* ACPI fixed hardware (same ports as QEMU's PIIX4 PM) */
#define IOMAP_PM_BASE     0x600
#define IOMAP_PM1A_EVT    (IOMAP_PM_BASE + 0x0) /* 4 bytes: PM1_STS, PM1_EN */
#define IOMAP_PM1A_EVT_LEN 4
#define IOMAP_PM1A_CNT    (IOMAP_PM_BASE + 0x4) /* 2 bytes */
#define IOMAP_PM1A_CNT_LEN 2
#define IOMAP_PM_TMR      (IOMAP_PM_BASE + 0x8) /* 4 bytes, 3.579545 MHz, 24 bit */
#define IOMAP_PM_TMR_LEN  4
#define IOMAP_PM_LEN      0x10
#define IOMAP_GPE0_BLK    0xafe0 /* 4 bytes: GPE0_STS, GPE0_EN (2 each) */
#define IOMAP_GPE0_BLK_LEN 4
#define IOMAP_SCI_IRQ     9
/* ACPI reset register (FADT RESET_REG): write IOMAP_RESET_VALUE */
#define IOMAP_RESET_REG   0xcf9
#define IOMAP_RESET_VALUE 0x06

/* ACPI memory hotplug controller (QEMU's docs/specs/acpi_mem_hotplug.rst):
 * present when -m gives slots; its GPE0 bit makes the guest rescan */
#define IOMAP_MEMHP_BASE  0x0a00
#define IOMAP_MEMHP_LEN   0x18
#define IOMAP_MEMHP_GPE   3

/* PCI configuration mechanism #1 of the i440FX host bridge.  The address
 * register is the dword at 0xcf8; the byte at 0xcf9 is the reset register
 * above, as on PIIX3, so the address register is claimed one byte wide
 * (a dword access is dispatched by its first port). */
#define IOMAP_PCI_CONFIG_ADDR 0xcf8
#define IOMAP_PCI_CONFIG_DATA 0xcfc
#define IOMAP_PCI_CONFIG_DATA_LEN 4
/* PCI INTx: the four PIRQ lines reach IOAPIC inputs 16-19 (level, shared);
 * plan/pci.c's pci_intx_gsi() is the routing, the DSDT's _PRT says it. */
#define IOMAP_PCI_GSI_BASE 16
#define IOMAP_PCI_NR_PIRQ 4

/* ACPI sleep type kvmem's \_S5 announces and the PM device recognises */
#define IOMAP_SLP_TYP_S5  5

#endif
