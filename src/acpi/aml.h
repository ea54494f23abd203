/* aml.h - build AML (ACPI Machine Language) with calls that read like ASL.
 *
 * Owns: the AML byte encodings (ACPI 6.x chapter 20): PkgLength, NameString,
 * integer and string constants, named objects, control flow, operators and
 * the resource descriptors that _CRS needs.  tables.c and the device
 * tables (memory hotplug, ...) describe the namespace through this API and
 * never write AML bytes themselves.
 * Never: prints, exits, or knows about a particular device or address.
 *
 * Usage: every node belongs to one struct aml_ctx, which frees them all.
 * Build inner nodes first and append them to their parent; appending copies
 * the child's encoding, so finish a child before appending it:
 *
 *	struct aml *dev = aml_device(ctx, "COM1");
 *	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0501")));
 *	aml_append(scope, dev);
 *
 * Errors (a malformed name, an out-of-range argument, no memory) do not
 * need checking after each call: the first one is latched in the context,
 * later calls keep working on a harmless placeholder node, and
 * aml_ctx_error() / aml_bytes() report it once at the end.
 */
#ifndef KVMEM_ACPI_AML_H
#define KVMEM_ACPI_AML_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct aml_ctx;
struct aml;

/* Largest value a PkgLength can carry (28 bits). */
#define AML_PKGLEN_MAX 0x0fffffffU

enum aml_serialize { AML_NOTSERIALIZED = 0, AML_SERIALIZED = 1 };

/* Resource descriptors */
enum aml_io_decode { AML_DECODE10 = 0, AML_DECODE16 = 1 };
enum aml_rw { AML_READ_ONLY = 0, AML_READ_WRITE = 1 };
enum aml_decode { AML_POS_DECODE = 0, AML_SUB_DECODE = 1 };
enum aml_min_fixed { AML_MIN_NOT_FIXED = 0, AML_MIN_FIXED = 1 };
enum aml_max_fixed { AML_MAX_NOT_FIXED = 0, AML_MAX_FIXED = 1 };
enum aml_cacheable {
	AML_NON_CACHEABLE = 0,
	AML_CACHEABLE = 1,
	AML_WRITE_COMBINING = 2,
	AML_PREFETCHABLE = 3,
};

/* OperationRegion / Field */
enum aml_region_space {
	AML_SYSTEM_MEMORY = 0,
	AML_SYSTEM_IO = 1,
	AML_PCI_CONFIG = 2,
};
enum aml_access_type {
	AML_ANY_ACC = 0,
	AML_BYTE_ACC = 1,
	AML_WORD_ACC = 2,
	AML_DWORD_ACC = 3,
	AML_QWORD_ACC = 4,
	AML_BUFFER_ACC = 5,
};
enum aml_lock_rule { AML_NOLOCK = 0, AML_LOCK = 1 };
enum aml_update_rule { AML_PRESERVE = 0, AML_WRITE_AS_ONES = 1, AML_WRITE_AS_ZEROS = 2 };

/* ---- Context ---- */

/* NULL when out of memory. */
struct aml_ctx *aml_ctx_new(void);
/* Frees the context and every node built in it; NULL is fine. */
void aml_ctx_free(struct aml_ctx *ctx);
/* 0, or the first error any call on ctx ran into (message in err). */
int aml_ctx_error(const struct aml_ctx *ctx, struct kverr *err);

/* The complete encoding of node (for a block: op, PkgLength, contents).
 * *data stays valid until node is encoded again or ctx is freed.  Fails
 * with the latched error if any call on ctx failed. */
int aml_bytes(struct aml *node, const uint8_t **data, size_t *len, struct kverr *err);

/* Append child's encoding to parent, which must be a block (aml_block,
 * scope, device, method, if, else, while, package, buffer, resource
 * template, field). */
void aml_append(struct aml *parent, struct aml *child);

/* A bare TermList with no opcode: the body of a DSDT/SSDT. */
struct aml *aml_block(struct aml_ctx *ctx);

