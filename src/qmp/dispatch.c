/* dispatch.c - QMP requests to commands and back; see dispatch.h.
 *
 * The checks and their messages follow QEMU 7.2's qapi/qmp-dispatch.c and
 * its input visitor, in the same order: the message must be an object,
 * each member must be one QMP knows ("execute", "arguments", "id"), the
 * command must exist (and, before negotiation, be qmp_capabilities), then
 * the declared arguments are checked in declaration order and leftovers
 * refused.
 */
#include "qmp/dispatch.h"
#include "qmp/json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const error_class_names[] = {
    [QMP_ERR_GENERIC] = "GenericError",
    [QMP_ERR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [QMP_ERR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [QMP_ERR_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [QMP_ERR_KVM_MISSING_CAP] = "KVMMissingCap",
};

const char *qmp_error_class_name(enum qmp_error_class cls)
{
	return error_class_names[cls];
}

int qmp_error_set(struct qmp_error *err, enum qmp_error_class cls, const char *fmt, ...)
{
	va_list ap;

	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
	va_end(ap);
	return -1;
}

/* An error message may quote the client's bytes (a command name): the
 * printer shows whatever is not modified UTF-8 as U+FFFD, as QEMU does. */
static json_t *text_string(const char *text)
{
	return json_stringn_nocheck(text, strlen(text));
}

json_t *qmp_error_response(const struct qmp_error *err, json_t *id)
{
	json_t *rsp = json_object(), *error = json_object();

	if (!rsp || !error) {
		json_decref(rsp);
		json_decref(error);
		return NULL;
	}
	if (id)
		json_object_set(rsp, "id", id);
	json_object_set_new(error, "class", json_string(qmp_error_class_name(err->cls)));
	json_object_set_new(error, "desc", text_string(err->desc));
	json_object_set_new(rsp, "error", error);
	return rsp;
}

json_t *qmp_lex_error_response(const char *bytes, size_t len)
{
	struct qmp_error err;

	qmp_error_set(&err, QMP_ERR_GENERIC, "JSON parse error, stray byte 0x%02x",
		      len ? (unsigned char)bytes[len - 1] : 0);
	return qmp_error_response(&err, NULL);
}

/* The QEMU interface kvmem implements: its command line and QMP follow
 * QEMU 7.2's, so clients that gate features on QEMU's version (libvirt
 * needs at least 4.2.0) read 7.2.0; "package" says what answers, and its
 * own version (docs/qmp.md). */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 0

static json_t *version_info(void)
{
	return json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu", "micro", QMP_QEMU_MICRO, "minor",
			 QMP_QEMU_MINOR, "major", QMP_QEMU_MAJOR, "package",
			 "kvmem " KVMEM_VERSION);
}

json_t *qmp_greeting(void)
{
	/* No capabilities: out-of-band execution ("oob") is not offered. */
	return json_pack("{s:{s:o, s:[]}}", "QMP", "version", version_info(), "capabilities");
}

json_t *qmp_event(const char *name, json_t *data)
{
	struct timespec ts;
	json_t *ev;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev = json_pack("{s:{s:I, s:I}, s:s}", "timestamp", "seconds", (json_int_t)ts.tv_sec,
		       "microseconds", (json_int_t)(ts.tv_nsec / 1000), "event", name);
	if (data)
		json_object_set_new(ev, "data", data);
	return ev;
}

char *qmp_serialize(const json_t *msg, size_t *len)
{
	size_t n;
	char *text = qmp_json_print(msg, &n), *line;

	if (!text)
		return NULL;
	line = realloc(text, n + 3);
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\r\n", 3);
	*len = n + 2;
	return line;
}

/* ---- argument checking (QEMU's qobject input visitor, its messages) ---- */

static const char *type_word(enum qmp_type t)
{
	switch (t) {
	case QMP_TYPE_STR:
	case QMP_TYPE_ENUM:
		return "string";
	case QMP_TYPE_INT:
	case QMP_TYPE_SIZE:
		return "integer";
	case QMP_TYPE_BOOL:
		return "boolean";
	case QMP_TYPE_ENUM_LIST:
		return "array";
	case QMP_TYPE_OBJECT:
		return "object";
	case QMP_TYPE_ANY:
		break;
	}
	return "value";
}

static bool enum_has(const char *const *values, const char *s)
{
	for (; values && *values; values++)
		if (!strcmp(*values, s))
			return true;
	return false;
}

static int check_enum(const struct qmp_arg *a, const char *name, json_t *v, struct qmp_error *err)
{
	if (!json_is_string(v))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid parameter type for '%s', expected: string", name);
	if (!enum_has(a->values, json_string_value(v)))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Parameter '%s' does not accept value '%s'", name,
				     json_string_value(v));
	return 0;
}

