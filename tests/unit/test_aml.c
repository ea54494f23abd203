/* test_aml.c - the AML builder against known encodings.
 *
 * Expected bytes come from the ACPI grammar (section 20.2) worked by hand,
 * and for the two larger blocks from iasl 20200925 compiling the ASL shown
 * in the comment with optimizations off (iasl -oa), table header removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acpi/aml.h"

/* Compares node's encoding with want and prints both in hex on mismatch,
 * so a failure shows where the encodings part. */
static void expect_bytes(struct aml *node, const uint8_t *want, size_t want_len)
{
	const uint8_t *got;
	size_t len;
	struct kverr err = {{0}};

	int ret = aml_bytes(node, &got, &len, &err);
	if (ret)
		fail_msg("aml_bytes failed: %s", err.msg);
	if (len != want_len || memcmp(got, want, len)) {
		print_error("got  (%zu):", len);
		for (size_t i = 0; i < len; i++)
			print_error(" %02x", got[i]);
		print_error("\nwant (%zu):", want_len);
		for (size_t i = 0; i < want_len; i++)
			print_error(" %02x", want[i]);
		print_error("\n");
		fail();
	}
}

#define EXPECT(node, ...)                                                                          \
	do {                                                                                       \
		static const uint8_t want_[] = {__VA_ARGS__};                                      \
		expect_bytes((node), want_, sizeof(want_));                                        \
	} while (0)

static int setup(void **state)
{
	*state = aml_ctx_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	aml_ctx_free(*state);
	return 0;
}

static void expect_pkglen(uint32_t value, int incl_self, const uint8_t *want, size_t want_len)
{
	uint8_t out[4] = {0};
	size_t n = aml_encode_pkglength(value, incl_self, out);
	if (n != want_len || memcmp(out, want, n))
		fail_msg("PkgLength(%u, incl_self=%d): got %zu bytes %02x %02x %02x %02x", value,
			 incl_self, n, out[0], out[1], out[2], out[3]);
}

#define PKGLEN(v, incl, ...)                                                                       \
	do {                                                                                       \
		static const uint8_t want_[] = {__VA_ARGS__};                                      \
		expect_pkglen((v), (incl), want_, sizeof(want_));                                  \
	} while (0)

static void test_pkglength_raw(void **state)
{
	(void)state;
	/* A value as is (field widths): size class by the value alone. */
	PKGLEN(0, 0, 0x00);
	PKGLEN(63, 0, 0x3f);
	PKGLEN(64, 0, 0x40, 0x04);
	PKGLEN(4095, 0, 0x4f, 0xff);
	PKGLEN(4096, 0, 0x80, 0x00, 0x01);
	PKGLEN(0xfffff, 0, 0x8f, 0xff, 0xff);
	PKGLEN(0x100000, 0, 0xc0, 0x00, 0x00, 0x01);
	PKGLEN(AML_PKGLEN_MAX, 0, 0xcf, 0xff, 0xff, 0xff);
	assert_int_equal(aml_encode_pkglength(AML_PKGLEN_MAX + 1, 0, (uint8_t[4]){0}), 0);
}

static void test_pkglength_incl_self(void **state)
{
	(void)state;
	/* 62 bytes follow: 63 with the lead byte, still one byte. */
	PKGLEN(62, 1, 0x3f);
	/* 63 follow: one byte would say 64, too big, so two bytes: 65. */
	PKGLEN(63, 1, 0x41, 0x04);
	PKGLEN(4093, 1, 0x4f, 0xff);	   /* 4095 */
	PKGLEN(4094, 1, 0x81, 0x00, 0x01); /* 4097 in three bytes */
	PKGLEN(0xffffc, 1, 0x8f, 0xff, 0xff);
	PKGLEN(0xffffd, 1, 0xc1, 0x00, 0x00, 0x01); /* 0x100001 in four */
	PKGLEN(AML_PKGLEN_MAX - 4, 1, 0xcf, 0xff, 0xff, 0xff);
	assert_int_equal(aml_encode_pkglength(AML_PKGLEN_MAX - 3, 1, (uint8_t[4]){0}), 0);
}