/* Encode a PkgLength into out; returns its size (1-4 bytes) or 0 if value
 * cannot be encoded.  incl_self: value is the length of what follows and
 * the PkgLength's own bytes are added (every package term); without it
 * value is stored as is (field unit widths in bits). */
size_t aml_encode_pkglength(uint32_t value, int incl_self, uint8_t out[4]);

/* ---- Data ---- */

/* Shortest of ZeroOp, OneOp, Byte/Word/DWord/QWordConst. */
struct aml *aml_int(struct aml_ctx *ctx, uint64_t value);
/* ASCII, no NUL inside. */
struct aml *aml_string(struct aml_ctx *ctx, const char *s);
/* "PNP0501" -> the compressed 32-bit EISA id as a DWordConst. */
struct aml *aml_eisaid(struct aml_ctx *ctx, const char *id);
/* Package () { ... }: append up to 255 elements. */
struct aml *aml_package(struct aml_ctx *ctx);
/* Buffer () { bytes }; bytes == NULL gives len zero bytes. */
struct aml *aml_buffer(struct aml_ctx *ctx, const uint8_t *bytes, size_t len);
struct aml *aml_local(struct aml_ctx *ctx, unsigned n); /* Local0-7 */
struct aml *aml_arg(struct aml_ctx *ctx, unsigned n);	/* Arg0-6 */

/* ---- Names and named objects ----
 * A name is an ASL NameString: optional "\" (root) or "^"... (parent)
 * prefix, then 0 to 255 dot-separated segments of 1-4 characters from
 * [A-Z0-9_], not starting with a digit ("_SB", "\_SB.PCI0", "^FOO").
 * Short segments are padded with '_'. */

/* A reference to an object: the NameString alone. */
struct aml *aml_name(struct aml_ctx *ctx, const char *name);
/* Name (name, value) */
struct aml *aml_name_decl(struct aml_ctx *ctx, const char *name, struct aml *value);
struct aml *aml_scope(struct aml_ctx *ctx, const char *name);
struct aml *aml_device(struct aml_ctx *ctx, const char *name);
struct aml *aml_method(struct aml_ctx *ctx, const char *name, unsigned nargs,
		       enum aml_serialize serialize);
/* Mutex (name, sync_level) with sync_level 0-15 */
struct aml *aml_mutex(struct aml_ctx *ctx, const char *name, unsigned sync_level);
/* OperationRegion (name, space, offset, len) */
struct aml *aml_operation_region(struct aml_ctx *ctx, const char *name, enum aml_region_space space,
				 struct aml *offset, struct aml *len);
/* Field (region, access, lock, update) { named / reserved fields } */
struct aml *aml_field(struct aml_ctx *ctx, const char *region, enum aml_access_type access,
		      enum aml_lock_rule lock, enum aml_update_rule update);
/* A field unit of `bits` bits; name is one NameSeg. */
struct aml *aml_named_field(struct aml_ctx *ctx, const char *name, uint32_t bits);
/* Offset skip of `bits` bits: ASL "Offset ()" / ", 8" */
struct aml *aml_reserved_field(struct aml_ctx *ctx, uint32_t bits);
/* CreateDWordField / CreateQWordField (buffer, byte_index, name) */
struct aml *aml_create_dword_field(struct aml_ctx *ctx, struct aml *buffer, struct aml *index,
				   const char *name);
struct aml *aml_create_qword_field(struct aml_ctx *ctx, struct aml *buffer, struct aml *index,
				   const char *name);

/* ---- Control flow and operators ----
 * `target` arguments may be NULL: the result is not stored. */