static int check_value(const struct qmp_arg *a, json_t *v, struct qmp_error *err)
{
	bool ok = false;

	switch (a->type) {
	case QMP_TYPE_STR:
		ok = json_is_string(v);
		break;
	case QMP_TYPE_INT:
		ok = json_is_integer(v);
		break;
	case QMP_TYPE_SIZE:
		if (json_is_integer(v) && json_integer_value(v) < 0)
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter '%s' expects a non-negative value",
					     a->name);
		/* up to 2^64-1: read it with qmp_json_get_uint */
		ok = json_is_integer(v) || qmp_json_is_uint(v);
		break;
	case QMP_TYPE_BOOL:
		ok = json_is_boolean(v);
		break;
	case QMP_TYPE_ENUM:
		return check_enum(a, a->name, v, err);
	case QMP_TYPE_ENUM_LIST:
		if (!json_is_array(v))
			break;
		for (size_t i = 0; i < json_array_size(v); i++) {
			char name[160];

			snprintf(name, sizeof(name), "%s[%zu]", a->name, i);
			if (check_enum(a, name, json_array_get(v, i), err))
				return -1;
		}
		return 0;
	case QMP_TYPE_OBJECT:
		ok = qmp_json_is_object(v);
		break;
	case QMP_TYPE_ANY:
		ok = true;
		break;
	}
	if (!ok)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid parameter type for '%s', expected: %s", a->name,
				     type_word(a->type));
	return 0;
}

static int check_args(const struct qmp_command *cmd, json_t *args, struct qmp_error *err)
{
	const char *key;
	json_t *v;

	for (const struct qmp_arg *a = cmd->args; a && a->name; a++) {
		v = json_object_get(args, a->name);
		if (!v) {
			if (!a->optional)
				return qmp_error_set(err, QMP_ERR_GENERIC,
						     "Parameter '%s' is missing", a->name);
			continue;
		}
		if (check_value(a, v, err))
			return -1;
	}
	if (cmd->flags & QMP_CMD_OPEN_ARGS)
		return 0;
	json_object_foreach(args, key, v)
	{
		bool declared = false;

		for (const struct qmp_arg *a = cmd->args; a && a->name; a++)
			declared = declared || !strcmp(a->name, key);
		if (!declared)
			return qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' is unexpected",
					     key);
	}
	return 0;
}

static const struct qmp_command *find(const struct qmp_commands *table, const char *name)
{
	for (size_t i = 0; i < table->n; i++)
		if (!strcmp(table->cmd[i].name, name))
			return &table->cmd[i];
	return NULL;
}