/* A Scope whose contents are exactly n bytes: NameSeg (4) + a String of
 * n - 6 characters (StringPrefix + chars + NUL). */
static struct aml *scope_of(struct aml_ctx *ctx, size_t n, char fill)
{
	static char s[8192];
	struct aml *scope = aml_scope(ctx, "TEST");
	memset(s, fill, n - 6);
	s[n - 6] = '\0';
	aml_append(scope, aml_string(ctx, s));
	return scope;
}

static void test_pkglength_in_blocks(void **state)
{
	struct aml_ctx *ctx = *state;
	const uint8_t *b;
	size_t len;

	assert_int_equal(aml_bytes(scope_of(ctx, 62, 'A'), &b, &len, NULL), 0);
	assert_int_equal(len, 1 + 1 + 62);
	assert_int_equal(b[0], 0x10);
	assert_int_equal(b[1], 0x3f);
	assert_memory_equal(b + 2, "TEST", 4);
	assert_int_equal(b[6], 0x0d);

	assert_int_equal(aml_bytes(scope_of(ctx, 63, 'B'), &b, &len, NULL), 0);
	assert_int_equal(len, 1 + 2 + 63);
	assert_int_equal(b[1], 0x41);
	assert_int_equal(b[2], 0x04);
	assert_memory_equal(b + 3, "TEST", 4);

	assert_int_equal(aml_bytes(scope_of(ctx, 4094, 'C'), &b, &len, NULL), 0);
	assert_int_equal(len, 1 + 3 + 4094);
	assert_int_equal(b[1], 0x81);
	assert_int_equal(b[2], 0x00);
	assert_int_equal(b[3], 0x01);
	assert_int_equal(b[len - 1], 0x00); /* the String's NUL ends the block */
}

static void test_field_widths(void **state)
{
	struct aml_ctx *ctx = *state;
	EXPECT(aml_named_field(ctx, "FOO", 63), 'F', 'O', 'O', '_', 0x3f);
	EXPECT(aml_named_field(ctx, "FOO", 64), 'F', 'O', 'O', '_', 0x40, 0x04);
	EXPECT(aml_named_field(ctx, "ABCD", 4095), 'A', 'B', 'C', 'D', 0x4f, 0xff);
	EXPECT(aml_reserved_field(ctx, 4096), 0x00, 0x80, 0x00, 0x01);
}

