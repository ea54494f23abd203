/* opts.c - -device's forms and device_add's arguments; see opts.h.
 *
 * The text form follows QemuOpts for an option list that accepts any key
 * (QEMU's "device" list), checked against qemu-system-x86_64 7.2:
 *   - an element's name runs to the first '=' or ','; its value to the
 *     next ',' that is not ",," (a literal comma);
 *   - the first element without '=' is the driver ("pc-dimm,,x" names the
 *     driver "pc-dimm,x"); later ones without '=' are flags: "help" and
 *     "?" ask for help; any other is refused (QEMU 7.2 takes a bare "foo"
 *     as foo=on with a deprecation warning; kvmem asks for the value, as
 *     it does for -object; docs/cli.md);
 *   - the first id= is the id and must be an identifier;
 *   - a key given twice keeps its last value (driver= included).
 */
#include "dev/opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/kv.h"
#include "dev/value.h"

void dev_opts_free(struct dev_opts *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		free(o->opt[i].name);
		free(o->opt[i].text);
		json_decref(o->opt[i].json);
	}
	free(o->opt);
	free(o->driver);
	free(o->id);
	free(o->bus);
	memset(o, 0, sizeof(*o));
}

static int oom(struct kverr *err)
{
	return kverr_set(err, ENOMEM, "out of memory");
}

/* Set name to text or json (one of them NULL; both are taken over). */
static int put(struct dev_opts *o, char *name, char *text, json_t *json, struct kverr *err)
{
	struct dev_opt *grown;

	for (unsigned i = 0; i < o->n; i++) {
		if (!strcmp(o->opt[i].name, name)) {
			free(name);
			free(o->opt[i].text);
			json_decref(o->opt[i].json);
			o->opt[i].text = text;
			o->opt[i].json = json;
			return 0;
		}
	}
	grown = realloc(o->opt, (o->n + 1) * sizeof(*grown));
	if (!grown) {
		free(name);
		free(text);
		json_decref(json);
		return oom(err);
	}
	o->opt = grown;
	o->opt[o->n++] = (struct dev_opt){.name = name, .text = text, .json = json};
	return 0;
}

/* Replace *slot with a copy of s. */
static int set_string(char **slot, const char *s, struct kverr *err)
{
	char *copy = strdup(s);

	if (!copy)
		return oom(err);
	free(*slot);
	*slot = copy;
	return 0;
}

static int check_id(const char *id, struct kverr *err)
{
	/* QEMU adds a second line ("Identifiers consist of ..."); kvmem's
	 * errors are one line */
	if (!id_wellformed(id))
		return kverr_set(err, EINVAL, "Parameter 'id' expects an identifier");
	return 0;
}

/* One element of the text form at *p: name (up to '=' or ',') and value
 * (",," unescaped), or value only for a flag.  Advances *p past its ','. */
static int next_element(const char **p, char **name, char **value, bool *has_eq, struct kverr *err)
{
	const char *s = *p;
	size_t len = strcspn(s, "=,");
	char *v;
	size_t n = 0;

	*has_eq = s[len] == '=';
	*name = strndup(s, len);
	if (!*name)
		return oom(err);
	/* a flag has no value part; the first element's value starts at s */
	if (*has_eq)
		s += len + 1;
	v = malloc(strlen(s) + 1);
	if (!v) {
		free(*name);
		return oom(err);
	}
	while (*s) {
		if (*s == ',') {
			if (s[1] != ',')
				break;
			s++;
		}
		v[n++] = *s++;
	}
	v[n] = '\0';
	if (*s == ',')
		s++;
	*value = v;
	*p = s;
	return 0;
}

int dev_opts_parse_text(const char *arg, struct dev_opts *o, struct kverr *err)
{
	const char *p = arg;
	bool first = true, have_id = false;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	while (*p && !ret) {
		char *name = NULL, *value = NULL;
		bool has_eq;

		ret = next_element(&p, &name, &value, &has_eq, err);
		if (ret)
			break;
		if (!has_eq && first) {
			free(name);
			free(o->driver);
			o->driver = value;
		} else if (!has_eq) {
			if (!strcmp(name, "help") || !strcmp(name, "?"))
				o->help = true;
			else
				ret = kverr_set(err, EINVAL, "parameter '%s' needs a value (%s=on)",
						name, name);
			free(name);
			free(value);
		} else if (!strcmp(name, "help") || !strcmp(name, "?")) {
			o->help = true;
			free(name);
			free(value);
		} else if (!strcmp(name, "id")) {
			/* QEMU takes the first id= */
			if (!have_id)
				ret = check_id(value, err);
			if (!ret && !have_id)
				ret = set_string(&o->id, value, err);
			have_id = true;
			free(name);
			free(value);
		} else if (!strcmp(name, "driver")) {
			free(o->driver);
			o->driver = value;
			free(name);
		} else if (!strcmp(name, "bus")) {
			free(o->bus);
			o->bus = value;
			free(name);
		} else {
			ret = put(o, name, value, NULL, err);
		}
		first = false;
	}
	if (ret)
		dev_opts_free(o);
	return ret;
}

