/* object_json.c - -object's JSON form and the secret objects.
 *
 * QEMU 7.2 takes -object '{"qom-type": "memory-backend-memfd", "id": "m0",
 * "size": 268435456, "share": true}' (libvirt's form when the QMP schema
 * says object-add takes "secret") and checks each member's JSON type
 * against the property ("Invalid parameter type for 'size', expected:
 * integer").  kvmem checks the same, then writes the object in the
 * key=value form and parses that, so both forms go through one parser
 * (object.c) and one set of checks.
 *
 * A secret (libvirt's master key, {"qom-type": "secret", "id":
 * "masterKey0", "format": "raw", "file": ".../master-key.aes"}) is checked
 * as QEMU checks it (data or file, the file readable) and kept by id:
 * kvmem has no disk, network or TLS that would read one.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/kv.h"
#include "config/object.h"
#include "util/buf.h"

static const struct {
	const char *key, *qom;
} secret_keys[] = {{"format", "QCryptoSecretFormat"}, {"data", "string"}, {"file", "string"}};

int config_secret_props(const char **name, const char **qom, unsigned idx)
{
	if (idx >= sizeof(secret_keys) / sizeof(secret_keys[0]))
		return 0;
	*name = secret_keys[idx].key;
	*qom = secret_keys[idx].qom;
	return 1;
}

bool config_secret_find(const struct config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->compat.nr_secrets; i++)
		if (!strcmp(cfg->compat.secret[i], id))
			return true;
	return false;
}

/* "-object ARG: " before a command-line message; nothing for a monitor's,
 * which QEMU words without it. */
static const char *where(bool monitor, const char *arg, char *buf, size_t size)
{
	if (monitor)
		return "";
	snprintf(buf, size, "-object %s: ", arg);
	return buf;
}

int config_secret_check(const char *arg, bool monitor, char **id_out, struct kverr *err)
{
	char *buf = malloc(strlen(arg) + 1), *id = NULL, pre[sizeof(((struct kverr *)0)->msg)];
	struct kv_iter it = {.p = arg, .implied = "qom-type", .first = true};
	const char *data = NULL, *file = NULL, *w = where(monitor, arg, pre, sizeof(pre));
	struct kv kv;
	int ret = 0, fd;

	if (!buf)
		return kverr_set(err, ENOMEM, "%sout of memory", w);
	it.out = buf;
	while (!ret && kv_next(&it, &kv)) {
		if (!kv.val) {
			ret = kverr_set(err, EINVAL, "%sparameter '%s' needs a value", w, kv.key);
		} else if (!strcmp(kv.key, "qom-type")) {
		} else if (!strcmp(kv.key, "id")) {
			free(id);
			id = strdup(kv.val);
			if (!id)
				ret = kverr_set(err, ENOMEM, "%sout of memory", w);
		} else if (!strcmp(kv.key, "format")) {
			if (strcmp(kv.val, "raw") && strcmp(kv.val, "base64"))
				ret = kverr_set(err, EINVAL,
						"%sParameter 'format' does not accept value '%s'",
						w, kv.val);
		} else if (!strcmp(kv.key, "data")) {
			data = kv.val;
		} else if (!strcmp(kv.key, "file")) {
			file = kv.val;
		} else if (!strcmp(kv.key, "keyid") || !strcmp(kv.key, "iv")) {
			ret = kverr_set(err, EINVAL,
					"%s%s is not supported: kvmem decrypts no secret (nothing "
					"in kvmem reads one)",
					w, kv.key);
		} else if (monitor) {
			ret = kverr_set(err, EINVAL, "Parameter '%s' is unexpected", kv.key);
		} else {
			ret = kverr_set(err, EINVAL, "%ssecret has no parameter '%s'", w, kv.key);
		}
	}
	if (!ret && !id)
		ret = kverr_set(err, EINVAL, "%s%s 'id' is missing", w,
				monitor ? "Parameter" : "parameter");
	if (!ret && data && file)
		ret = kverr_set(err, EINVAL, "%s'file' and 'data' are mutually exclusive", w);
	if (!ret && !data && !file)
		ret = kverr_set(err, EINVAL, "%sEither 'file' or 'data' must be provided", w);
	/* QEMU reads the file when it creates the object: it must be there */
	if (!ret && file) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && monitor) /* QEMU's words (glib's) */
			ret = kverr_set(err, errno,
					"Unable to read %s: Failed to open file \u201c%s\u201d: %s",
					file, file, kv_strerror(errno));
		else if (fd < 0)
			ret = kverr_sys(err, errno, "%sUnable to read %s", w, file);
		else
			close(fd);
	}
	free(buf);
	if (ret) {
		free(id);
		return ret;
	}
	*id_out = id;
	return 0;
}