static void test_integers(void **state)
{
	struct aml_ctx *ctx = *state;
	EXPECT(aml_int(ctx, 0), 0x00);
	EXPECT(aml_int(ctx, 1), 0x01);
	EXPECT(aml_int(ctx, 2), 0x0a, 0x02);
	EXPECT(aml_int(ctx, 0xff), 0x0a, 0xff);
	EXPECT(aml_int(ctx, 0x100), 0x0b, 0x00, 0x01);
	EXPECT(aml_int(ctx, 0xffff), 0x0b, 0xff, 0xff);
	EXPECT(aml_int(ctx, 0x10000), 0x0c, 0x00, 0x00, 0x01, 0x00);
	EXPECT(aml_int(ctx, 0xffffffff), 0x0c, 0xff, 0xff, 0xff, 0xff);
	EXPECT(aml_int(ctx, 1ULL << 32), 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
	EXPECT(aml_int(ctx, 0x0123456789abcdefULL), 0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23,
	       0x01);
	EXPECT(aml_int(ctx, UINT64_MAX), 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}

static void test_names(void **state)
{
	struct aml_ctx *ctx = *state;
	EXPECT(aml_name(ctx, "_SB_"), '_', 'S', 'B', '_');
	EXPECT(aml_name(ctx, "_SB"), '_', 'S', 'B', '_'); /* padded */
	EXPECT(aml_name(ctx, "\\_SB.PCI0"), '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	EXPECT(aml_name(ctx, "^FOO"), '^', 'F', 'O', 'O', '_');
	EXPECT(aml_name(ctx, "^^A.B.C"), '^', '^', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_',
	       'C', '_', '_', '_');
	EXPECT(aml_name(ctx, "\\_SB.PCI0.ISA.COM1"), '\\', 0x2f, 4, '_', 'S', 'B', '_', 'P', 'C',
	       'I', '0', 'I', 'S', 'A', '_', 'C', 'O', 'M', '1');
	EXPECT(aml_name(ctx, "\\"), '\\', 0x00); /* root alone: NullName */
	EXPECT(aml_name(ctx, "\\_S5"), '\\', '_', 'S', '5', '_');
	assert_int_equal(aml_ctx_error(ctx, NULL), 0);
}

static void expect_name_error(const char *name, const char *in_msg)
{
	struct aml_ctx *ctx = aml_ctx_new();
	struct kverr err = {{0}};
	const uint8_t *b;
	size_t len;
	struct aml *n;

	assert_non_null(ctx);
	n = aml_name(ctx, name);
	assert_int_equal(aml_ctx_error(ctx, &err), -EINVAL);
	assert_int_equal(aml_bytes(n, &b, &len, NULL), -EINVAL);
	if (!strstr(err.msg, in_msg))
		fail_msg("name '%s': message '%s' lacks '%s'", name, err.msg, in_msg);
	aml_ctx_free(ctx);
}

static void test_bad_names(void **state)
{
	(void)state;
	expect_name_error("ABCDE", "'ABCDE'");
	expect_name_error("_sb", "'_sb'");
	expect_name_error("1ABC", "'1ABC'");
	expect_name_error("\\A..B", "'\\A..B'");
	expect_name_error("A.", "'A.'");
	expect_name_error("", "empty");
	expect_name_error("\\^A", "'\\^A'");
}

static void test_eisaid(void **state)
{
	struct aml_ctx *ctx = *state;
	const uint8_t *b;
	size_t len;

	assert_int_equal(aml_bytes(aml_eisaid(ctx, "PNP0501"), &b, &len, NULL), 0);
	assert_int_equal(len, 5);
	assert_int_equal(b[0], 0x0c); /* DWordPrefix */
	assert_int_equal((uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16 |
			     (uint32_t)b[4] << 24,
			 0x0105d041);
	EXPECT(aml_eisaid(ctx, "PNP0B00"), 0x0c, 0x41, 0xd0, 0x0b, 0x00);
	EXPECT(aml_eisaid(ctx, "PNP0A03"), 0x0c, 0x41, 0xd0, 0x0a, 0x03);
	EXPECT(aml_eisaid(ctx, "ABC1234"), 0x0c, 0x04, 0x43, 0x12, 0x34);
	assert_int_equal(aml_ctx_error(ctx, NULL), 0);
}

static void test_bad_eisaid(void **state)
{
	const char *bad[] = {"PNP05G1", "pnp0501", "PNP050", "PNP05011"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml_ctx *ctx = aml_ctx_new();
		struct kverr err = {{0}};
		aml_eisaid(ctx, bad[i]);
		assert_int_equal(aml_ctx_error(ctx, &err), -EINVAL);
		assert_non_null(strstr(err.msg, bad[i]));
		aml_ctx_free(ctx);
	}
}

static void test_data_objects(void **state)
{
	struct aml_ctx *ctx = *state;
	struct aml *pkg;

	EXPECT(aml_string(ctx, "ABC"), 0x0d, 'A', 'B', 'C', 0x00);
	EXPECT(aml_string(ctx, ""), 0x0d, 0x00);

	pkg = aml_package(ctx);
	aml_append(pkg, aml_int(ctx, 1));
	aml_append(pkg, aml_int(ctx, 2));
	/* PackageOp PkgLength(5) NumElements(2) One BytePrefix 2 */
	EXPECT(pkg, 0x12, 0x05, 0x02, 0x01, 0x0a, 0x02);
	EXPECT(aml_package(ctx), 0x12, 0x02, 0x00);

	EXPECT(aml_buffer(ctx, (const uint8_t[]){0xaa, 0xbb}, 2), 0x11, 0x05, 0x0a, 0x02, 0xaa,
	       0xbb);
	EXPECT(aml_buffer(ctx, NULL, 3), 0x11, 0x06, 0x0a, 0x03, 0x00, 0x00, 0x00);
	EXPECT(aml_local(ctx, 0), 0x60);
	EXPECT(aml_local(ctx, 7), 0x67);
	EXPECT(aml_arg(ctx, 0), 0x68);
	EXPECT(aml_arg(ctx, 6), 0x6e);
	EXPECT(aml_name_decl(ctx, "_S5", aml_int(ctx, 5)), 0x08, '_', 'S', '5', '_', 0x0a, 0x05);
}

static void test_package_limit(void **state)
{
	struct aml_ctx *ctx = *state;
	struct kverr err = {{0}};
	struct aml *pkg = aml_package(ctx);
	const uint8_t *b;
	size_t len;

	for (int i = 0; i < 255; i++)
		aml_append(pkg, aml_int(ctx, 0));
	assert_int_equal(aml_bytes(pkg, &b, &len, NULL), 0);
	/* 255 Zeros + NumElements = 256 bytes: a two-byte PkgLength of 258 */
	assert_int_equal(len, 1 + 2 + 1 + 255);
	assert_int_equal(b[1], 0x42);
	assert_int_equal(b[2], 0x10);
	assert_int_equal(b[3], 255);

	aml_append(pkg, aml_int(ctx, 0));
	assert_int_equal(aml_ctx_error(ctx, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "255"));
}

/*
 * Scope (\_SB) {
 *   Device (COM1) {
 *     Name (_HID, EisaId ("PNP0501"))
 *     Name (_UID, One)
 *     Name (_STA, 0x0F)
 *     Name (_CRS, ResourceTemplate () {
 *       IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
 *       IRQNoFlags () {4}
 *     })
 *   }
 * }
 */
static void test_device_like_iasl(void **state)
{
	struct aml_ctx *ctx = *state;
	struct aml *sb = aml_scope(ctx, "\\_SB");
	struct aml *dev = aml_device(ctx, "COM1");
	struct aml *crs = aml_resource_template(ctx);

	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0501")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_int(ctx, 1)));
	aml_append(dev, aml_name_decl(ctx, "_STA", aml_int(ctx, 0x0f)));
	aml_append(crs, aml_io(ctx, AML_DECODE16, 0x3f8, 0x3f8, 1, 8));
	aml_append(crs, aml_irq_no_flags(ctx, 4));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(sb, dev);
	EXPECT(sb, 0x10, 0x3a, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x32, 0x43, 0x4f, 0x4d,
	       0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08, 0x5f, 0x55,
	       0x49, 0x44, 0x01, 0x08, 0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0f, 0x08, 0x5f, 0x43, 0x52,
	       0x53, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22,
	       0x10, 0x00, 0x79, 0x00);
}

/*
 * Scope (\_SB) {
 *   Device (MHPC) {
 *     Mutex (MLCK, 0)
 *     OperationRegion (HPMR, SystemIO, 0x0A00, 0x18)
 *     Field (HPMR, DWordAcc, NoLock, Preserve) {
 *       MRBL, 32, MRBH, 32, Offset (0x14), MES, 1, MINS, 1
 *     }
 *     Name (MCRS, ResourceTemplate () {
 *       QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable,
 *                    ReadWrite, 0x0, 0x100000000, 0x13FFFFFFF, 0x0, 0x40000000)
 *       Memory32Fixed (ReadWrite, 0xFEC00000, 0x00001000)
 *     })
 *     Method (MSCN, 1, Serialized) {
 *       Acquire (MLCK, 0xFFFF)
 *       Store (Arg0, Local0)
 *       If (LEqual (Local0, 0x05)) { Notify (\_SB.MHPC, 0x80) }
 *       Else { Store (Zero, Local0) }
 *       Release (MLCK)
 *       Return (Local0)
 *     }
 *   }
 * }
 */
static void test_hotplug_style_like_iasl(void **state)
{
	struct aml_ctx *ctx = *state;
	struct aml *sb = aml_scope(ctx, "\\_SB");
	struct aml *dev = aml_device(ctx, "MHPC");
	struct aml *field, *crs, *method, *iff, *els;

	aml_append(dev, aml_mutex(ctx, "MLCK", 0));
	aml_append(dev, aml_operation_region(ctx, "HPMR", AML_SYSTEM_IO, aml_int(ctx, 0xa00),
					     aml_int(ctx, 0x18)));
	field = aml_field(ctx, "HPMR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(field, aml_named_field(ctx, "MRBL", 32));
	aml_append(field, aml_named_field(ctx, "MRBH", 32));
	aml_append(field, aml_reserved_field(ctx, 0x14 * 8 - 64));
	aml_append(field, aml_named_field(ctx, "MES", 1));
	aml_append(field, aml_named_field(ctx, "MINS", 1));
	aml_append(dev, field);

	crs = aml_resource_template(ctx);
	aml_append(crs, aml_qword_memory(ctx, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED,
					 AML_CACHEABLE, AML_READ_WRITE, 0, 0x100000000ULL,
					 0x13fffffffULL, 0, 0x40000000ULL));
	aml_append(crs, aml_memory32_fixed(ctx, 0xfec00000, 0x1000, AML_READ_WRITE));
	aml_append(dev, aml_name_decl(ctx, "MCRS", crs));

	method = aml_method(ctx, "MSCN", 1, AML_SERIALIZED);
	aml_append(method, aml_acquire(ctx, aml_name(ctx, "MLCK"), 0xffff));
	aml_append(method, aml_store(ctx, aml_arg(ctx, 0), aml_local(ctx, 0)));
	iff = aml_if(ctx, aml_equal(ctx, aml_local(ctx, 0), aml_int(ctx, 5)));
	aml_append(iff, aml_notify(ctx, aml_name(ctx, "\\_SB.MHPC"), aml_int(ctx, 0x80)));
	aml_append(method, iff);
	els = aml_else(ctx);
	aml_append(els, aml_store(ctx, aml_int(ctx, 0), aml_local(ctx, 0)));
	aml_append(method, els);
	aml_append(method, aml_release(ctx, aml_name(ctx, "MLCK")));
	aml_append(method, aml_return(ctx, aml_local(ctx, 0)));
	aml_append(dev, method);
	aml_append(sb, dev);

	EXPECT(sb, 0x10, 0x48, 0x0b, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x4f, 0x0a, 0x4d,
	       0x48, 0x50, 0x43, 0x5b, 0x01, 0x4d, 0x4c, 0x43, 0x4b, 0x00, 0x5b, 0x80, 0x48, 0x50,
	       0x4d, 0x52, 0x01, 0x0b, 0x00, 0x0a, 0x0a, 0x18, 0x5b, 0x81, 0x1d, 0x48, 0x50, 0x4d,
	       0x52, 0x03, 0x4d, 0x52, 0x42, 0x4c, 0x20, 0x4d, 0x52, 0x42, 0x48, 0x20, 0x00, 0x40,
	       0x06, 0x4d, 0x45, 0x53, 0x5f, 0x01, 0x4d, 0x49, 0x4e, 0x53, 0x01, 0x08, 0x4d, 0x43,
	       0x52, 0x53, 0x11, 0x3f, 0x0a, 0x3c, 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03, 0x00, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	       0xff, 0xff, 0xff, 0x3f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x86, 0x09, 0x00, 0x01,
	       0x00, 0x00, 0xc0, 0xfe, 0x00, 0x10, 0x00, 0x00, 0x79, 0x00, 0x14, 0x31, 0x4d, 0x53,
	       0x43, 0x4e, 0x09, 0x5b, 0x23, 0x4d, 0x4c, 0x43, 0x4b, 0xff, 0xff, 0x70, 0x68, 0x60,
	       0xa0, 0x12, 0x93, 0x60, 0x0a, 0x05, 0x86, 0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x4d,
	       0x48, 0x50, 0x43, 0x0a, 0x80, 0xa1, 0x04, 0x70, 0x00, 0x60, 0x5b, 0x27, 0x4d, 0x4c,
	       0x43, 0x4b, 0xa4, 0x60);
}

static void test_operators(void **state)
{
	struct aml_ctx *ctx = *state;
	struct aml *l0 = aml_local(ctx, 0), *a1 = aml_arg(ctx, 1);

	EXPECT(aml_and(ctx, l0, aml_int(ctx, 0xff), NULL), 0x7b, 0x60, 0x0a, 0xff, 0x00);
	EXPECT(aml_or(ctx, l0, a1, l0), 0x7d, 0x60, 0x69, 0x60);
	EXPECT(aml_add(ctx, l0, aml_int(ctx, 1), l0), 0x72, 0x60, 0x01, 0x60);
	EXPECT(aml_shiftleft(ctx, a1, aml_int(ctx, 32), NULL), 0x79, 0x69, 0x0a, 0x20, 0x00);
	EXPECT(aml_lless(ctx, l0, a1), 0x95, 0x60, 0x69);
	EXPECT(aml_lnot(ctx, l0), 0x92, 0x60);
	EXPECT(aml_increment(ctx, l0), 0x75, 0x60);
	EXPECT(aml_index(ctx, a1, l0), 0x88, 0x69, 0x60, 0x00);
	EXPECT(aml_derefof(ctx, aml_index(ctx, a1, l0)), 0x83, 0x88, 0x69, 0x60, 0x00);
	EXPECT(aml_sizeof(ctx, a1), 0x87, 0x69);
	EXPECT(aml_call(ctx, "MSCN", 2, l0, aml_int(ctx, 1)), 'M', 'S', 'C', 'N', 0x60, 0x01);
	EXPECT(aml_call(ctx, "\\_SB.MHPC.MSCN", 0), '\\', 0x2f, 3, '_', 'S', 'B', '_', 'M', 'H',
	       'P', 'C', 'M', 'S', 'C', 'N');
	EXPECT(aml_create_dword_field(ctx, aml_name(ctx, "MCRS"), aml_int(ctx, 14), "MINL"), 0x8a,
	       'M', 'C', 'R', 'S', 0x0a, 0x0e, 'M', 'I', 'N', 'L');
	EXPECT(aml_method(ctx, "_STA", 0, AML_NOTSERIALIZED), 0x14, 0x06, '_', 'S', 'T', 'A', 0x00);
	assert_int_equal(aml_ctx_error(ctx, NULL), 0);
}

/* Each bad argument fails the context with -EINVAL and a message naming
 * the value. */
static void expect_einval(struct aml *(*make)(struct aml_ctx *), const char *in_msg)
{
	struct aml_ctx *ctx = aml_ctx_new();
	struct kverr err = {{0}};
	struct aml *n = make(ctx);
	const uint8_t *b;
	size_t len;

	/* Later calls keep working and leave the first error in place. */
	aml_append(aml_block(ctx), n);
	aml_append(n, aml_int(ctx, 1));
	assert_int_equal(aml_ctx_error(ctx, &err), -EINVAL);
	assert_int_equal(aml_bytes(aml_int(ctx, 3), &b, &len, NULL), -EINVAL);
	if (!strstr(err.msg, in_msg))
		fail_msg("message '%s' lacks '%s'", err.msg, in_msg);
	aml_ctx_free(ctx);
}

static struct aml *bad_local(struct aml_ctx *c)
{
	return aml_local(c, 8);
}
static struct aml *bad_arg(struct aml_ctx *c)
{
	return aml_arg(c, 7);
}
static struct aml *bad_irq(struct aml_ctx *c)
{
	return aml_irq_no_flags(c, 16);
}
static struct aml *bad_method(struct aml_ctx *c)
{
	return aml_method(c, "FOO", 8, AML_NOTSERIALIZED);
}
static struct aml *bad_io(struct aml_ctx *c)
{
	return aml_io(c, AML_DECODE16, 0x3f8, 0x2f8, 1, 8);
}
static struct aml *bad_qword(struct aml_ctx *c)
{
	return aml_qword_memory(c, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED, AML_CACHEABLE,
				AML_READ_WRITE, 0, 0x1000, 0x1fff, 0, 0x2000);
}
static struct aml *bad_field(struct aml_ctx *c)
{
	return aml_named_field(c, "FOO", 0);
}
static struct aml *bad_mutex(struct aml_ctx *c)
{
	return aml_mutex(c, "MLCK", 16);
}
static struct aml *append_to_int(struct aml_ctx *c)
{
	struct aml *i = aml_int(c, 7);
	aml_append(i, aml_int(c, 1));
	return i;
}

/* A host bridge's _CRS windows, as iasl 20200925 compiles
 *   WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0, 0, 1)
 *   WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
 *           0, 0x0D00, 0xFFFF, 0, 0xF300)
 *   DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable,
 *                ReadWrite, 0, 0x80000000, 0xFEAFFFFF, 0, 0x7EB00000) */
static void test_bridge_windows_like_iasl(void **state)
{
	struct aml_ctx *ctx = *state;
	struct aml *crs = aml_resource_template(ctx);

	aml_append(crs, aml_word_bus_number(ctx, 0, 0));
	aml_append(crs, aml_word_io(ctx, 0x0d00, 0xffff));
	aml_append(
	    crs, aml_dword_memory(ctx, AML_NON_CACHEABLE, AML_READ_WRITE, 0x80000000, 0xfeafffff));
	EXPECT(crs, 0x11, 0x3f, 0x0a, 0x3c, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00,
	       0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3, 0x87, 0x17, 0x00, 0x00, 0x0c,
	       0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xaf, 0xfe, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x7e, 0x79, 0x00);
}

static struct aml *bad_word_io(struct aml_ctx *c)
{
	return aml_word_io(c, 0xd00, 0xcf7);
}
static struct aml *bad_dword_memory(struct aml_ctx *c)
{
	return aml_dword_memory(c, AML_CACHEABLE, AML_READ_WRITE, 0xfec00000, 0x80000000);
}

static void test_argument_errors(void **state)
{
	(void)state;
	expect_einval(bad_local, "Local8");
	expect_einval(bad_word_io, "WordIO: range [0xd00, 0xcf7]");
	expect_einval(bad_dword_memory, "DWordMemory: range [0xfec00000, 0x80000000]");
	expect_einval(bad_arg, "Arg7");
	expect_einval(bad_irq, "IRQ 16");
	expect_einval(bad_method, "FOO");
	expect_einval(bad_io, "0x2f8");
	expect_einval(bad_qword, "0x2000");
	expect_einval(bad_field, "FOO");
	expect_einval(bad_mutex, "16");
	expect_einval(append_to_int, "not a block");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pkglength_raw),
	    cmocka_unit_test(test_pkglength_incl_self),
	    cmocka_unit_test_setup_teardown(test_pkglength_in_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_field_widths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_integers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test_setup_teardown(test_eisaid, setup, teardown),
	    cmocka_unit_test(test_bad_eisaid),
	    cmocka_unit_test_setup_teardown(test_data_objects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_package_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_like_iasl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotplug_style_like_iasl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bridge_windows_like_iasl, setup, teardown),
	    cmocka_unit_test(test_argument_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
