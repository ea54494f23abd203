/* value.c - property values from text and JSON; see value.h.
 *
 * The rules are QEMU 7.2's input visitors as seen from outside: the
 * keyval one for text (numbers through strtoull/strtoll with base 0, so
 * "-1" for a uint64 wraps around as QEMU's does) and the strict one for
 * JSON (a negative integer for a uint64 wraps too).  The messages are
 * QEMU's, property by property type; tests/unit/test_devreg.c lists them.
 */
#include "dev/value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static int expects(const struct dev_prop *p, const char *what, struct kverr *err)
{
	return kverr_set(err, EINVAL, "Parameter '%s' expects %s", p->name, what);
}

static int wrong_type(const struct dev_prop *p, const char *what, struct kverr *err)
{
	return kverr_set(err, EINVAL, "Invalid parameter type for '%s', expected: %s", p->name,
			 what);
}

/* The widest value of each fixed-size type, and QEMU's name for it. */
static uint64_t umax(enum dev_prop_type t, const char **name)
{
	switch (t) {
	case DEV_PROP_UINT8:
		*name = "uint8_t";
		return UINT8_MAX;
	case DEV_PROP_UINT16:
		*name = "uint16_t";
		return UINT16_MAX;
	case DEV_PROP_UINT32:
		*name = "uint32_t";
		return UINT32_MAX;
	default:
		*name = "uint64_t";
		return UINT64_MAX;
	}
}

static int check_uint(const struct dev_prop *p, uint64_t v, struct dev_value *out,
		      struct kverr *err)
{
	const char *name;

	if (v > umax(p->type, &name))
		return expects(p, name, err);
	out->u = v;
	return 0;
}

static int check_int(const struct dev_prop *p, int64_t v, struct dev_value *out, struct kverr *err)
{
	if (p->type == DEV_PROP_INT32 && (v < INT32_MIN || v > INT32_MAX))
		return expects(p, "int32_t", err);
	out->i = v;
	return 0;
}

static int check_enum(const struct dev_prop *p, const char *s, struct dev_value *out,
		      struct kverr *err)
{
	for (unsigned i = 0; p->values[i]; i++) {
		if (!strcmp(p->values[i], s)) {
			out->u = i;
			return 0;
		}
	}
	return kverr_set(err, EINVAL, "Parameter '%s' does not accept value '%s'", p->name, s);
}

/* QEMU's PCI devfn property: "SLOT[.FN]", both in hex (sscanf %x, so
 * blanks, a sign and 0x are taken as sscanf takes them), slot <= 0x1f,
 * function <= 7. */
static int pci_addr_text(const struct dev_driver *drv, const struct dev_prop *p, const char *s,
			 struct dev_value *out, struct kverr *err)
{
	unsigned slot, fn;
	int n = 0;

	if (sscanf(s, "%x.%x%n", &slot, &fn, &n) != 2) {
		fn = 0;
		if (sscanf(s, "%x%n", &slot, &n) != 1)
			goto invalid;
	}
	if (s[n] || fn > 7 || slot > 31)
		goto invalid;
	out->i = (int64_t)(slot << 3 | fn);
	return 0;
invalid:
	return kverr_set(err, EINVAL, "Property '%s.%s' doesn't take value '%s'", drv->name,
			 p->name, s);
}

static int dup_string(const char *s, struct dev_value *out, struct kverr *err)
{
	out->s = strdup(s);
	if (!out->s)
		return kverr_set(err, ENOMEM, "out of memory");
	return 0;
}

int dev_value_from_text(const struct dev_driver *drv, const struct dev_prop *p, const char *text,
			struct dev_value *out, struct kverr *err)
{
	static const char *const on[] = {"on", "yes", "true", "y"};
	static const char *const off[] = {"off", "no", "false", "n"};
	char *end;