struct aml *aml_return(struct aml_ctx *ctx, struct aml *value);
struct aml *aml_if(struct aml_ctx *ctx, struct aml *predicate);
/* Append an Else to the same parent right after its If. */
struct aml *aml_else(struct aml_ctx *ctx);
struct aml *aml_while(struct aml_ctx *ctx, struct aml *predicate);
struct aml *aml_break(struct aml_ctx *ctx);
struct aml *aml_store(struct aml_ctx *ctx, struct aml *value, struct aml *target);
struct aml *aml_equal(struct aml_ctx *ctx, struct aml *a, struct aml *b); /* LEqual */
struct aml *aml_lless(struct aml_ctx *ctx, struct aml *a, struct aml *b);
struct aml *aml_lgreater(struct aml_ctx *ctx, struct aml *a, struct aml *b);
struct aml *aml_lnot(struct aml_ctx *ctx, struct aml *a);
struct aml *aml_land(struct aml_ctx *ctx, struct aml *a, struct aml *b);
struct aml *aml_lor(struct aml_ctx *ctx, struct aml *a, struct aml *b);
struct aml *aml_and(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_or(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_add(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_subtract(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_shiftleft(struct aml_ctx *ctx, struct aml *a, struct aml *count,
			  struct aml *target);
struct aml *aml_shiftright(struct aml_ctx *ctx, struct aml *a, struct aml *count,
			   struct aml *target);
struct aml *aml_increment(struct aml_ctx *ctx, struct aml *a);
struct aml *aml_decrement(struct aml_ctx *ctx, struct aml *a);
struct aml *aml_index(struct aml_ctx *ctx, struct aml *obj, struct aml *index);
struct aml *aml_derefof(struct aml_ctx *ctx, struct aml *ref);
struct aml *aml_sizeof(struct aml_ctx *ctx, struct aml *obj);
/* Notify (object, value) */
struct aml *aml_notify(struct aml_ctx *ctx, struct aml *object, struct aml *value);
/* Acquire (mutex, timeout_ms); 0xffff waits forever */
struct aml *aml_acquire(struct aml_ctx *ctx, struct aml *mutex, uint16_t timeout);
struct aml *aml_release(struct aml_ctx *ctx, struct aml *mutex);
/* MethodName (args...): argc arguments (0-7) follow as struct aml *. */
struct aml *aml_call(struct aml_ctx *ctx, const char *method, unsigned argc, ...);

/* ---- Resource descriptors (append to aml_resource_template) ---- */

/* ResourceTemplate () { ... }: a Buffer closed with an EndTag. */
struct aml *aml_resource_template(struct aml_ctx *ctx);
/* IO (decode, min, max, align, len) */
struct aml *aml_io(struct aml_ctx *ctx, enum aml_io_decode decode, uint16_t min, uint16_t max,
		   uint8_t align, uint8_t len);
/* IRQNoFlags () { irq } with irq 0-15 */
struct aml *aml_irq_no_flags(struct aml_ctx *ctx, unsigned irq);
/* Memory32Fixed (rw, base, size) */
struct aml *aml_memory32_fixed(struct aml_ctx *ctx, uint32_t base, uint32_t size, enum aml_rw rw);
/* The windows of a host bridge's _CRS, ResourceProducer, PosDecode,
 * MinFixed, MaxFixed, granularity and translation 0, length max - min + 1:
 * WordBusNumber (min, max), WordIO (EntireRange, min, max) and
 * DWordMemory (cacheable, rw, min, max). */
struct aml *aml_word_bus_number(struct aml_ctx *ctx, uint16_t min, uint16_t max);
struct aml *aml_word_io(struct aml_ctx *ctx, uint16_t min, uint16_t max);
struct aml *aml_dword_memory(struct aml_ctx *ctx, enum aml_cacheable cacheable, enum aml_rw rw,
			     uint32_t min, uint32_t max);
/* QWordMemory (ResourceProducer, decode, min_fixed, max_fixed, cacheable,
 * rw, granularity, min, max, translation, len) */
struct aml *aml_qword_memory(struct aml_ctx *ctx, enum aml_decode decode,
			     enum aml_min_fixed min_fixed, enum aml_max_fixed max_fixed,
			     enum aml_cacheable cacheable, enum aml_rw rw, uint64_t granularity,
			     uint64_t min, uint64_t max, uint64_t translation, uint64_t len);

#endif
