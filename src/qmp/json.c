/* json.c - QMP's JSON, as QEMU 7.2 reads and writes it; see json.h.
 *
 * A recursive-descent parser over the bytes of one message (stream.c has
 * already found where it ends) and a printer, both small.  The parser
 * checks every string byte for modified UTF-8 and every \u escape for a
 * Unicode character (no lone surrogate, no noncharacter), as QEMU does,
 * so what it returns never needs checking again; it builds jansson values
 * with the _nocheck constructors because C0 80 is not UTF-8 to jansson.
 */
#include "qmp/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* The key of a boxed uint64: it starts with the byte 0xFF, which no
 * parsed key holds (the parser takes modified UTF-8 only), and it is a
 * whole C string, so json_deep_copy and json_equal keep the box. */
static const char box_key[] = "\xffu64";
#define BOX_KEY_LEN (sizeof(box_key) - 1)

json_t *qmp_json_uint(uint64_t v)
{
	json_t *o;

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	o = json_object();
	if (o &&
	    json_object_setn_new_nocheck(o, box_key, BOX_KEY_LEN, json_integer((json_int_t)v))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool qmp_json_is_uint(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	       json_object_getn(v, box_key, BOX_KEY_LEN) != NULL;
}

bool qmp_json_get_uint(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (qmp_json_is_uint(v)) {
		*out = (uint64_t)json_integer_value(json_object_getn(v, box_key, BOX_KEY_LEN));
		return true;
	}
	return false;
}

bool qmp_json_is_object(const json_t *v)
{
	return json_is_object(v) && !qmp_json_is_uint(v);
}

static void put(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

/* ---- modified UTF-8 ---- */

static bool is_noncharacter(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* The code point of the modified UTF-8 sequence at s (n bytes left), or
 * -1 if it is not one; *used is how far a reader moves on: past a
 * well-formed sequence, valid or not; past the lead byte and the
 * continuation bytes that did come for a truncated one; one byte for a
 * stray continuation byte or 0xFE/0xFF. */
static long utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	static const uint32_t min_cp[] = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};
	unsigned lead = s[0], len = 0;
	uint32_t cp;

	*used = 1;
	if (lead < 0x80)
		return lead;
	if (lead >= 0xfe || !(lead & 0x40))
		return -1;
	for (unsigned mask = 0x80; lead & mask; mask >>= 1)
		len++;
	cp = lead & (0x7f >> len);
	for (unsigned i = 1; i < len; i++) {
		if (i >= n || (s[i] & 0xc0) != 0x80) {
			*used = i;
			return -1;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*used = len;
	if (cp > 0x10ffff || is_noncharacter(cp) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp < min_cp[len - 2] && !(cp == 0 && len == 2)))
		return -1;
	return cp;
}

/* U+0000 as C0 80, everything else as UTF-8. */
static void utf8_encode(struct buf *b, uint32_t cp)
{
	unsigned char out[4];
	size_t n;

	if (cp == 0) {
		out[0] = 0xc0;
		out[1] = 0x80;
		n = 2;
	} else if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		out[0] = 0xf0 | (cp >> 18);
		out[1] = 0x80 | ((cp >> 12) & 0x3f);
		out[2] = 0x80 | ((cp >> 6) & 0x3f);
		out[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	buf_append(b, out, n);
}

/* ---- the parser ---- */

struct parser {
	const char *p, *end;
	unsigned depth;
	char *why;
	size_t why_size;
	bool failed;
};

static json_t *fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first error is the one reported, as in QEMU. */
static json_t *fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->failed)
		return NULL;
	ps->failed = true;
	n = snprintf(ps->why, ps->why_size, "JSON parse error, ");
	if (n < 0 || (size_t)n >= ps->why_size)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(ps->why + n, ps->why_size - (size_t)n, fmt, ap);
	va_end(ap);
	return NULL;
}

static void skip_blanks(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static json_t *parse_value(struct parser *ps);

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (end bounds them), or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* QEMU quotes a bad \u escape with up to six characters, the closing
 * quote of the string included. */
static json_t *bad_escape(struct parser *ps, const char *esc)
{
	int n = 0;

	while (n < 6 && esc + n < ps->end) {
		n++;
		if (n > 1 && esc[n - 1] == '"')
			break;
	}
	return fail(ps, "%.*s is not a valid Unicode character", n, esc);
}

/* \uXXXX (or a surrogate pair) at ps->p, the backslash already taken. */
static bool parse_unicode_escape(struct parser *ps, struct buf *out)
{
	const char *esc = ps->p - 1;
	long cp = hex4(ps->p + 1, ps->end);

	if (cp < 0) {
		bad_escape(ps, esc);
		return false;
	}
	ps->p += 5;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long low = ps->end - ps->p >= 2 && ps->p[0] == '\\' && ps->p[1] == 'u'
			       ? hex4(ps->p + 2, ps->end)
			       : -1;

		if (low < 0xdc00 || low > 0xdfff) {
			bad_escape(ps, esc);
			return false;
		}
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		bad_escape(ps, esc);
		return false;
	}
	if (is_noncharacter((uint32_t)cp)) {
		bad_escape(ps, esc);
		return false;
	}
	utf8_encode(out, (uint32_t)cp);
	return true;
}

/* A string at ps->p (its opening quote); its bytes into out. */
static bool parse_string_bytes(struct parser *ps, struct buf *out)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";

	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c == '\\') {
			const char *s;

			if (++ps->p == ps->end)
				break;
			if (*ps->p == 'u') {
				if (!parse_unicode_escape(ps, out))
					return false;
				continue;
			}
			for (s = simple; *s && *s != *ps->p; s += 2)
				;
			if (!*s) {
				fail(ps, "invalid escape sequence in string");
				return false;
			}
			buf_append(out, s + 1, 1);
			ps->p++;
		} else if (c < 0x20) {
			fail(ps, "control character 0x%02x in string", c);
			return false;
		} else {
			size_t used;

			if (utf8_decode((const unsigned char *)ps->p, (size_t)(ps->end - ps->p),
					&used) < 0) {
				fail(ps, "invalid UTF-8 sequence in string");
				return false;
			}
			buf_append(out, ps->p, used);
			ps->p += used;
		}
	}
	if (ps->p == ps->end) {
		fail(ps, "premature EOI");
		return false;
	}
	ps->p++; /* the closing quote */
	return true;
}

