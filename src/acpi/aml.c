/* aml.c - AML encodings behind aml.h.
 *
 * A node is either complete bytes (AML_RAW) or a block whose PkgLength can
 * only be written once its contents are known: the block keeps its opcode
 * and contents apart and aml_append() encodes it into the parent.  Every
 * node is on the context's list, so freeing the context frees them all.
 * References: ACPI 6.5 section 20.2 (AML grammar) and 6.4 (resource
 * descriptors).
 */
#include "acpi/aml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum aml_kind {
	AML_RAW,	 /* buf is the whole encoding */
	AML_PKG,	 /* op PkgLength buf */
	AML_PACKAGE,	 /* op PkgLength NumElements buf */
	AML_BUFFER,	 /* op PkgLength BufferSize buf */
	AML_RESTEMPLATE, /* op PkgLength BufferSize buf EndTag */
};

struct aml_buf {
	uint8_t *data;
	size_t len, cap;
};

struct aml {
	struct aml_ctx *ctx;
	struct aml *next; /* every node of ctx, for aml_ctx_free() */
	enum aml_kind kind;
	bool block; /* may be a parent in aml_append() */
	uint8_t op[2];
	uint8_t op_len;
	unsigned elements;  /* AML_PACKAGE: children appended so far */
	struct aml_buf buf; /* contents after op / PkgLength */
	struct aml_buf enc; /* aml_bytes() output */
};

struct aml_ctx {
	struct aml *nodes;
	/* Handed out once an error is latched or a node cannot be
	 * allocated: appends to and from it do nothing. */
	struct aml sink;
	int error;
	struct kverr err;
};

#define PKGLEN_1BYTE_MAX 0x3fU
#define PKGLEN_2BYTE_MAX 0xfffU
#define PKGLEN_3BYTE_MAX 0xfffffU

__attribute__((format(printf, 3, 4))) static struct aml *fail(struct aml_ctx *ctx, int errnum,
							      const char *fmt, ...)
{
	if (!ctx->error) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx->err.msg, sizeof(ctx->err.msg), fmt, ap);
		va_end(ap);
		ctx->error = -errnum;
	}
	return &ctx->sink;
}

