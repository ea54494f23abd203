/* tables.c - RSDP, XSDT, FADT, FACS, MADT and DSDT, built into one buffer.
 *
 * The buffer is laid out as the guest will see it at `base`:
 *
 *   RSDP (36 bytes, at base)  FACS (64-byte aligned)  DSDT  FADT  MADT  XSDT
 *
 * Tables are written front to back, so every pointer a table holds refers
 * to one already placed; only the RSDP, which must come first, is filled
 * in last.  Numbers come from layout.h (addresses), topology.h (APIC ids)
 * and iomap.h (ports and IRQs); the DSDT's AML comes from aml.h.
 * Field layouts follow ACPI 6.5 chapter 5 (the FADT is the 6.0+ form,
 * 276 bytes, minor version 3; the MADT is revision 5, which gives meaning
 * to the Online Capable flag).
 */
#include "acpi/acpi.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "hw/memhp.h"
#include "plan/iomap.h"

#define OEM_ID "KVMEM "		/* 6 bytes */
#define OEM_TABLE_ID "KVMEM   " /* 8 bytes */
#define OEM_REVISION 1
#define CREATOR_ID "KVMM"
#define CREATOR_REVISION 1

#define HEADER_LEN 36
#define RSDP_LEN 36
#define FACS_LEN 64

#define FADT_REVISION 6
#define FADT_MINOR_REVISION 3
#define MADT_REVISION 5
#define DSDT_REVISION 2 /* 2: AML integers are 64-bit */
#define XSDT_REVISION 1
#define FACS_VERSION 2

/* FADT Flags (ACPI 6.5 table 5.10) */
#define FADT_F_WBINVD (1U << 0)
#define FADT_F_PROC_C1 (1U << 2)
#define FADT_F_SLP_BUTTON (1U << 5) /* no fixed-feature sleep button */
#define FADT_F_FIX_RTC (1U << 6)    /* no RTC_STS in PM1: RTC cannot wake */
#define FADT_F_RESET_REG_SUP (1U << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1U << 15)

/* FADT IAPC_BOOT_ARCH (table 5.11) */
#define FADT_BOOT_LEGACY_DEVICES (1U << 0)
#define FADT_BOOT_VGA_NOT_PRESENT (1U << 2)

/* Generic Address Structure */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_LEGACY 0
#define GAS_ACCESS_BYTE 1

/* MADT (section 5.2.12) */
#define MADT_PCAT_COMPAT (1U << 0)
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_ENABLED (1U << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1U << 1)
#define MADT_ALL_PROCESSORS 0xff
/* MPS INTI flags: polarity bits 0-1, trigger mode bits 2-3 */
#define MPS_INTI_CONFORMS 0x0
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_LEVEL 0xc
/* KVM's in-kernel IOAPIC starts with ID register 0, as QEMU's does. */
#define MADT_IOAPIC_ID 0
#define ISA_IRQ_TIMER 0
#define GSI_TIMER 2 /* the PIT is wired to IOAPIC pin 2 */
#define LAPIC_LINT1 1

/* SRAT (section 5.2.16) */
#define SRAT_REVISION 3
#define SRAT_LAPIC 0
#define SRAT_MEMORY 1
#define SRAT_X2APIC 2
#define SRAT_CPU_ENABLED (1U << 0)
#define SRAT_MEM_ENABLED (1U << 0)
#define SRAT_MEM_HOTPLUGGABLE (1U << 1)

/* SLIT (section 5.2.17) */
#define SLIT_REVISION 1

/* HMAT (section 5.2.27); Linux reads revisions 1 and 2 only */
#define HMAT_REVISION 2
#define HMAT_MPDA 0  /* Memory Proximity Domain Attributes */
#define HMAT_LB 1    /* System Locality Latency and Bandwidth Information */
#define HMAT_CACHE 2 /* Memory Side Cache Information */
#define HMAT_INITIATOR_VALID (1U << 0)

/* The growing blob.  A failed allocation is remembered and reported once
 * at the end, so the table writers below stay free of error plumbing. */
struct tbuf {
	uint64_t base;
	uint8_t *data;
	size_t len, cap;
	bool nomem;
};