int config_secret_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	char *id;
	int ret = config_secret_check(arg, false, &id, err);

	if (ret)
		return ret;
	if (config_secret_find(cfg, id) || config_memdev_find(cfg, id))
		ret = kverr_set(err, EINVAL, "-object %s: Duplicate ID '%s' for object", arg, id);
	else if (cfg->compat.nr_secrets == CONFIG_MAX_ACCELS)
		ret = kverr_set(err, EINVAL, "-object %s: more than %d secrets", arg,
				CONFIG_MAX_ACCELS);
	if (ret) {
		free(id);
		return ret;
	}
	cfg->compat.secret[cfg->compat.nr_secrets++] = id;
	return 0;
}

/* The QOM type of property key of object type, or NULL. */
static const char *key_type(const char *type, const char *key)
{
	const char *name, *qom;

	for (unsigned i = 0; config_object_type_props(type, &name, &qom, i) == 1; i++)
		if (!strcmp(name, key))
			return qom;
	return NULL;
}

static void put_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_printf(b, *s == ',' ? ",," : "%c", *s);
}

/* One member as key=value, checked against its property's type. */
static int put_member(struct buf *b, const char *arg, const char *key, const char *qom, json_t *v,
		      struct kverr *err)
{
	const char *want = NULL;

	if (!strcmp(qom, "bool")) {
		if (!json_is_boolean(v))
			want = "boolean";
		else
			buf_printf(b, ",%s=%s", key, json_is_true(v) ? "on" : "off");
	} else if (!strcmp(qom, "int") && strcmp(key, "host-nodes")) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			want = "integer";
		else
			buf_printf(b, ",%s=%lld", key, (long long)json_integer_value(v));
	} else if (!strcmp(key, "host-nodes")) {
		size_t i;
		json_t *n;

		if (!json_is_array(v))
			want = "array";
		json_array_foreach(v, i, n)
		{
			if (!json_is_integer(n) || json_integer_value(n) < 0) {
				want = "integer";
				break;
			}
			buf_printf(b, ",host-nodes=%lld", (long long)json_integer_value(n));
		}
	} else {
		if (!json_is_string(v)) {
			want = "string";
		} else {
			buf_printf(b, ",%s=", key);
			put_text(b, json_string_value(v));
		}
	}
	if (want)
		return kverr_set(err, EINVAL,
				 "-object %s: Invalid parameter type for '%s', expected: %s", arg,
				 key, want);
	return 0;
}

int config_object_json(struct config *cfg, const char *arg, struct kverr *err)
{
	json_error_t jerr;
	json_t *obj = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr), *v;
	struct buf text = {0};
	const char *type, *key;
	int ret = 0;

	if (!json_is_object(obj)) {
		json_decref(obj);
		return kverr_set(err, EINVAL, "-object %s: not a JSON object (%s)", arg,
				 obj ? "another JSON value" : jerr.text);
	}
	type = json_string_value(json_object_get(obj, "qom-type"));
	if (!type) {
		json_decref(obj);
		return kverr_set(err, EINVAL, "-object %s: Parameter 'qom-type' is missing", arg);
	}
	if (config_object_type_props(type, &key, &key, 0) == -ENOENT) {
		kverr_set(err, EINVAL,
			  "-object %s: unsupported object type '%s' (kvmem supports "
			  "memory-backend-ram, memory-backend-memfd, memory-backend-file and "
			  "secret)",
			  arg, type);
		json_decref(obj);
		return -EINVAL;
	}
	put_text(&text, type);
	json_object_foreach(obj, key, v)
	{
		const char *qom = !strcmp(key, "id") ? "string" : key_type(type, key);

		if (!strcmp(key, "qom-type"))
			continue;
		if (!qom) {
			ret = kverr_set(err, EINVAL, "-object %s: Parameter '%s' is unexpected",
					arg, key);
			break;
		}
		ret = put_member(&text, arg, key, qom, v, err);
		if (ret)
			break;
	}
	json_decref(obj);
	if (!ret && text.failed)
		ret = kverr_set(err, ENOMEM, "-object: out of memory");
	if (!ret)
		ret = config_object_parse(cfg, text.data, err);
	buf_free(&text);
	return ret;
}
