/* pci_acpi.h - the PCI bus's part of the DSDT (an acpi_dsdt_part).  Pure.
 *
 * \_SB.PCI0: the host bridge (PNP0A03) with the windows of the plan in its
 * _CRS, the INTx routing of plan/pci.c in its _PRT and the ECAM base in
 * its _CBA; \_SB.ECAM (PNP0C02) reserves the ECAM range, as Linux wants
 * before it uses it.  opaque is the struct pci_plan.
 */
#ifndef KVMEM_HW_PCI_ACPI_H
#define KVMEM_HW_PCI_ACPI_H

struct aml_ctx;
struct aml;

void pci_acpi_build(struct aml_ctx *ctx, struct aml *root, struct aml *sb, const void *opaque);

#endif
