/* acpi.h - the ACPI tables kvmem gives the guest.  Pure: builds bytes.
 *
 * Owns: RSDP, XSDT, FADT, MADT, DSDT (and later SRAT, SLIT, HMAT) built
 * from the plan (layout, topology, iomap.h), laid out in one buffer that
 * the caller copies to guest physical address `base` (LAYOUT_ACPI_BASE).
 * The RSDP is first in the buffer, at `base`, 16-byte aligned, so the
 * guest's scan of 0xe0000-0xfffff finds it.  Pointers between tables are
 * guest physical addresses computed from `base`.
 * Never: touches guest memory, invents an address or a port (those come
 * from layout.h and iomap.h).
 */
#ifndef KVMEM_ACPI_ACPI_H
#define KVMEM_ACPI_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/topology.h"
#include "util/err.h"

struct aml_ctx;
struct aml;

/* A device's part of the DSDT.  DESIGN: devices describe themselves, the
 * DSDT builder does not know them.  The builder calls every part, in the
 * order added, once \_SB holds kvmem's fixed ISA devices: build appends
 * its devices to sb (the \_SB scope) and may append to root (the table's
 * top level, e.g. a \_GPE scope).  Like the tables it is a pure function
 * of the plan that opaque points to; errors latch in ctx (see aml.h) and
 * fail acpi_build() with the part's name.  Example, plan/pci.h's bus:
 *
 *	acpi_add_dsdt_part(&in, "PCI0", pci_acpi_build, &m->pci_plan, err);
 */
struct acpi_dsdt_part {
	const char *name; /* for messages */
	void (*build)(struct aml_ctx *ctx, struct aml *root, struct aml *sb, const void *opaque);
	const void *opaque;
};

#define ACPI_MAX_DSDT_PARTS 8

struct acpi_input {
	const struct layout *layout;
	const struct topology *topo; /* MADT: one entry per possible CPU,
					enabled for idx < topo->cpus */
	const struct numa *numa;     /* SRAT, SLIT, HMAT; NULL or no nodes: none */
	struct acpi_dsdt_part dsdt_part[ACPI_MAX_DSDT_PARTS];
	unsigned nr_dsdt_parts;
};

/* Add a DSDT part to in (-ENOSPC beyond ACPI_MAX_DSDT_PARTS). */
int acpi_add_dsdt_part(struct acpi_input *in, const char *name,
		       void (*build)(struct aml_ctx *ctx, struct aml *root, struct aml *sb,
				     const void *opaque),
		       const void *opaque, struct kverr *err);

struct acpi_blob {
	uint64_t base;      /* guest physical address of data[0] */
	uint8_t *data;      /* malloc'd; acpi_blob_free() */
	size_t size;        /* bytes used */
	uint64_t rsdp_gpa;  /* == base */
};

/* Build every table.  Fails with -ENOSPC (and a message naming the size)
 * if they do not fit in max_size bytes. */
int acpi_build(const struct acpi_input *in, uint64_t base, size_t max_size,
	       struct acpi_blob *out, struct kverr *err);
void acpi_blob_free(struct acpi_blob *blob);

/* Table access for tests and tools: find a table by signature ("FACP",
 * "APIC", "DSDT", ...) inside a built blob; NULL if absent. */
const uint8_t *acpi_blob_find(const struct acpi_blob *blob, const char sig[4], size_t *len);

/* 8-bit checksum byte that makes sum(data[0..len)) == 0 when stored at
 * the checksum position (which must be 0 while computing). */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

#endif
