/* dispatch.h - QMP requests in, responses out: the protocol of QEMU's
 * docs/interop/qmp-spec, without the sockets.  Pure: JSON values only.
 *
 * Owns: parsing one message (json.c, QEMU's JSON), checking its members as QEMU's
 * qmp_dispatch does, capabilities negotiation, finding the command in a
 * table, checking its arguments against the table's declaration, and
 * building the "return" / "error" response with the request's "id".  The
 * messages and error classes are QEMU's, so clients written for QEMU see
 * the same answers.
 * Never: does I/O, or knows what a command does (the table's functions do).
 *
 * Adding a command is one row in a table (commands.c) and one function:
 *
 *     static const struct qmp_arg balloon_args[] = {
 *             {.name = "value", .type = QMP_TYPE_INT}, {.name = NULL}};
 *     {.name = "balloon", .fn = cmd_balloon, .args = balloon_args},
 *
 * The function gets arguments already checked (declared names, types and
 * required ones present), returns 0 and sets *ret (NULL means {}), or
 * returns -1 with err filled by qmp_error_set().
 */
#ifndef KVMEM_QMP_DISPATCH_H
#define KVMEM_QMP_DISPATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* QEMU's QapiErrorClass, by its wire names. */
enum qmp_error_class {
	QMP_ERR_GENERIC,	   /* "GenericError" */
	QMP_ERR_COMMAND_NOT_FOUND, /* "CommandNotFound" */
	QMP_ERR_DEVICE_NOT_ACTIVE, /* "DeviceNotActive" */
	QMP_ERR_DEVICE_NOT_FOUND,  /* "DeviceNotFound" */
	QMP_ERR_KVM_MISSING_CAP,   /* "KVMMissingCap" */
};

struct qmp_error {
	enum qmp_error_class cls;
	char desc[512];
};

/* Fill err; returns -1 so a command can `return qmp_error_set(...)`. */
int qmp_error_set(struct qmp_error *err, enum qmp_error_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum qmp_type {
	QMP_TYPE_STR,	    /* JSON string */
	QMP_TYPE_INT,	    /* JSON integer */
	QMP_TYPE_SIZE,	    /* JSON integer >= 0 (QAPI 'size', 'uint64') */
	QMP_TYPE_BOOL,	    /* true or false */
	QMP_TYPE_ENUM,	    /* a string among arg->values */
	QMP_TYPE_ENUM_LIST, /* an array of such strings */
	QMP_TYPE_OBJECT,    /* any JSON object */
	QMP_TYPE_ANY,	    /* any JSON value */
};

struct qmp_arg {
	const char *name; /* NULL ends a list */
	enum qmp_type type;
	bool optional;
	const char *const *values; /* QMP_TYPE_ENUM(_LIST): NULL-terminated */
};

/* Per connection: QMP starts in capabilities negotiation mode. */
struct qmp_session {
	bool command_mode;
};

struct qmp_commands;

/* What a command function gets. */
struct qmp_request {
	const struct qmp_commands *table;
	void *ctx; /* the table owner's context (kvmem: the machine) */
	struct qmp_session *session;
	json_t *args; /* an object, checked against the declaration */
};

typedef int (*qmp_fn)(const struct qmp_request *req, json_t **ret, struct qmp_error *err);

enum {
	QMP_CMD_NEGOTIATION = 1 << 0, /* allowed before qmp_capabilities */
	QMP_CMD_OPEN_ARGS = 1 << 1,   /* takes arguments beyond args (device_add's
				       * properties): the function checks them */
	QMP_CMD_NO_VM = 1 << 2,	      /* answers without a guest: -machine none
				       * serves it (the others are refused there) */
};

struct qmp_command {
	const char *name;
	qmp_fn fn;
	const struct qmp_arg *args; /* NULL: takes no arguments */
	unsigned flags;
	/* QAPI features query-qmp-schema declares (device_add's
	 * "json-cli-hotplug"), NULL-terminated; NULL: none */
	const char *const *features;
};

struct qmp_commands {
	const struct qmp_command *cmd;
	size_t n;
};

/* The protocol's own commands, for a table to list (commands.c does). */
extern const struct qmp_arg qmp_capabilities_args[];
int qmp_cmd_capabilities(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int qmp_cmd_query_version(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int qmp_cmd_query_commands(const struct qmp_request *req, json_t **ret, struct qmp_error *err);

/* Handle one message as the stream module cut it.  Returns the response
 * to send (the caller owns it). */
json_t *qmp_dispatch(const struct qmp_commands *table, void *ctx, struct qmp_session *session,
		     const char *msg, size_t len);

/* Run a command by name with args (NULL: none), in command mode, checking
 * the arguments as qmp_dispatch does: for the human monitor. */
int qmp_execute(const struct qmp_commands *table, void *ctx, const char *name, json_t *args,
		json_t **ret, struct qmp_error *err);

/* {"error": {"class": ..., "desc": ...}}, with "id" when id is non-NULL. */
json_t *qmp_error_response(const struct qmp_error *err, json_t *id);
const char *qmp_error_class_name(enum qmp_error_class cls);
/* The error for bytes the stream module dropped (STREAM_LEX_ERROR). */
json_t *qmp_lex_error_response(const char *bytes, size_t len);

/* {"QMP": {"version": ..., "capabilities": []}} */
json_t *qmp_greeting(void);
/* {"event": name, "data": data (if non-NULL, stolen), "timestamp": now} */
json_t *qmp_event(const char *name, json_t *data);

/* One line of JSON as QEMU's json-writer prints it (json.c: its spacing,
 * ASCII only, ids above 2^63 exactly) ending in "\r\n"; the caller frees
 * it.  NULL when out of memory. */
char *qmp_serialize(const json_t *msg, size_t *len);

#endif