static bool buf_put(struct aml_ctx *ctx, struct aml_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return true;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		uint8_t *data;
		while (cap < b->len + n)
			cap *= 2;
		data = realloc(b->data, cap);
		if (!data) {
			fail(ctx, ENOMEM, "AML builder: out of memory growing a node to %zu bytes",
			     cap);
			return false;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return true;
}

static bool buf_byte(struct aml_ctx *ctx, struct aml_buf *b, uint8_t v)
{
	return buf_put(ctx, b, &v, 1);
}

/* Little-endian, as every multi-byte AML and ACPI number is. */
static bool buf_le(struct aml_ctx *ctx, struct aml_buf *b, uint64_t v, unsigned bytes)
{
	uint8_t tmp[8];
	for (unsigned i = 0; i < bytes; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	return buf_put(ctx, b, tmp, bytes);
}

struct aml_ctx *aml_ctx_new(void)
{
	struct aml_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->sink.ctx = ctx;
	ctx->sink.block = true;
	return ctx;
}

void aml_ctx_free(struct aml_ctx *ctx)
{
	struct aml *n, *next;
	if (!ctx)
		return;
	for (n = ctx->nodes; n; n = next) {
		next = n->next;
		free(n->buf.data);
		free(n->enc.data);
		free(n);
	}
	free(ctx->sink.buf.data);
	free(ctx->sink.enc.data);
	free(ctx);
}

int aml_ctx_error(const struct aml_ctx *ctx, struct kverr *err)
{
	if (ctx->error && err)
		*err = ctx->err;
	return ctx->error;
}

static struct aml *node_new(struct aml_ctx *ctx, enum aml_kind kind, bool block)
{
	struct aml *n;
	if (ctx->error)
		return &ctx->sink;
	n = calloc(1, sizeof(*n));
	if (!n)
		return fail(ctx, ENOMEM, "AML builder: out of memory for a node");
	n->ctx = ctx;
	n->kind = kind;
	n->block = block;
	n->next = ctx->nodes;
	ctx->nodes = n;
	return n;
}

static struct aml *node_op(struct aml_ctx *ctx, enum aml_kind kind, uint8_t op0, int op1)
{
	struct aml *n = node_new(ctx, kind, kind != AML_RAW);
	if (n == &ctx->sink)
		return n;
	n->op[0] = op0;
	n->op_len = 1;
	if (op1 >= 0) {
		n->op[1] = (uint8_t)op1;
		n->op_len = 2;
	}
	return n;
}

size_t aml_encode_pkglength(uint32_t value, int incl_self, uint8_t out[4])
{
	uint64_t v = value;
	size_t n;

	/* With incl_self the PkgLength counts its own bytes, so the size
	 * class must be chosen with those bytes added. */
	if (v + (incl_self ? 1 : 0) <= PKGLEN_1BYTE_MAX)
		n = 1;
	else if (v + (incl_self ? 2 : 0) <= PKGLEN_2BYTE_MAX)
		n = 2;
	else if (v + (incl_self ? 3 : 0) <= PKGLEN_3BYTE_MAX)
		n = 3;
	else if (v + (incl_self ? 4 : 0) <= AML_PKGLEN_MAX)
		n = 4;
	else
		return 0;
	if (incl_self)
		v += n;

	if (n == 1) {
		out[0] = (uint8_t)v;
		return 1;
	}
	/* Lead byte: count of following bytes in bits 7-6, low nibble of
	 * the length in bits 3-0; the following bytes carry bits 4 and up. */
	out[0] = (uint8_t)(((n - 1) << 6) | (v & 0xf));
	for (size_t i = 1; i < n; i++)
		out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
	return n;
}

/* Shortest encoding of an integer constant; returns its size. */
static size_t int_encode(uint64_t v, uint8_t out[9])
{
	unsigned bytes;

	if (v <= 1) {
		out[0] = (uint8_t)v; /* ZeroOp, OneOp */
		return 1;
	}
	if (v <= 0xff) {
		out[0] = 0x0a; /* BytePrefix */
		bytes = 1;
	} else if (v <= 0xffff) {
		out[0] = 0x0b; /* WordPrefix */
		bytes = 2;
	} else if (v <= 0xffffffff) {
		out[0] = 0x0c; /* DWordPrefix */
		bytes = 4;
	} else {
		out[0] = 0x0e; /* QWordPrefix */
		bytes = 8;
	}
	for (unsigned i = 0; i < bytes; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + bytes;
}

static bool put_int(struct aml_ctx *ctx, struct aml_buf *b, uint64_t v)
{
	uint8_t tmp[9];
	return buf_put(ctx, b, tmp, int_encode(v, tmp));
}

static bool lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* Checks one segment of len characters at s; on error latches a message
 * quoting the whole name. */
static bool check_seg(struct aml_ctx *ctx, const char *name, const char *s, size_t len)
{
	if (len == 0 || len > 4) {
		fail(ctx, EINVAL, "AML name '%s': segment '%.*s' must have 1-4 characters", name,
		     (int)len, s);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (i == 0 ? !lead_name_char(s[i]) : !name_char(s[i])) {
			fail(
			    ctx, EINVAL,
			    "AML name '%s': segment '%.*s' has '%c' (use A-Z, _, and 0-9 after the "
			    "first character)",
			    name, (int)len, s, s[i]);
			return false;
		}
	}
	return true;
}

static bool put_seg(struct aml_ctx *ctx, struct aml_buf *b, const char *s, size_t len)
{
	return buf_put(ctx, b, s, len) && buf_put(ctx, b, "___", 4 - len);
}

static bool put_nameseg(struct aml_ctx *ctx, struct aml_buf *b, const char *name)
{
	if (!name) {
		fail(ctx, EINVAL, "AML name is NULL");
		return false;
	}
	return check_seg(ctx, name, name, strlen(name)) && put_seg(ctx, b, name, strlen(name));
}

static bool put_namestring(struct aml_ctx *ctx, struct aml_buf *b, const char *name)
{
	const char *p, *s;
	size_t nseg = 0;

	if (!name) {
		fail(ctx, EINVAL, "AML name is NULL");
		return false;
	}
	p = name;
	if (*p == '\\') {
		if (!buf_byte(ctx, b, '\\')) /* RootChar */
			return false;
		p++;
	} else {
		for (; *p == '^'; p++) /* ParentPrefixChar, once per level */
			if (!buf_byte(ctx, b, '^'))
				return false;
	}
	if (*p == '\0') {
		if (p == name) {
			fail(ctx, EINVAL, "AML name is empty");
			return false;
		}
		return buf_byte(ctx, b, 0x00); /* NullName: "\" or "^" alone */
	}

	for (s = p;; s += strcspn(s, ".") + 1) {
		size_t len = strcspn(s, ".");
		if (!check_seg(ctx, name, s, len))
			return false;
		nseg++;
		if (s[len] == '\0')
			break;
	}
	if (nseg > 255) {
		fail(ctx, EINVAL, "AML name '%.40s...': %zu segments, at most 255", name, nseg);
		return false;
	}
	if (nseg == 2 && !buf_byte(ctx, b, 0x2e)) /* DualNamePrefix */
		return false;
	if (nseg > 2 && !(buf_byte(ctx, b, 0x2f) && buf_byte(ctx, b, (uint8_t)nseg)))
		return false; /* MultiNamePrefix SegCount */
	for (s = p;; s += strcspn(s, ".") + 1) {
		size_t len = strcspn(s, ".");
		if (!put_seg(ctx, b, s, len))
			return false;
		if (s[len] == '\0')
			break;
	}
	return true;
}

/* Writes node n's complete encoding to out. */
static bool encode(struct aml_ctx *ctx, struct aml_buf *out, const struct aml *n)
{
	uint8_t extra[9], pkglen[4];
	size_t extra_len = 0, tail = 0, content, pl;
	bool ok;

	if (n->kind == AML_RAW)
		return buf_put(ctx, out, n->buf.data, n->buf.len);

	switch (n->kind) {
	case AML_PACKAGE:
		extra[0] = (uint8_t)n->elements;
		extra_len = 1;
		break;
	case AML_RESTEMPLATE:
		tail = 2;
		/* fall through */
	case AML_BUFFER:
		extra_len = int_encode(n->buf.len + tail, extra);
		break;
	default:
		break;
	}

	content = extra_len + n->buf.len + tail;
	pl = content <= AML_PKGLEN_MAX ? aml_encode_pkglength((uint32_t)content, 1, pkglen) : 0;
	if (pl == 0) {
		fail(ctx, ERANGE, "AML block of %zu bytes exceeds the PkgLength limit of %u",
		     content, AML_PKGLEN_MAX);
		return false;
	}
	ok = buf_put(ctx, out, n->op, n->op_len) && buf_put(ctx, out, pkglen, pl) &&
	     buf_put(ctx, out, extra, extra_len) && buf_put(ctx, out, n->buf.data, n->buf.len);
	/* EndTag with checksum 0, which means "not checksummed". */
	if (ok && tail)
		ok = buf_byte(ctx, out, 0x79) && buf_byte(ctx, out, 0x00);
	return ok;
}

void aml_append(struct aml *parent, struct aml *child)
{
	struct aml_ctx *ctx = parent->ctx;

	if (!child) {
		fail(ctx, EINVAL, "AML builder: appending a NULL node");
		return;
	}
	if (parent == &ctx->sink || child == &child->ctx->sink || ctx->error)
		return;
	if (child->ctx != ctx) {
		fail(ctx, EINVAL, "AML builder: appending a node from another context");
		return;
	}
	if (!parent->block) {
		fail(ctx, EINVAL, "AML builder: appending to a term that is not a block");
		return;
	}
	if (child == parent) {
		fail(ctx, EINVAL, "AML builder: appending a block to itself");
		return;
	}
	if (parent->kind == AML_PACKAGE) {
		if (parent->elements == 255) {
			fail(ctx, ERANGE, "AML Package: more than 255 elements");
			return;
		}
		parent->elements++;
	}
	encode(ctx, &parent->buf, child);
}

int aml_bytes(struct aml *node, const uint8_t **data, size_t *len, struct kverr *err)
{
	struct aml_ctx *ctx = node->ctx;

	if (!ctx->error) {
		node->enc.len = 0;
		encode(ctx, &node->enc, node);
	}
	if (ctx->error)
		return aml_ctx_error(ctx, err);
	*data = node->enc.data;
	*len = node->enc.len;
	return 0;
}

/* Appends child's encoding to the contents of n (a term being built). */
static void add(struct aml *n, struct aml *child)
{
	struct aml_ctx *ctx = n->ctx;
	if (n == &ctx->sink)
		return;
	if (!child) {
		fail(ctx, EINVAL, "AML builder: missing operand");
		return;
	}
	if (child == &child->ctx->sink || ctx->error)
		return;
	encode(ctx, &n->buf, child);
}

static void add_byte(struct aml *n, uint8_t v)
{
	if (n != &n->ctx->sink)
		buf_byte(n->ctx, &n->buf, v);
}

static void add_le(struct aml *n, uint64_t v, unsigned bytes)
{
	if (n != &n->ctx->sink)
		buf_le(n->ctx, &n->buf, v, bytes);
}

static void add_name(struct aml *n, const char *name)
{
	if (n != &n->ctx->sink)
		put_namestring(n->ctx, &n->buf, name);
}

/* An operator term: op (optionally with an ExtOpPrefix) then operands. */
static struct aml *term(struct aml_ctx *ctx, uint8_t op, int op2)
{
	struct aml *n = node_new(ctx, AML_RAW, false);
	add_byte(n, op);
	if (op2 >= 0)
		add_byte(n, (uint8_t)op2);
	return n;
}

#define EXT_OP 0x5b

/* ---- Data ---- */

struct aml *aml_block(struct aml_ctx *ctx)
{
	return node_new(ctx, AML_RAW, true);
}

struct aml *aml_int(struct aml_ctx *ctx, uint64_t value)
{
	struct aml *n = node_new(ctx, AML_RAW, false);
	if (n != &ctx->sink)
		put_int(ctx, &n->buf, value);
	return n;
}

struct aml *aml_string(struct aml_ctx *ctx, const char *s)
{
	struct aml *n;
	if (!s)
		return fail(ctx, EINVAL, "AML string is NULL");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p > 0x7f)
			return fail(ctx, EINVAL, "AML string '%s': byte 0x%02x is not ASCII", s,
				    (unsigned char)*p);
	n = term(ctx, 0x0d, -1); /* StringPrefix AsciiCharList NullChar */
	if (n != &ctx->sink)
		buf_put(ctx, &n->buf, s, strlen(s) + 1);
	return n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct aml *aml_eisaid(struct aml_ctx *ctx, const char *id)
{
	uint32_t v = 0;
	struct aml *n;

	if (!id || strlen(id) != 7)
		return fail(ctx, EINVAL, "EISAID '%s': want 3 letters and 4 hex digits",
			    id ? id : "(null)");
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return fail(ctx, EINVAL, "EISAID '%s': '%c' is not a letter A-Z", id,
				    id[i]);
		/* 5-bit compressed ASCII: 'A' is 1 */
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);
		if (d < 0)
			return fail(ctx, EINVAL, "EISAID '%s': '%c' is not a hex digit 0-9A-F", id,
				    id[i]);
		v |= (uint32_t)d << (4 * (6 - i));
	}
	/* The id is stored big-endian inside a little-endian DWordConst. */
	n = term(ctx, 0x0c, -1);
	add_byte(n, (uint8_t)(v >> 24));
	add_byte(n, (uint8_t)(v >> 16));
	add_byte(n, (uint8_t)(v >> 8));
	add_byte(n, (uint8_t)v);
	return n;
}

struct aml *aml_package(struct aml_ctx *ctx)
{
	return node_op(ctx, AML_PACKAGE, 0x12, -1);
}

struct aml *aml_buffer(struct aml_ctx *ctx, const uint8_t *bytes, size_t len)
{
	struct aml *n = node_op(ctx, AML_BUFFER, 0x11, -1);
	if (n == &ctx->sink)
		return n;
	n->block = false;
	for (size_t i = 0; i < len; i++)
		add_byte(n, bytes ? bytes[i] : 0);
	return n;
}

struct aml *aml_local(struct aml_ctx *ctx, unsigned idx)
{
	if (idx > 7)
		return fail(ctx, EINVAL, "AML Local%u: only Local0-Local7 exist", idx);
	return term(ctx, (uint8_t)(0x60 + idx), -1);
}

struct aml *aml_arg(struct aml_ctx *ctx, unsigned idx)
{
	if (idx > 6)
		return fail(ctx, EINVAL, "AML Arg%u: only Arg0-Arg6 exist", idx);
	return term(ctx, (uint8_t)(0x68 + idx), -1);
}

/* ---- Names and named objects ---- */

struct aml *aml_name(struct aml_ctx *ctx, const char *name)
{
	struct aml *n = node_new(ctx, AML_RAW, false);
	add_name(n, name);
	return n;
}

struct aml *aml_name_decl(struct aml_ctx *ctx, const char *name, struct aml *value)
{
	struct aml *n = term(ctx, 0x08, -1); /* NameOp */
	add_name(n, name);
	add(n, value);
	return n;
}

struct aml *aml_scope(struct aml_ctx *ctx, const char *name)
{
	struct aml *n = node_op(ctx, AML_PKG, 0x10, -1);
	add_name(n, name);
	return n;
}

struct aml *aml_device(struct aml_ctx *ctx, const char *name)
{
	struct aml *n = node_op(ctx, AML_PKG, EXT_OP, 0x82);
	add_name(n, name);
	return n;
}

struct aml *aml_method(struct aml_ctx *ctx, const char *name, unsigned nargs,
		       enum aml_serialize serialize)
{
	struct aml *n;
	if (nargs > 7)
		return fail(ctx, EINVAL, "AML Method %s: %u arguments, at most 7",
			    name ? name : "(null)", nargs);
	n = node_op(ctx, AML_PKG, 0x14, -1);
	add_name(n, name);
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0 */
	add_byte(n, (uint8_t)(nargs | (serialize == AML_SERIALIZED ? 0x08 : 0)));
	return n;
}

struct aml *aml_mutex(struct aml_ctx *ctx, const char *name, unsigned sync_level)
{
	struct aml *n;
	if (sync_level > 15)
		return fail(ctx, EINVAL, "AML Mutex %s: SyncLevel %u, at most 15",
			    name ? name : "(null)", sync_level);
	n = term(ctx, EXT_OP, 0x01);
	add_name(n, name);
	add_byte(n, (uint8_t)sync_level);
	return n;
}

struct aml *aml_operation_region(struct aml_ctx *ctx, const char *name, enum aml_region_space space,
				 struct aml *offset, struct aml *len)
{
	struct aml *n = term(ctx, EXT_OP, 0x80);
	add_name(n, name);
	add_byte(n, (uint8_t)space);
	add(n, offset);
	add(n, len);
	return n;
}

struct aml *aml_field(struct aml_ctx *ctx, const char *region, enum aml_access_type access,
		      enum aml_lock_rule lock, enum aml_update_rule update)
{
	struct aml *n;
	if ((unsigned)access > AML_BUFFER_ACC || (unsigned)lock > AML_LOCK ||
	    (unsigned)update > AML_WRITE_AS_ZEROS)
		return fail(
		    ctx, EINVAL, "AML Field on %s: access %u, lock %u, update %u out of range",
		    region ? region : "(null)", (unsigned)access, (unsigned)lock, (unsigned)update);
	n = node_op(ctx, AML_PKG, EXT_OP, 0x81);
	add_name(n, region);
	/* FieldFlags: AccessType bits 0-3, LockRule bit 4, UpdateRule 5-6 */
	add_byte(n, (uint8_t)(access | lock << 4 | update << 5));
	return n;
}

static struct aml *field_unit(struct aml_ctx *ctx, const char *name, uint32_t bits)
{
	uint8_t pl[4];
	size_t len = bits ? aml_encode_pkglength(bits, 0, pl) : 0;
	struct aml *n;

	if (len == 0)
		return fail(ctx, EINVAL, "AML field %s: width of %u bits, want 1-%u",
			    name ? name : "(reserved)", bits, AML_PKGLEN_MAX);
	n = node_new(ctx, AML_RAW, false);
	if (n == &ctx->sink)
		return n;
	if (name)
		put_nameseg(ctx, &n->buf, name);
	else
		buf_byte(ctx, &n->buf, 0x00); /* ReservedField */
	/* A field width is a PkgLength that does not count itself. */
	buf_put(ctx, &n->buf, pl, len);
	return n;
}

struct aml *aml_named_field(struct aml_ctx *ctx, const char *name, uint32_t bits)
{
	if (!name)
		return fail(ctx, EINVAL, "AML field name is NULL");
	return field_unit(ctx, name, bits);
}

struct aml *aml_reserved_field(struct aml_ctx *ctx, uint32_t bits)
{
	return field_unit(ctx, NULL, bits);
}

static struct aml *create_field(struct aml_ctx *ctx, uint8_t op, struct aml *buffer,
				struct aml *index, const char *name)
{
	struct aml *n = term(ctx, op, -1);
	add(n, buffer);
	add(n, index);
	add_name(n, name);
	return n;
}

struct aml *aml_create_dword_field(struct aml_ctx *ctx, struct aml *buffer, struct aml *index,
				   const char *name)
{
	return create_field(ctx, 0x8a, buffer, index, name);
}

struct aml *aml_create_qword_field(struct aml_ctx *ctx, struct aml *buffer, struct aml *index,
				   const char *name)
{
	return create_field(ctx, 0x8f, buffer, index, name);
}

/* ---- Control flow and operators ---- */

static struct aml *op1(struct aml_ctx *ctx, uint8_t op, struct aml *a)
{
	struct aml *n = term(ctx, op, -1);
	add(n, a);
	return n;
}

static struct aml *op2(struct aml_ctx *ctx, uint8_t op, struct aml *a, struct aml *b)
{
	struct aml *n = term(ctx, op, -1);
	add(n, a);
	add(n, b);
	return n;
}

/* Op Operand Operand Target, where a NULL target is NullName. */
static struct aml *op2_target(struct aml_ctx *ctx, uint8_t op, struct aml *a, struct aml *b,
			      struct aml *target)
{
	struct aml *n = op2(ctx, op, a, b);
	if (target)
		add(n, target);
	else
		add_byte(n, 0x00);
	return n;
}

struct aml *aml_return(struct aml_ctx *ctx, struct aml *value)
{
	return op1(ctx, 0xa4, value);
}

struct aml *aml_if(struct aml_ctx *ctx, struct aml *predicate)
{
	struct aml *n = node_op(ctx, AML_PKG, 0xa0, -1);
	add(n, predicate);
	return n;
}

struct aml *aml_else(struct aml_ctx *ctx)
{
	return node_op(ctx, AML_PKG, 0xa1, -1);
}

struct aml *aml_while(struct aml_ctx *ctx, struct aml *predicate)
{
	struct aml *n = node_op(ctx, AML_PKG, 0xa2, -1);
	add(n, predicate);
	return n;
}

struct aml *aml_break(struct aml_ctx *ctx)
{
	return term(ctx, 0xa5, -1);
}

struct aml *aml_store(struct aml_ctx *ctx, struct aml *value, struct aml *target)
{
	return op2(ctx, 0x70, value, target);
}

struct aml *aml_equal(struct aml_ctx *ctx, struct aml *a, struct aml *b)
{
	return op2(ctx, 0x93, a, b);
}

struct aml *aml_lless(struct aml_ctx *ctx, struct aml *a, struct aml *b)
{
	return op2(ctx, 0x95, a, b);
}

struct aml *aml_lgreater(struct aml_ctx *ctx, struct aml *a, struct aml *b)
{
	return op2(ctx, 0x94, a, b);
}

struct aml *aml_lnot(struct aml_ctx *ctx, struct aml *a)
{
	return op1(ctx, 0x92, a);
}

struct aml *aml_land(struct aml_ctx *ctx, struct aml *a, struct aml *b)
{
	return op2(ctx, 0x90, a, b);
}

struct aml *aml_lor(struct aml_ctx *ctx, struct aml *a, struct aml *b)
{
	return op2(ctx, 0x91, a, b);
}

struct aml *aml_and(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(ctx, 0x7b, a, b, target);
}

struct aml *aml_or(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(ctx, 0x7d, a, b, target);
}

struct aml *aml_add(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(ctx, 0x72, a, b, target);
}

struct aml *aml_subtract(struct aml_ctx *ctx, struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(ctx, 0x74, a, b, target);
}

struct aml *aml_shiftleft(struct aml_ctx *ctx, struct aml *a, struct aml *count, struct aml *target)
{
	return op2_target(ctx, 0x79, a, count, target);
}

struct aml *aml_shiftright(struct aml_ctx *ctx, struct aml *a, struct aml *count,
			   struct aml *target)
{
	return op2_target(ctx, 0x7a, a, count, target);
}

struct aml *aml_increment(struct aml_ctx *ctx, struct aml *a)
{
	return op1(ctx, 0x75, a);
}

struct aml *aml_decrement(struct aml_ctx *ctx, struct aml *a)
{
	return op1(ctx, 0x76, a);
}

struct aml *aml_index(struct aml_ctx *ctx, struct aml *obj, struct aml *index)
{
	return op2_target(ctx, 0x88, obj, index, NULL);
}

struct aml *aml_derefof(struct aml_ctx *ctx, struct aml *ref)
{
	return op1(ctx, 0x83, ref);
}

struct aml *aml_sizeof(struct aml_ctx *ctx, struct aml *obj)
{
	return op1(ctx, 0x87, obj);
}

struct aml *aml_notify(struct aml_ctx *ctx, struct aml *object, struct aml *value)
{
	return op2(ctx, 0x86, object, value);
}

struct aml *aml_acquire(struct aml_ctx *ctx, struct aml *mutex, uint16_t timeout)
{
	struct aml *n = term(ctx, EXT_OP, 0x23);
	add(n, mutex);
	add_le(n, timeout, 2); /* a raw WordData, not an integer term */
	return n;
}

struct aml *aml_release(struct aml_ctx *ctx, struct aml *mutex)
{
	struct aml *n = term(ctx, EXT_OP, 0x27);
	add(n, mutex);
	return n;
}

struct aml *aml_call(struct aml_ctx *ctx, const char *method, unsigned argc, ...)
{
	struct aml *n;
	va_list ap;

	if (argc > 7)
		return fail(ctx, EINVAL, "AML call of %s: %u arguments, at most 7",
			    method ? method : "(null)", argc);
	n = aml_name(ctx, method);
	va_start(ap, argc);
	for (unsigned i = 0; i < argc; i++)
		add(n, va_arg(ap, struct aml *));
	va_end(ap);
	return n;
}

/* ---- Resource descriptors ---- */

struct aml *aml_resource_template(struct aml_ctx *ctx)
{
	return node_op(ctx, AML_RESTEMPLATE, 0x11, -1);
}

struct aml *aml_io(struct aml_ctx *ctx, enum aml_io_decode decode, uint16_t min, uint16_t max,
		   uint8_t align, uint8_t len)
{
	struct aml *n;
	if (min > max)
		return fail(ctx, EINVAL, "AML IO: minimum 0x%x above maximum 0x%x", min, max);
	n = term(ctx, 0x47, -1); /* small item: I/O port descriptor, 7 bytes */
	add_byte(n, decode == AML_DECODE16 ? 1 : 0);
	add_le(n, min, 2);
	add_le(n, max, 2);
	add_byte(n, align);
	add_byte(n, len);
	return n;
}

struct aml *aml_irq_no_flags(struct aml_ctx *ctx, unsigned irq)
{
	struct aml *n;
	if (irq > 15)
		return fail(ctx, EINVAL, "AML IRQNoFlags: IRQ %u, only 0-15 exist", irq);
	n = term(ctx, 0x22, -1); /* small item: IRQ descriptor, 2 bytes (no flags) */
	add_le(n, 1U << irq, 2);
	return n;
}

struct aml *aml_memory32_fixed(struct aml_ctx *ctx, uint32_t base, uint32_t size, enum aml_rw rw)
{
	struct aml *n = term(ctx, 0x86, -1); /* large item 0x6 */
	add_le(n, 9, 2);		     /* length of the rest */
	add_byte(n, rw == AML_READ_WRITE ? 1 : 0);
	add_le(n, base, 4);
	add_le(n, size, 4);
	return n;
}

/* Word and DWord address space descriptors (ACPI 6.4.3.5.2, 6.4.3.5.3):
 * type 0 memory, 1 I/O, 2 bus numbers; flags as aml_qword_memory's. */
static struct aml *address_desc(struct aml_ctx *ctx, const char *what, unsigned bytes, uint8_t type,
				enum aml_decode decode, enum aml_min_fixed min_fixed,
				enum aml_max_fixed max_fixed, uint8_t type_flags, uint64_t gran,
				uint64_t min, uint64_t max, uint64_t trans, uint64_t len)
{
	uint64_t limit = bytes == 2 ? 0xffff : 0xffffffffULL;
	struct aml *n;

	if (min > max || max > limit || gran > limit || trans > limit || len > limit)
		return fail(ctx, EINVAL, "AML %s: range [0x%llx, 0x%llx] (length 0x%llx) invalid",
			    what, (unsigned long long)min, (unsigned long long)max,
			    (unsigned long long)len);
	if (len && min_fixed == AML_MIN_FIXED && max_fixed == AML_MAX_FIXED && len != max - min + 1)
		return fail(ctx, EINVAL, "AML %s [0x%llx, 0x%llx]: length 0x%llx, want 0x%llx",
			    what, (unsigned long long)min, (unsigned long long)max,
			    (unsigned long long)len, (unsigned long long)(max - min + 1));
	n = term(ctx, bytes == 2 ? 0x88 : 0x87, -1); /* large items 0x8, 0x7 */
	add_le(n, 3 + 5 * bytes, 2);		     /* length without a ResourceSource */
	add_byte(n, type);
	add_byte(n, (uint8_t)((decode == AML_SUB_DECODE ? 0x2 : 0) |
			      (min_fixed == AML_MIN_FIXED ? 0x4 : 0) |
			      (max_fixed == AML_MAX_FIXED ? 0x8 : 0)));
	add_byte(n, type_flags);
	add_le(n, gran, bytes);
	add_le(n, min, bytes);
	add_le(n, max, bytes);
	add_le(n, trans, bytes);
	add_le(n, len, bytes);
	return n;
}

struct aml *aml_word_bus_number(struct aml_ctx *ctx, uint16_t min, uint16_t max)
{
	return address_desc(ctx, "WordBusNumber", 2, 2, AML_POS_DECODE, AML_MIN_FIXED,
			    AML_MAX_FIXED, 0, 0, min, max, 0, (uint64_t)max - min + 1);
}

struct aml *aml_word_io(struct aml_ctx *ctx, uint16_t min, uint16_t max)
{
	/* type flags 3: ISA and non-ISA ranges (EntireRange) */
	return address_desc(ctx, "WordIO", 2, 1, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED, 3, 0,
			    min, max, 0, (uint64_t)max - min + 1);
}

struct aml *aml_dword_memory(struct aml_ctx *ctx, enum aml_cacheable cacheable, enum aml_rw rw,
			     uint32_t min, uint32_t max)
{
	return address_desc(
	    ctx, "DWordMemory", 4, 0, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED,
	    (uint8_t)((rw == AML_READ_WRITE ? 1 : 0) | ((unsigned)cacheable & 3) << 1), 0, min, max,
	    0, (uint64_t)max - min + 1);
}

struct aml *aml_qword_memory(struct aml_ctx *ctx, enum aml_decode decode,
			     enum aml_min_fixed min_fixed, enum aml_max_fixed max_fixed,
			     enum aml_cacheable cacheable, enum aml_rw rw, uint64_t granularity,
			     uint64_t min, uint64_t max, uint64_t translation, uint64_t len)
{
	struct aml *n;

	if (min > max)
		return fail(ctx, EINVAL, "AML QWordMemory: minimum 0x%llx above maximum 0x%llx",
			    (unsigned long long)min, (unsigned long long)max);
	/* ACPI 6.4.3.5 Table 6.44: a fixed-size, fixed-place range spans
	 * exactly [min, max]. */
	if (len && min_fixed == AML_MIN_FIXED && max_fixed == AML_MAX_FIXED && len != max - min + 1)
		return fail(ctx, EINVAL,
			    "AML QWordMemory [0x%llx, 0x%llx]: length 0x%llx, want 0x%llx",
			    (unsigned long long)min, (unsigned long long)max,
			    (unsigned long long)len, (unsigned long long)(max - min + 1));
	n = term(ctx, 0x8a, -1); /* large item 0xA */
	add_le(n, 0x2b, 2);	 /* length without the optional ResourceSource */
	add_byte(n, 0);		 /* resource type: memory range */
	/* General flags: bit 1 decode, bit 2 min fixed, bit 3 max fixed;
	 * bit 0 clear = producer and consumer, as ASL's default. */
	add_byte(n, (uint8_t)((decode == AML_SUB_DECODE ? 0x2 : 0) |
			      (min_fixed == AML_MIN_FIXED ? 0x4 : 0) |
			      (max_fixed == AML_MAX_FIXED ? 0x8 : 0)));
	/* Type-specific flags: bit 0 read-write, bits 1-2 cacheability */
	add_byte(n, (uint8_t)((rw == AML_READ_WRITE ? 1 : 0) | ((unsigned)cacheable & 3) << 1));
	add_le(n, granularity, 8);
	add_le(n, min, 8);
	add_le(n, max, 8);
	add_le(n, translation, 8);
	add_le(n, len, 8);
	return n;
}