int dev_opts_parse_json(const char *arg, struct dev_opts *o, struct kverr *err)
{
	json_error_t jerr;
	json_t *obj, *v;
	const char *key;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	o->json = true;
	obj = json_loads(arg, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!obj)
		return kverr_set(err, EINVAL, "JSON parse error, %s", jerr.text);
	for (const char *rest = arg + jerr.position; *rest; rest++) {
		if (!strchr(" \t\r\n", *rest)) {
			json_decref(obj);
			return kverr_set(err, EINVAL, "Expecting at most one JSON value");
		}
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		return kverr_set(err, EINVAL, "Expecting a JSON object");
	}
	json_object_foreach(obj, key, v)
	{
		/* driver, id and bus count only as strings, as in QEMU 7.2 */
		if (!strcmp(key, "driver") || !strcmp(key, "id") || !strcmp(key, "bus")) {
			char **slot = key[0] == 'd' ? &o->driver : key[0] == 'i' ? &o->id : &o->bus;

			if (json_is_string(v))
				ret = set_string(slot, json_string_value(v), err);
		} else {
			char *name = strdup(key);

			ret = name ? put(o, name, NULL, json_incref(v), err) : oom(err);
		}
		if (ret)
			break;
	}
	json_decref(obj);
	if (ret)
		dev_opts_free(o);
	return ret;
}

int dev_opts_parse(const char *arg, struct dev_opts *o, struct kverr *err)
{
	if (arg[0] == '{')
		return dev_opts_parse_json(arg, o, err);
	return dev_opts_parse_text(arg, o, err);
}

/* QEMU 7.2's qemu_opts_from_qdict: a scalar becomes text, anything else
 * is dropped.  Returns NULL for dropped values (and on ENOMEM, *nomem). */
static char *qmp_text(json_t *v, bool *nomem)
{
	char buf[64];
	char *s = NULL;

	if (json_is_string(v))
		s = strdup(json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "on" : "off");
	else
		return NULL;
	if (!json_is_string(v))
		s = strdup(buf);
	*nomem = !s;
	return s;
}

int dev_opts_from_qmp(json_t *args, struct dev_opts *o, struct kverr *err)
{
	json_t *v, *id = json_object_get(args, "id");
	const char *key;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	/* the id first: QEMU checks it when it creates the option list */
	if (json_is_string(id)) {
		ret = check_id(json_string_value(id), err);
		if (!ret)
			ret = set_string(&o->id, json_string_value(id), err);
		if (ret)
			return ret;
	}
	json_object_foreach(args, key, v)
	{
		bool nomem = false;
		char *text, *name;

		if (!strcmp(key, "id"))
			continue;
		text = qmp_text(v, &nomem);
		if (nomem) {
			ret = oom(err);
			break;
		}
		if (!text)
			continue;
		if (!strcmp(key, "driver") || !strcmp(key, "bus")) {
			char **slot = key[0] == 'd' ? &o->driver : &o->bus;

			free(*slot);
			*slot = text;
			continue;
		}
		name = strdup(key);
		ret = name ? put(o, name, text, NULL, err) : (free(text), oom(err));
		if (ret)
			break;
	}
	if (ret)
		dev_opts_free(o);
	return ret;
}

json_t *dev_opts_to_qmp(const struct dev_opts *o)
{
	json_t *args = json_object();

	if (o->driver)
		json_object_set_new(args, "driver", json_string(o->driver));
	if (o->id)
		json_object_set_new(args, "id", json_string(o->id));
	if (o->bus)
		json_object_set_new(args, "bus", json_string(o->bus));
	for (unsigned i = 0; i < o->n; i++)
		json_object_set_new(args, o->opt[i].name,
				    o->opt[i].json ? json_incref(o->opt[i].json)
						   : json_string(o->opt[i].text));
	return args;
}