	memset(out, 0, sizeof(*out));
	switch (p->type) {
	case DEV_PROP_STR:
	case DEV_PROP_LINK:
		return dup_string(text, out, err);
	case DEV_PROP_BOOL:
		for (int i = 0; i < 4; i++) {
			if (!strcmp(text, on[i]) || !strcmp(text, off[i])) {
				out->b = !strcmp(text, on[i]);
				return 0;
			}
		}
		return expects(p, "'on' or 'off'", err);
	case DEV_PROP_UINT8:
	case DEV_PROP_UINT16:
	case DEV_PROP_UINT32:
	case DEV_PROP_UINT64: {
		unsigned long long v;

		errno = 0;
		v = strtoull(text, &end, 0);
		if (end == text || *end || errno)
			return expects(p, "integer", err);
		return check_uint(p, v, out, err);
	}
	case DEV_PROP_INT32:
	case DEV_PROP_INT64: {
		long long v;

		errno = 0;
		v = strtoll(text, &end, 0);
		if (end == text || *end || errno)
			return expects(p, "integer", err);
		return check_int(p, v, out, err);
	}
	case DEV_PROP_SIZE:
		if (config_parse_size(text, 1, &out->u))
			return expects(p, "size", err);
		return 0;
	case DEV_PROP_ENUM:
		return check_enum(p, text, out, err);
	case DEV_PROP_PCI_ADDR:
		return pci_addr_text(drv, p, text, out, err);
	case DEV_PROP_JSON:
		break;
	}
	return kverr_set(err, EINVAL, "Property '%s.%s' is not writable", drv->name, p->name);
}

int dev_value_from_json(const struct dev_driver *drv, const struct dev_prop *p, json_t *v,
			struct dev_value *out, struct kverr *err)
{
	memset(out, 0, sizeof(*out));
	switch (p->type) {
	case DEV_PROP_STR:
	case DEV_PROP_LINK:
		if (!json_is_string(v))
			return wrong_type(p, "string", err);
		return dup_string(json_string_value(v), out, err);
	case DEV_PROP_BOOL:
		if (!json_is_boolean(v))
			return wrong_type(p, "boolean", err);
		out->b = json_is_true(v);
		return 0;
	case DEV_PROP_UINT8:
	case DEV_PROP_UINT16:
	case DEV_PROP_UINT32:
	case DEV_PROP_UINT64:
	case DEV_PROP_SIZE:
		/* QEMU accepts a negative integer here and wraps it around */
		if (!json_is_integer(v))
			return expects(p, "uint64", err);
		return check_uint(p, (uint64_t)json_integer_value(v), out, err);
	case DEV_PROP_INT32:
	case DEV_PROP_INT64:
		if (!json_is_integer(v))
			return wrong_type(p, "integer", err);
		return check_int(p, json_integer_value(v), out, err);
	case DEV_PROP_ENUM:
		if (!json_is_string(v))
			return wrong_type(p, "string", err);
		return check_enum(p, json_string_value(v), out, err);
	case DEV_PROP_PCI_ADDR:
		if (json_is_string(v))
			return pci_addr_text(drv, p, json_string_value(v), out, err);
		if (!json_is_integer(v))
			return kverr_set(err, EINVAL,
					 "Invalid parameter type for '%s', expected int or str",
					 p->name);
		if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
			return expects(p, "int32_t", err);
		if (json_integer_value(v) < -1 || json_integer_value(v) > 255)
			return expects(p, "a value between -1 and 255", err);
		out->i = json_integer_value(v);
		return 0;
	case DEV_PROP_JSON:
		break;
	}
	return kverr_set(err, EINVAL, "Property '%s.%s' is not writable", drv->name, p->name);
}

int dev_value_default(const struct dev_prop *p, struct dev_value *out)
{
	memset(out, 0, sizeof(*out));
	if (p->type == DEV_PROP_STR || p->type == DEV_PROP_LINK) {
		out->s = strdup(p->has_default ? p->def.s : "");
		return out->s ? 0 : -ENOMEM;
	}
	if (!p->has_default)
		return 0;
	out->b = p->def.b;
	out->u = p->def.u;
	out->i = p->def.i;
	if (p->type == DEV_PROP_ENUM)
		for (unsigned i = 0; p->values[i]; i++)
			if (!strcmp(p->values[i], p->def.s))
				out->u = i;
	return 0;
}

json_t *dev_value_to_json(const struct dev_prop *p, const struct dev_value *v)
{
	switch (p->type) {
	case DEV_PROP_STR:
	case DEV_PROP_LINK:
		return json_string(v->s ? v->s : "");
	case DEV_PROP_BOOL:
		return json_boolean(v->b);
	case DEV_PROP_UINT8:
	case DEV_PROP_UINT16:
	case DEV_PROP_UINT32:
	case DEV_PROP_UINT64:
	case DEV_PROP_SIZE:
		return json_integer((json_int_t)v->u);
	case DEV_PROP_INT32:
	case DEV_PROP_INT64:
	case DEV_PROP_PCI_ADDR:
		return json_integer(v->i);
	case DEV_PROP_ENUM:
		return json_string(p->values[v->u]);
	case DEV_PROP_JSON:
		break;
	}
	return json_null();
}

void dev_value_clear(struct dev_value *v)
{
	free(v->s);
	memset(v, 0, sizeof(*v));
}