static json_t *parse_string(struct parser *ps)
{
	struct buf b = {0};
	json_t *v = NULL;

	if (parse_string_bytes(ps, &b) && !b.failed)
		v = json_stringn_nocheck(b.data ? b.data : "", b.len);
	buf_free(&b);
	return v;
}

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static bool digits(struct parser *ps)
{
	const char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > start;
}

/* An integer is int64, else uint64 when it has no sign, else a double,
 * as QEMU's parse_literal; a fraction or exponent makes a double. */
static json_t *parse_number(struct parser *ps)
{
	const char *start = ps->p, *run;
	bool integer = true, ok;
	char *text, *endp;
	json_t *v = NULL;
	size_t n;

	if (*ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0') {
		ps->p++;
		ok = true;
	} else {
		ok = digits(ps);
	}
	if (ok && ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		integer = false;
		ok = digits(ps);
	}
	if (ok && ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		integer = false;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		ok = digits(ps);
	}
	if (!ok || (ps->p < ps->end && is_number_char(*ps->p))) {
		for (run = ps->p; run < ps->end && is_number_char(*run); run++)
			;
		return fail(ps, "stray '%.*s'", (int)(run - start > 40 ? 40 : run - start), start);
	}
	n = (size_t)(ps->p - start);
	text = malloc(n + 1);
	if (!text)
		return fail(ps, "out of memory");
	memcpy(text, start, n);
	text[n] = '\0';
	errno = 0;
	if (integer) {
		long long i = strtoll(text, &endp, 10);

		if (!errno) {
			v = json_integer(i);
			goto out;
		}
		if (*text != '-') {
			unsigned long long u;

			errno = 0;
			u = strtoull(text, &endp, 10);
			if (!errno) {
				v = qmp_json_uint(u);
				goto out;
			}
		}
	}
	{
		double d = strtod(text, &endp);

		if (isinf(d))
			fail(ps, "number '%.40s' is beyond the range of a double", text);
		else
			v = json_real(d);
	}
out:
	free(text);
	return v;
}