static void put_bytes(struct tbuf *b, const void *p, size_t n)
{
	if (b->nomem || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *data;
		while (cap < b->len + n)
			cap *= 2;
		data = realloc(b->data, cap);
		if (!data) {
			b->nomem = true;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Little-endian integer of `bytes` (at most 8) bytes. */
static void put(struct tbuf *b, uint64_t v, unsigned bytes)
{
	uint8_t tmp[8];
	for (unsigned i = 0; i < bytes; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	put_bytes(b, tmp, bytes);
}

static void put_zeros(struct tbuf *b, size_t n)
{
	while (n--)
		put(b, 0, 1);
}

static void patch(struct tbuf *b, size_t off, uint64_t v, unsigned bytes)
{
	if (b->nomem)
		return;
	for (unsigned i = 0; i < bytes; i++)
		b->data[off + i] = (uint8_t)(v >> (8 * i));
}

/* Pads with zeros until the guest physical address of the next byte is a
 * multiple of align; returns the offset of that byte. */
static size_t align_to(struct tbuf *b, unsigned align)
{
	while ((b->base + b->len) % align && !b->nomem)
		put(b, 0, 1);
	return b->len;
}

static uint64_t gpa(const struct tbuf *b, size_t off)
{
	return b->base + off;
}

static size_t table_begin(struct tbuf *b, const char sig[4], uint8_t revision)
{
	size_t start = b->len;
	put_bytes(b, sig, 4);
	put(b, 0, 4); /* Length: table_end() */
	put(b, revision, 1);
	put(b, 0, 1); /* Checksum: table_end() */
	put_bytes(b, OEM_ID, 6);
	put_bytes(b, OEM_TABLE_ID, 8);
	put(b, OEM_REVISION, 4);
	put_bytes(b, CREATOR_ID, 4);
	put(b, CREATOR_REVISION, 4);
	return start;
}

static void table_end(struct tbuf *b, size_t start)
{
	size_t len = b->len - start;
	if (b->nomem)
		return;
	patch(b, start + 4, len, 4);
	b->data[start + 9] = acpi_checksum(b->data + start, len);
}

/* Generic Address Structure for an I/O port block. */
static void put_gas_io(struct tbuf *b, uint16_t port, unsigned len_bytes, uint8_t access)
{
	put(b, GAS_SYSTEM_IO, 1);
	put(b, len_bytes * 8, 1); /* Register Bit Width */
	put(b, 0, 1);		  /* Register Bit Offset */
	put(b, access, 1);
	put(b, port, 8);
}

static void put_gas_none(struct tbuf *b)
{
	put(b, 0, 8);
	put(b, 0, 4);
}

static size_t build_facs(struct tbuf *b)
{
	size_t start = align_to(b, 64); /* ACPI 6.5 5.2.10: 64-byte aligned */
	put_bytes(b, "FACS", 4);
	put(b, FACS_LEN, 4);
	put(b, 0, 4); /* Hardware Signature */
	put(b, 0, 4); /* Firmware Waking Vector: no S3 */
	put(b, 0, 4); /* Global Lock */
	put(b, 0, 4); /* Flags: no S4BIOS, no 64-bit wake */
	put(b, 0, 8); /* X Firmware Waking Vector */
	put(b, FACS_VERSION, 1);
	put_zeros(b, 3);  /* Reserved */
	put(b, 0, 4);	  /* OSPM Flags */
	put_zeros(b, 24); /* Reserved */
	return start;
}

int acpi_add_dsdt_part(struct acpi_input *in, const char *name,
		       void (*build)(struct aml_ctx *ctx, struct aml *root, struct aml *sb,
				     const void *opaque),
		       const void *opaque, struct kverr *err)
{
	if (in->nr_dsdt_parts == ACPI_MAX_DSDT_PARTS)
		return kverr_set(err, ENOSPC, "ACPI DSDT: no room for part %s (at most %d)", name,
				 ACPI_MAX_DSDT_PARTS);
	in->dsdt_part[in->nr_dsdt_parts++] =
	    (struct acpi_dsdt_part){.name = name, .build = build, .opaque = opaque};
	return 0;
}

/* The namespace: \_S5 for power-off, the ISA devices a guest cannot find
 * without firmware help, then each device's own part (acpi_dsdt_part). */
static int build_dsdt_aml(struct aml_ctx *ctx, struct aml *body, const struct acpi_input *in,
			  struct kverr *err)
{
	struct aml *s5, *sb, *dev, *crs;

	/* \_S5: SLP_TYP for PM1a_CNT, for PM1b_CNT (absent), two reserved */
	s5 = aml_package(ctx);
	aml_append(s5, aml_int(ctx, IOMAP_SLP_TYP_S5));
	aml_append(s5, aml_int(ctx, 0));
	aml_append(s5, aml_int(ctx, 0));
	aml_append(s5, aml_int(ctx, 0));
	aml_append(body, aml_name_decl(ctx, "_S5", s5));

	sb = aml_scope(ctx, "\\_SB");

	dev = aml_device(ctx, "COM1");
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0501")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_int(ctx, 1)));
	/* present, enabled, shown in UI, functioning */
	aml_append(dev, aml_name_decl(ctx, "_STA", aml_int(ctx, 0xf)));
	crs = aml_resource_template(ctx);
	aml_append(crs,
		   aml_io(ctx, AML_DECODE16, IOMAP_COM1_BASE, IOMAP_COM1_BASE, 1, IOMAP_COM1_LEN));
	aml_append(crs, aml_irq_no_flags(ctx, IOMAP_COM1_IRQ));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(sb, dev);

	dev = aml_device(ctx, "RTC");
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0B00")));
	crs = aml_resource_template(ctx);
	aml_append(crs,
		   aml_io(ctx, AML_DECODE16, IOMAP_RTC_BASE, IOMAP_RTC_BASE, 1, IOMAP_RTC_LEN));
	aml_append(crs, aml_irq_no_flags(ctx, IOMAP_RTC_IRQ));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(sb, dev);

	for (unsigned i = 0; i < in->nr_dsdt_parts; i++) {
		const struct acpi_dsdt_part *part = &in->dsdt_part[i];
		struct kverr perr = {{0}};

		part->build(ctx, body, sb, part->opaque);
		if (aml_ctx_error(ctx, &perr))
			return kverr_set(err, EINVAL, "ACPI DSDT part %s: %s", part->name,
					 perr.msg);
	}
	aml_append(body, sb);
	return aml_ctx_error(ctx, err);
}

static int build_dsdt(struct tbuf *b, const struct acpi_input *in, size_t *off, struct kverr *err)
{
	struct aml_ctx *ctx = aml_ctx_new();
	struct aml *body;
	const uint8_t *aml;
	size_t aml_len, start;
	int ret;

	if (!ctx)
		return kverr_set(err, ENOMEM, "ACPI DSDT: out of memory");
	body = aml_block(ctx);
	ret = build_dsdt_aml(ctx, body, in, err);
	if (ret == 0) {
		memhp_build_aml(ctx, body, in->layout->slots); /* DIMM slots, when -m gives them */
		ret = aml_bytes(body, &aml, &aml_len, err);
	}
	if (ret == 0) {
		start = align_to(b, 16);
		table_begin(b, "DSDT", DSDT_REVISION);
		put_bytes(b, aml, aml_len);
		table_end(b, start);
		*off = start;
	}
	aml_ctx_free(ctx);
	return ret;
}

static size_t build_fadt(struct tbuf *b, size_t facs, size_t dsdt)
{
	size_t start = align_to(b, 16);

	table_begin(b, "FACP", FADT_REVISION);
	/* The FACS is below 4 GiB, so only FIRMWARE_CTRL is set: the spec
	 * wants X_FIRMWARE_CTRL zero when FIRMWARE_CTRL is used. */
	put(b, gpa(b, facs), 4); /* FIRMWARE_CTRL */
	put(b, gpa(b, dsdt), 4); /* DSDT */
	put(b, 0, 1);		 /* Reserved (was INT_MODEL) */
	put(b, 0, 1);		 /* Preferred_PM_Profile: unspecified */
	put(b, IOMAP_SCI_IRQ, 2);
	/* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE all zero: there is no SMM, the
	 * hardware is in ACPI mode from reset (PM1_CNT.SCI_EN reads 1). */
	put(b, 0, 4); /* SMI_CMD */
	put(b, 0, 1); /* ACPI_ENABLE */
	put(b, 0, 1); /* ACPI_DISABLE */
	put(b, 0, 1); /* S4BIOS_REQ */
	put(b, 0, 1); /* PSTATE_CNT */
	put(b, IOMAP_PM1A_EVT, 4);
	put(b, 0, 4); /* PM1b_EVT_BLK */
	put(b, IOMAP_PM1A_CNT, 4);
	put(b, 0, 4); /* PM1b_CNT_BLK */
	put(b, 0, 4); /* PM2_CNT_BLK */
	put(b, IOMAP_PM_TMR, 4);
	put(b, IOMAP_GPE0_BLK, 4);
	put(b, 0, 4); /* GPE1_BLK */
	put(b, IOMAP_PM1A_EVT_LEN, 1);
	put(b, IOMAP_PM1A_CNT_LEN, 1);
	put(b, 0, 1); /* PM2_CNT_LEN */
	put(b, IOMAP_PM_TMR_LEN, 1);
	put(b, IOMAP_GPE0_BLK_LEN, 1);
	put(b, 0, 1);	  /* GPE1_BLK_LEN */
	put(b, 0, 1);	  /* GPE1_BASE */
	put(b, 0, 1);	  /* CST_CNT */
	put(b, 0xfff, 2); /* P_LVL2_LAT > 100: no C2 */
	put(b, 0xfff, 2); /* P_LVL3_LAT > 1000: no C3 */
	put(b, 0, 2);	  /* FLUSH_SIZE */
	put(b, 0, 2);	  /* FLUSH_STRIDE */
	put(b, 0, 1);	  /* DUTY_OFFSET */
	put(b, 0, 1);	  /* DUTY_WIDTH */
	put(b, 0, 1);	  /* DAY_ALRM */
	put(b, 0, 1);	  /* MON_ALRM */
	put(b, 0, 1);	  /* CENTURY: the RTC has no century register */
	/* COM1 and the RTC are ISA devices; no VGA, and no 8042 (bit 1
	 * clear) so the guest does not probe for a keyboard controller. */
	put(b, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_VGA_NOT_PRESENT, 2);
	put(b, 0, 1); /* Reserved */
	/* PWR_BUTTON clear: the power button is the fixed-feature one. */
	put(b,
	    FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_FIX_RTC |
		FADT_F_RESET_REG_SUP | FADT_F_USE_PLATFORM_CLOCK,
	    4);
	put_gas_io(b, IOMAP_RESET_REG, 1, GAS_ACCESS_BYTE); /* RESET_REG */
	put(b, IOMAP_RESET_VALUE, 1);
	put(b, 0, 2); /* ARM_BOOT_ARCH */
	put(b, FADT_MINOR_REVISION, 1);
	put(b, 0, 8);		 /* X_FIRMWARE_CTRL: see FIRMWARE_CTRL */
	put(b, gpa(b, dsdt), 8); /* X_DSDT */
	/* Access size "legacy" lets the OS split the blocks into their
	 * registers itself, as it does for the 32-bit fields. */
	put_gas_io(b, IOMAP_PM1A_EVT, IOMAP_PM1A_EVT_LEN, GAS_ACCESS_LEGACY);
	put_gas_none(b); /* X_PM1b_EVT_BLK */
	put_gas_io(b, IOMAP_PM1A_CNT, IOMAP_PM1A_CNT_LEN, GAS_ACCESS_LEGACY);
	put_gas_none(b); /* X_PM1b_CNT_BLK */
	put_gas_none(b); /* X_PM2_CNT_BLK */
	put_gas_io(b, IOMAP_PM_TMR, IOMAP_PM_TMR_LEN, GAS_ACCESS_LEGACY);
	put_gas_io(b, IOMAP_GPE0_BLK, IOMAP_GPE0_BLK_LEN, GAS_ACCESS_LEGACY);
	put_gas_none(b); /* X_GPE1_BLK */
	put_gas_none(b); /* SLEEP_CONTROL_REG: hardware-reduced only */
	put_gas_none(b); /* SLEEP_STATUS_REG */
	put(b, 0, 8);	 /* Hypervisor Vendor Identity */
	table_end(b, start);
	return start;
}

static void put_iso(struct tbuf *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	put(b, MADT_ISO, 1);
	put(b, 10, 1); /* Length */
	put(b, 0, 1);  /* Bus: ISA */
	put(b, irq, 1);
	put(b, gsi, 4);
	put(b, flags, 2);
}

static size_t build_madt(struct tbuf *b, const struct topology *t)
{
	size_t start = align_to(b, 16);

	table_begin(b, "APIC", MADT_REVISION);
	put(b, LAYOUT_LAPIC, 4);
	put(b, MADT_PCAT_COMPAT, 4); /* there are 8259s to mask */
	for (uint32_t idx = 0; idx < t->maxcpus; idx++) {
		/* Not-yet-plugged CPUs are Online Capable so that the guest
		 * counts them as possible (ACPI 6.3+ semantics). */
		uint32_t flags = idx < t->cpus ? MADT_LAPIC_ENABLED : MADT_LAPIC_ONLINE_CAPABLE;
		put(b, MADT_LAPIC, 1);
		put(b, 8, 1);	/* Length */
		put(b, idx, 1); /* ACPI Processor UID */
		put(b, topology_apic_id(t, idx), 1);
		put(b, flags, 4);
	}

	put(b, MADT_IOAPIC, 1);
	put(b, 12, 1); /* Length */
	put(b, MADT_IOAPIC_ID, 1);
	put(b, 0, 1); /* Reserved */
	put(b, LAYOUT_IOAPIC, 4);
	put(b, 0, 4); /* Global System Interrupt Base */

	/* The PIT (IRQ0) reaches IOAPIC pin 2; the SCI is level-triggered
	 * and active-high on its pin, as QEMU's PIIX4 PM wires it. */
	put_iso(b, ISA_IRQ_TIMER, GSI_TIMER, MPS_INTI_CONFORMS);
	put_iso(b, IOMAP_SCI_IRQ, IOMAP_SCI_IRQ, MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);

	put(b, MADT_LAPIC_NMI, 1);
	put(b, 6, 1); /* Length */
	put(b, MADT_ALL_PROCESSORS, 1);
	put(b, MPS_INTI_CONFORMS, 2);
	put(b, LAPIC_LINT1, 1);
	table_end(b, start);
	return start;
}

static void put_srat_memory(struct tbuf *b, uint32_t node, uint64_t base, uint64_t len,
			    uint32_t flags)
{
	put(b, SRAT_MEMORY, 1);
	put(b, 40, 1);	 /* Length */
	put(b, node, 4); /* Proximity Domain */
	put(b, 0, 2);	 /* Reserved */
	put(b, base, 8); /* Base Address Low, High */
	put(b, len, 8);	 /* Length Low, High */
	put(b, 0, 4);	 /* Reserved */
	put(b, flags, 4);
	put(b, 0, 8); /* Reserved */
}

/* Every possible CPU in its node (enabled even before it is plugged: Linux
 * ignores disabled entries, and a hot-added CPU needs its node), every
 * node's RAM parts as the layout placed them, and the whole device-memory
 * region as one hotpluggable range of the highest node, as QEMU gives it
 * to its last node: never the one-byte entry of seed 000. */
static size_t build_srat(struct tbuf *b, const struct layout *l, const struct topology *t,
			 const struct numa *n)
{
	size_t start = align_to(b, 16);

	table_begin(b, "SRAT", SRAT_REVISION);
	put(b, 1, 4); /* Reserved: 1 for backward compatibility */
	put(b, 0, 8); /* Reserved */
	for (uint32_t idx = 0; idx < t->maxcpus; idx++) {
		uint32_t node = n->cpu_node[idx], apic = topology_apic_id(t, idx);

		if (apic <= TOPOLOGY_MAX_XAPIC_ID) {
			put(b, SRAT_LAPIC, 1);
			put(b, 16, 1);		/* Length */
			put(b, node & 0xff, 1); /* Proximity Domain [7:0] */
			put(b, apic, 1);
			put(b, SRAT_CPU_ENABLED, 4);
			put(b, 0, 1);	      /* Local SAPIC EID */
			put(b, node >> 8, 3); /* Proximity Domain [31:8] */
			put(b, 0, 4);	      /* Clock Domain */
		} else {
			put(b, SRAT_X2APIC, 1);
			put(b, 24, 1); /* Length */
			put(b, 0, 2);  /* Reserved */
			put(b, node, 4);
			put(b, apic, 4);
			put(b, SRAT_CPU_ENABLED, 4);
			put(b, 0, 4); /* Clock Domain */
			put(b, 0, 4); /* Reserved */
		}
	}
	for (unsigned i = 0; i < l->nr_parts; i++)
		put_srat_memory(b, l->part[i].node, l->part[i].gpa, l->part[i].size,
				SRAT_MEM_ENABLED);
	if (l->device_mem_size)
		put_srat_memory(b, n->max_nodeid - 1, l->device_mem_base, l->device_mem_size,
				SRAT_MEM_ENABLED | SRAT_MEM_HOTPLUGGABLE);
	table_end(b, start);
	return start;
}

/* The distance matrix over ids 0 .. max_nodeid-1, indexed by proximity
 * domain; ids no node uses read 10 to themselves and 255 (no
 * connection) to everything else, which keeps a sparse table valid. */
static size_t build_slit(struct tbuf *b, const struct numa *n)
{
	size_t start = align_to(b, 16);

	table_begin(b, "SLIT", SLIT_REVISION);
	put(b, n->max_nodeid, 8); /* Number of System Localities */
	for (uint32_t i = 0; i < n->max_nodeid; i++)
		for (uint32_t j = 0; j < n->max_nodeid; j++)
			put(b, n->distance[i][j], 1);
	table_end(b, start);
	return start;
}

static uint16_t hmat_entry(const struct numa *n, unsigned h, unsigned t, uint32_t ini, uint32_t tgt)
{
	const struct config_numa *cn = n->cfg;

	for (unsigned i = 0; i < cn->nr_hmat_lb; i++) {
		const struct config_numa_hmat_lb *lb = &cn->hmat_lb[i];
		if (lb->hierarchy == h && lb->data_type == t && lb->initiator == ini &&
		    lb->target == tgt)
			return (uint16_t)((t <= HMAT_WRITE_LATENCY ? lb->latency : lb->bandwidth) /
					  n->lb[h][t].base);
	}
	return 0; /* not given: "no information" */
}

/* From the plan's HMAT data: each node with its initiator, one latency or
 * bandwidth matrix (initiators = nodes with CPUs, targets = all nodes)
 * per hierarchy and data type given, and each memory-side cache.
 * numa_plan() has checked every entry fits. */
static size_t build_hmat(struct tbuf *b, const struct numa *n)
{
	size_t start = align_to(b, 16);
	uint32_t ini[NUMA_MAX_NODES], tgt[NUMA_MAX_NODES], ni = 0, nt = 0;

	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		if (n->node[id].nr_cpus)
			ini[ni++] = id;
		tgt[nt++] = id;
	}
	table_begin(b, "HMAT", HMAT_REVISION);
	put(b, 0, 4); /* Reserved */
	for (uint32_t k = 0; k < nt; k++) {
		uint32_t initiator = n->node[tgt[k]].initiator;
		put(b, HMAT_MPDA, 2);
		put(b, 0, 2);  /* Reserved */
		put(b, 40, 4); /* Length */
		put(b, initiator != NUMA_NO_INITIATOR ? HMAT_INITIATOR_VALID : 0, 2);
		put(b, 0, 2); /* Reserved */
		put(b, initiator != NUMA_NO_INITIATOR ? initiator : 0, 4);
		put(b, tgt[k], 4); /* Proximity Domain for the Memory */
		put(b, 0, 4);	   /* Reserved */
		put(b, 0, 8);	   /* Reserved (was System Physical Address Range Base) */
		put(b, 0, 8);	   /* Reserved (was ... Length) */
	}
	for (unsigned h = 0; h < HMAT_NR_HIERARCHIES; h++) {
		for (unsigned t = 0; t < HMAT_NR_DATA_TYPES; t++) {
			const struct numa_hmat_lb *lb = &n->lb[h][t];
			if (!lb->present)
				continue;
			put(b, HMAT_LB, 2);
			put(b, 0, 2); /* Reserved */
			put(b, 32 + 4 * ni + 4 * nt + 2 * ni * nt, 4);
			put(b, h, 1); /* Flags: memory hierarchy */
			put(b, t, 1); /* Data Type */
			put(b, 0, 1); /* Minimum Transfer Size */
			put(b, 0, 1); /* Reserved */
			put(b, ni, 4);
			put(b, nt, 4);
			put(b, 0, 4); /* Reserved */
			/* Entry Base Unit: picoseconds, or MB/s; -numa gives ns and B/s */
			put(b, t <= HMAT_WRITE_LATENCY ? lb->base * 1000 : lb->base >> 20, 8);
			for (uint32_t k = 0; k < ni; k++)
				put(b, ini[k], 4);
			for (uint32_t k = 0; k < nt; k++)
				put(b, tgt[k], 4);
			for (uint32_t i = 0; i < ni; i++)
				for (uint32_t k = 0; k < nt; k++)
					put(b, hmat_entry(n, h, t, ini[i], tgt[k]), 2);
		}
	}
	for (uint32_t k = 0; k < nt; k++) {
		unsigned levels = 0;
		for (unsigned l = 1; l <= NUMA_HMAT_LEVELS; l++)
			levels += n->cache[tgt[k]][l] != NULL;
		for (unsigned l = 1; l <= NUMA_HMAT_LEVELS; l++) {
			const struct config_numa_hmat_cache *c = n->cache[tgt[k]][l];
			if (!c)
				continue;
			put(b, HMAT_CACHE, 2);
			put(b, 0, 2);  /* Reserved */
			put(b, 32, 4); /* Length: no SMBIOS handles */
			put(b, tgt[k], 4);
			put(b, 0, 4); /* Reserved */
			put(b, c->size, 8);
			/* Cache Attributes: total levels, this level, associativity,
			 * write policy, line size */
			put(b,
			    levels | l << 4 | (uint32_t)c->associativity << 8 |
				(uint32_t)c->policy << 12 | (uint32_t)c->line << 16,
			    4);
			put(b, 0, 2); /* Reserved */
			put(b, 0, 2); /* Number of SMBIOS handles */
		}
	}
	table_end(b, start);
	return start;
}

static size_t build_xsdt(struct tbuf *b, const size_t *tables, size_t n)
{
	size_t start = align_to(b, 16);

	table_begin(b, "XSDT", XSDT_REVISION);
	for (size_t i = 0; i < n; i++)
		put(b, gpa(b, tables[i]), 8);
	table_end(b, start);
	return start;
}

/* Fills the RSDP reserved at offset 0. */
static void fill_rsdp(struct tbuf *b, size_t xsdt)
{
	uint8_t *r;
	if (b->nomem)
		return;
	r = b->data;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;	    /* Revision: ACPI 2.0+, XSDT */
	patch(b, 16, 0, 4); /* RsdtAddress: no RSDT */
	patch(b, 20, RSDP_LEN, 4);
	patch(b, 24, gpa(b, xsdt), 8);
	r[8] = acpi_checksum(r, 20);	    /* ACPI 1.0 part */
	r[32] = acpi_checksum(r, RSDP_LEN); /* whole structure */
}

static int check_input(const struct acpi_input *in, uint64_t base, struct kverr *err)
{
	const struct topology *t = in ? in->topo : NULL;

	if (!in || !in->layout || !t)
		return kverr_set(err, EINVAL, "ACPI: no layout or topology to build tables from");
	if (base % 16)
		return kverr_set(
		    err, EINVAL,
		    "ACPI: tables base 0x%llx is not 16-byte aligned (the RSDP must be)",
		    (unsigned long long)base);
	if (t->cpus == 0 || t->cpus > t->maxcpus)
		return kverr_set(err, EINVAL, "ACPI MADT: %u boot CPUs with maxcpus=%u", t->cpus,
				 t->maxcpus);
	/* Processor UIDs and xAPIC ids are one byte; 255 is the broadcast
	 * id, so UIDs 0-254 cover every CPU. */
	if (t->maxcpus > TOPOLOGY_MAX_XAPIC_ID + 1)
		return kverr_set(err, EINVAL,
				 "ACPI MADT: maxcpus=%u, xAPIC entries allow at most %u",
				 t->maxcpus, TOPOLOGY_MAX_XAPIC_ID + 1);
	for (uint32_t idx = 0; idx < t->maxcpus; idx++) {
		uint32_t id = topology_apic_id(t, idx);
		if (id > TOPOLOGY_MAX_XAPIC_ID)
			return kverr_set(
			    err, EINVAL,
			    "ACPI MADT: CPU %u has APIC id %u, above the xAPIC limit %u "
			    "(topology sockets=%u dies=%u cores=%u threads=%u)",
			    idx, id, TOPOLOGY_MAX_XAPIC_ID, t->sockets, t->dies, t->cores,
			    t->threads);
	}
	return 0;
}

int acpi_build(const struct acpi_input *in, uint64_t base, size_t max_size, struct acpi_blob *out,
	       struct kverr *err)
{
	struct tbuf b = {.base = base};
	const struct numa *numa = in ? in->numa : NULL;
	size_t facs, dsdt = 0, tables[5], xsdt, nr = 0;
	uint64_t end;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = check_input(in, base, err);
	if (ret)
		return ret;

	put_zeros(&b, RSDP_LEN); /* fill_rsdp() */
	facs = build_facs(&b);
	ret = build_dsdt(&b, in, &dsdt, err);
	if (ret) {
		free(b.data);
		return ret;
	}
	tables[nr++] = build_fadt(&b, facs, dsdt);
	tables[nr++] = build_madt(&b, in->topo);
	if (numa && numa->nr_nodes) {
		tables[nr++] = build_srat(&b, in->layout, in->topo, numa);
		if (numa->have_distance)
			tables[nr++] = build_slit(&b, numa);
		if (numa->hmat)
			tables[nr++] = build_hmat(&b, numa);
	}
	xsdt = build_xsdt(&b, tables, nr);
	fill_rsdp(&b, xsdt);

	if (b.nomem) {
		free(b.data);
		return kverr_set(err, ENOMEM, "ACPI: out of memory building %zu bytes of tables",
				 b.len);
	}
	if (b.len > max_size) {
		free(b.data);
		return kverr_set(err, ENOSPC,
				 "ACPI: tables need %zu bytes, more than the %zu bytes at 0x%llx",
				 b.len, max_size, (unsigned long long)base);
	}
	/* The 32-bit pointers (FIRMWARE_CTRL, DSDT) and the guest's RSDP scan
	 * need the blob in RAM below 4 GiB. */
	end = base + b.len;
	if (end < base || end > in->layout->below_4g || end > LAYOUT_4G) {
		free(b.data);
		return kverr_set(err, EINVAL,
				 "ACPI: tables at [0x%llx, 0x%llx) are not inside the RAM below "
				 "0x%llx",
				 (unsigned long long)base, (unsigned long long)end,
				 (unsigned long long)in->layout->below_4g);
	}

	out->base = base;
	out->data = b.data;
	out->size = b.len;
	out->rsdp_gpa = base;
	return 0;
}

void acpi_blob_free(struct acpi_blob *blob)
{
	if (!blob)
		return;
	free(blob->data);
	memset(blob, 0, sizeof(*blob));
}

uint8_t acpi_checksum(const uint8_t *data, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + data[i]);
	return (uint8_t)(0 - sum);
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The table whose header is at guest physical address addr, if all of it
 * lies inside the blob. */
static const uint8_t *table_at(const struct acpi_blob *blob, uint64_t addr, size_t *len)
{
	uint64_t off, tlen;

	if (addr < blob->base || addr - blob->base > blob->size ||
	    blob->size - (addr - blob->base) < 8)
		return NULL;
	off = addr - blob->base;
	tlen = get_le(blob->data + off + 4, 4);
	if (tlen < 8 || tlen > blob->size - off)
		return NULL;
	*len = (size_t)tlen;
	return blob->data + off;
}

const uint8_t *acpi_blob_find(const struct acpi_blob *blob, const char sig[4], size_t *len)
{
	const uint8_t *xsdt, *t;
	size_t xlen, tlen;

	if (!blob || !blob->data || blob->size < RSDP_LEN || memcmp(blob->data, "RSD PTR ", 8))
		return NULL;
	if (!memcmp(sig, "RSDP", 4)) {
		*len = RSDP_LEN;
		return blob->data;
	}
	/* Walk the pointers the guest walks: RSDP -> XSDT -> tables, and
	 * FADT -> DSDT / FACS. */
	xsdt = table_at(blob, get_le(blob->data + 24, 8), &xlen);
	if (!xsdt || xlen < HEADER_LEN || memcmp(xsdt, "XSDT", 4))
		return NULL;
	if (!memcmp(sig, "XSDT", 4)) {
		*len = xlen;
		return xsdt;
	}
	for (size_t i = HEADER_LEN; i + 8 <= xlen; i += 8) {
		t = table_at(blob, get_le(xsdt + i, 8), &tlen);
		if (!t)
			continue;
		if (!memcmp(t, sig, 4)) {
			*len = tlen;
			return t;
		}
		if (!memcmp(t, "FACP", 4) && tlen >= 148) {
			const uint8_t *sub = NULL;
			size_t slen;
			if (!memcmp(sig, "DSDT", 4)) {
				uint64_t x = get_le(t + 140, 8);
				sub = table_at(blob, x ? x : get_le(t + 40, 4), &slen);
			} else if (!memcmp(sig, "FACS", 4)) {
				uint64_t x = get_le(t + 132, 8);
				sub = table_at(blob, x ? x : get_le(t + 36, 4), &slen);
			}
			if (sub && !memcmp(sub, sig, 4)) {
				*len = slen;
				return sub;
			}
		}
	}
	return NULL;
}