static int run(const struct qmp_commands *table, void *ctx, struct qmp_session *session,
	       const struct qmp_command *cmd, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_request req = {.table = table, .ctx = ctx, .session = session};
	json_t *empty = NULL;
	int r;

	*ret = NULL;
	if (!args)
		args = empty = json_object();
	if (check_args(cmd, args, err)) {
		json_decref(empty);
		return -1;
	}
	req.args = args;
	r = cmd->fn(&req, ret, err);
	json_decref(empty);
	if (r) {
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	if (!*ret)
		*ret = json_object();
	return 0;
}

int qmp_execute(const struct qmp_commands *table, void *ctx, const char *name, json_t *args,
		json_t **ret, struct qmp_error *err)
{
	struct qmp_session session = {.command_mode = true};
	const struct qmp_command *cmd = find(table, name);

	*ret = NULL;
	if (!cmd)
		return qmp_error_set(err, QMP_ERR_COMMAND_NOT_FOUND,
				     "The command %s has not been found", name);
	return run(table, ctx, &session, cmd, args, ret, err);
}

/* QEMU's qmp_dispatch_check_obj: returns the command name or NULL. */
static const char *check_members(json_t *msg, struct qmp_error *err)
{
	const char *key, *exec = NULL;
	json_t *v;

	json_object_foreach(msg, key, v)
	{
		if (!strcmp(key, "execute")) {
			if (!json_is_string(v)) {
				qmp_error_set(err, QMP_ERR_GENERIC,
					      "QMP input member 'execute' must be a string");
				return NULL;
			}
			exec = json_string_value(v);
		} else if (!strcmp(key, "arguments")) {
			if (!qmp_json_is_object(v)) {
				qmp_error_set(err, QMP_ERR_GENERIC,
					      "QMP input member 'arguments' must be an object");
				return NULL;
			}
		} else if (strcmp(key, "id")) {
			/* "exec-oob" lands here too: out-of-band is not offered */
			qmp_error_set(err, QMP_ERR_GENERIC, "QMP input member '%s' is unexpected",
				      key);
			return NULL;
		}
	}
	if (!exec)
		qmp_error_set(err, QMP_ERR_GENERIC, "QMP input lacks member 'execute'");
	return exec;
}

json_t *qmp_dispatch(const struct qmp_commands *table, void *ctx, struct qmp_session *session,
		     const char *msg, size_t len)
{
	struct qmp_error err;
	json_t *req, *id = NULL, *ret = NULL, *rsp;
	const struct qmp_command *cmd;
	const char *name;

	req = qmp_json_parse(msg, len, err.desc, sizeof(err.desc));
	if (!req) {
		err.cls = QMP_ERR_GENERIC;
		return qmp_error_response(&err, NULL);
	}
	if (!qmp_json_is_object(req)) {
		qmp_error_set(&err, QMP_ERR_GENERIC, "QMP input must be a JSON object");
		goto fail;
	}
	id = json_object_get(req, "id");
	name = check_members(req, &err);
	if (!name)
		goto fail;
	cmd = find(table, name);
	if (!cmd) {
		qmp_error_set(&err, QMP_ERR_COMMAND_NOT_FOUND, "The command %s has not been found",
			      name);
		goto fail;
	}
	if (!session->command_mode && !(cmd->flags & QMP_CMD_NEGOTIATION)) {
		qmp_error_set(&err, QMP_ERR_COMMAND_NOT_FOUND,
			      "Expecting capabilities negotiation with 'qmp_capabilities'");
		goto fail;
	}
	if (run(table, ctx, session, cmd, json_object_get(req, "arguments"), &ret, &err))
		goto fail;
	rsp = json_pack("{s:o}", "return", ret);
	if (id)
		json_object_set(rsp, "id", id);
	json_decref(req);
	return rsp;
fail:
	/* QEMU rewrites every CommandNotFound before negotiation this way. */
	if (!session->command_mode && err.cls == QMP_ERR_COMMAND_NOT_FOUND)
		snprintf(err.desc, sizeof(err.desc),
			 "Expecting capabilities negotiation with 'qmp_capabilities'");
	rsp = qmp_error_response(&err, id);
	json_decref(req);
	return rsp;
}

/* ---- the protocol's own commands ---- */

static const char *const qmp_capability_names[] = {"oob", NULL};

const struct qmp_arg qmp_capabilities_args[] = {
    {.name = "enable",
     .type = QMP_TYPE_ENUM_LIST,
     .optional = true,
     .values = qmp_capability_names},
    {.name = NULL},
};

int qmp_cmd_capabilities(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	json_t *enable = json_object_get(req->args, "enable");

	(void)ret;
	if (req->session->command_mode)
		return qmp_error_set(
		    err, QMP_ERR_COMMAND_NOT_FOUND,
		    "Capabilities negotiation is already complete, command ignored");
	/* The greeting offers none, so any capability asked for is refused. */
	if (json_array_size(enable))
		return qmp_error_set(err, QMP_ERR_GENERIC, "Capability '%s' not available",
				     json_string_value(json_array_get(enable, 0)));
	req->session->command_mode = true;
	return 0;
}

int qmp_cmd_query_version(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = version_info();
	return 0;
}

int qmp_cmd_query_commands(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	json_t *list = json_array();

	(void)err;
	for (size_t i = 0; i < req->table->n; i++)
		json_array_append_new(list, json_pack("{s:s}", "name", req->table->cmd[i].name));
	*ret = list;
	return 0;
}