static json_t *parse_keyword(struct parser *ps)
{
	const char *start = ps->p;
	size_t n;

	while (ps->p < ps->end &&
	       ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z')))
		ps->p++;
	n = (size_t)(ps->p - start);
	if (n == 4 && !memcmp(start, "true", 4))
		return json_true();
	if (n == 5 && !memcmp(start, "false", 5))
		return json_false();
	if (n == 4 && !memcmp(start, "null", 4))
		return json_null();
	return fail(ps, "invalid keyword '%.*s'", (int)(n > 40 ? 40 : n), start);
}

static bool enter(struct parser *ps)
{
	if (++ps->depth <= QMP_JSON_MAX_DEPTH)
		return true;
	if (!ps->failed) {
		ps->failed = true;
		snprintf(ps->why, ps->why_size, "JSON nesting depth limit exceeded");
	}
	return false;
}

static json_t *parse_object(struct parser *ps)
{
	json_t *obj;

	if (!enter(ps))
		return NULL;
	obj = json_object();
	if (!obj)
		return fail(ps, "out of memory");
	ps->p++;
	skip_blanks(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		ps->depth--;
		return obj;
	}
	for (;;) {
		struct buf key = {0};
		json_t *v;

		skip_blanks(ps);
		if (ps->p == ps->end || *ps->p != '"') {
			/* QEMU reads a value, then finds it is not a key */
			v = parse_value(ps);
			json_decref(v);
			if (v)
				fail(ps, "key is not a string in object");
			goto fail;
		}
		if (!parse_string_bytes(ps, &key) || key.failed) {
			buf_free(&key);
			goto fail;
		}
		skip_blanks(ps);
		if (ps->p == ps->end || *ps->p != ':') {
			buf_free(&key);
			fail(ps, "missing : in object pair");
			goto fail;
		}
		ps->p++;
		v = parse_value(ps);
		if (!v) {
			buf_free(&key);
			goto fail;
		}
		if (json_object_getn(obj, key.data ? key.data : "", key.len)) {
			json_decref(v);
			buf_free(&key);
			fail(ps, "duplicate key");
			goto fail;
		}
		if (json_object_setn_new_nocheck(obj, key.data ? key.data : "", key.len, v)) {
			buf_free(&key);
			fail(ps, "out of memory");
			goto fail;
		}
		buf_free(&key);
		skip_blanks(ps);
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			ps->depth--;
			return obj;
		}
		if (ps->p == ps->end || *ps->p != ',') {
			fail(ps, ps->p == ps->end ? "premature EOI" : "expected separator in dict");
			goto fail;
		}
		ps->p++;
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_array(struct parser *ps)
{
	json_t *arr;

	if (!enter(ps))
		return NULL;
	arr = json_array();
	if (!arr)
		return fail(ps, "out of memory");
	ps->p++;
	skip_blanks(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		ps->depth--;
		return arr;
	}
	for (;;) {
		json_t *v = parse_value(ps);

		if (!v || json_array_append_new(arr, v)) {
			fail(ps, "out of memory"); /* only if no error was set before */
			json_decref(arr);
			return NULL;
		}
		skip_blanks(ps);
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			ps->depth--;
			return arr;
		}
		if (ps->p == ps->end || *ps->p != ',') {
			fail(ps, ps->p == ps->end ? "premature EOI" : "expected separator in list");
			json_decref(arr);
			return NULL;
		}
		ps->p++;
	}
}

static json_t *parse_value(struct parser *ps)
{
	char c;

	skip_blanks(ps);
	if (ps->p == ps->end)
		return fail(ps, "expecting value");
	c = *ps->p;
	if (c == '{')
		return parse_object(ps);
	if (c == '[')
		return parse_array(ps);
	if (c == '"')
		return parse_string(ps);
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(ps);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return parse_keyword(ps);
	return fail(ps, "expecting value");
}

json_t *qmp_json_parse(const char *text, size_t len, char *why, size_t why_size)
{
	struct parser ps = {.p = text, .end = text + len, .why = why, .why_size = why_size};
	json_t *v;

	if (why_size)
		why[0] = '\0';
	v = parse_value(&ps);
	if (!v)
		return fail(&ps, "out of memory");
	skip_blanks(&ps);
	if (ps.p != ps.end) {
		json_decref(v);
		return fail(&ps, "stray '%.*s' after the value",
			    (int)(ps.end - ps.p > 40 ? 40 : ps.end - ps.p), ps.p);
	}
	return v;
}

/* ---- the printer ---- */

/* QEMU's json-writer quoted_str. */
static void print_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	put(b, '"');
	while (p < end) {
		size_t used;
		long cp = utf8_decode(p, (size_t)(end - p), &used);

		p += used;
		switch (cp) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\b':
			buf_puts(b, "\\b");
			break;
		case '\f':
			buf_puts(b, "\\f");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default:
			if (cp < 0)
				cp = 0xfffd;
			if (cp > 0xffff)
				buf_printf(b, "\\u%04lX\\u%04lX", 0xd800 + ((cp - 0x10000) >> 10),
					   0xdc00 + ((cp - 0x10000) & 0x3ff));
			else if (cp < 0x20 || cp >= 0x7f)
				buf_printf(b, "\\u%04lX", cp);
			else
				put(b, (char)cp);
		}
	}
	put(b, '"');
}

static void print_value(struct buf *b, const json_t *v)
{
	const char *key;
	size_t i, key_len;
	json_t *item;
	bool first = true;
	uint64_t u;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (qmp_json_is_uint(v) && qmp_json_get_uint(v, &u)) {
			buf_printf(b, "%" PRIu64, u);
			break;
		}
		put(b, '{');
		json_object_keylen_foreach((json_t *)v, key, key_len, item)
		{
			if (!first)
				buf_puts(b, ", ");
			first = false;
			print_string(b, key, key_len);
			buf_puts(b, ": ");
			print_value(b, item);
		}
		put(b, '}');
		break;
	case JSON_ARRAY:
		put(b, '[');
		json_array_foreach(v, i, item)
		{
			if (i)
				buf_puts(b, ", ");
			print_value(b, item);
		}
		put(b, ']');
		break;
	case JSON_STRING:
		print_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(b, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	}
}

char *qmp_json_print(const json_t *v, size_t *len)
{
	struct buf b = {0};

	print_value(&b, v);
	if (b.failed || !b.data) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}
