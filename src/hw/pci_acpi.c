/* pci_acpi.c - \_SB.PCI0 and the ECAM reservation (see pci_acpi.h).
 *
 * The _CRS follows QEMU 7.2's i440FX PCI0 (hw/i386/acpi-build.c): the bus
 * number range, the config ports, the two I/O windows around them, the
 * 32-bit window and, when there is one, the 64-bit window.  Two
 * differences, both so that Linux enumerates without a warning: the bus
 * range is bus 0 alone (kvmem has no bridges, and the ECAM covers one
 * bus), and _CBA gives the ECAM's base, which Linux then uses for extended
 * config space instead of printing "fail to add MMCONFIG information".
 * The ECAM is outside every window, reserved by a motherboard device.
 */
#include "hw/pci_acpi.h"

#include "acpi/aml.h"
#include "plan/iomap.h"
#include "plan/pci.h"

/* _PRT: Package { address (slot << 16 | 0xffff), pin 0-3, source 0 (a
 * GSI, not a link device), GSI } for every slot and pin. */
static struct aml *build_prt(struct aml_ctx *ctx)
{
	struct aml *prt = aml_package(ctx);

	for (uint8_t slot = 0; slot < PCI_SLOTS; slot++) {
		for (uint8_t pin = PCI_INTA; pin <= PCI_INTD; pin++) {
			struct aml *e = aml_package(ctx);

			aml_append(e, aml_int(ctx, (uint64_t)slot << 16 | 0xffff));
			aml_append(e, aml_int(ctx, pin - PCI_INTA));
			aml_append(e, aml_int(ctx, 0));
			aml_append(e, aml_int(ctx, pci_intx_gsi(slot, pin)));
			aml_append(prt, e);
		}
	}
	return prt;
}

void pci_acpi_build(struct aml_ctx *ctx, struct aml *root, struct aml *sb, const void *opaque)
{
	const struct pci_plan *p = opaque;
	struct aml *dev, *crs;

	(void)root;
	dev = aml_device(ctx, "PCI0");
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0A03")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_int(ctx, 0)));
	aml_append(dev, aml_name_decl(ctx, "_CBA", aml_int(ctx, LAYOUT_PCI_ECAM_BASE)));
	crs = aml_resource_template(ctx);
	aml_append(crs, aml_word_bus_number(ctx, 0, 0));
	aml_append(crs,
		   aml_io(ctx, AML_DECODE16, IOMAP_PCI_CONFIG_ADDR, IOMAP_PCI_CONFIG_ADDR, 1, 8));
	aml_append(crs, aml_word_io(ctx, 0x0000, IOMAP_PCI_CONFIG_ADDR - 1));
	aml_append(crs, aml_word_io(ctx, IOMAP_PCI_CONFIG_ADDR + 8, 0xffff));
	aml_append(crs, aml_dword_memory(ctx, AML_NON_CACHEABLE, AML_READ_WRITE,
					 (uint32_t)p->mmio32_start, (uint32_t)(p->mmio32_end - 1)));
	if (p->mmio64_end > p->mmio64_start)
		aml_append(crs,
			   aml_qword_memory(ctx, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED,
					    AML_CACHEABLE, AML_READ_WRITE, 0, p->mmio64_start,
					    p->mmio64_end - 1, 0, p->mmio64_end - p->mmio64_start));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(dev, aml_name_decl(ctx, "_PRT", build_prt(ctx)));
	aml_append(sb, dev);

	dev = aml_device(ctx, "ECAM");
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0C02")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_int(ctx, 1)));
	crs = aml_resource_template(ctx);
	aml_append(crs, aml_memory32_fixed(ctx, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE,
					   AML_READ_WRITE));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(sb, dev);
}
