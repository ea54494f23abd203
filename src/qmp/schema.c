/* schema.c - query-qmp-schema from the command table; see schema.h. */
#include "qmp/schema.h"

#include <stdio.h>
#include <string.h>

/* The object types of every command's arguments, the enum and array types
 * they use, and the builtins, appended in order as they are met. */
struct schema {
	json_t *list;
	unsigned next; /* the next masked type name */
	bool used_str, used_int, used_bool, used_any;
};

static const char *masked(struct schema *s, char *buf, size_t size)
{
	snprintf(buf, size, "%u", s->next++);
	return buf;
}

static json_t *enum_type(struct schema *s, const char *const *values, char *name, size_t size)
{
	json_t *vals = json_array(), *members = json_array();

	for (const char *const *v = values; v && *v; v++) {
		json_array_append_new(vals, json_string(*v));
		json_array_append_new(members, json_pack("{s:s}", "name", *v));
	}
	masked(s, name, size);
	return json_pack("{s:s, s:s, s:o, s:o}", "name", name, "meta-type", "enum", "values", vals,
			 "members", members);
}

/* The type name an argument's values have; may append types. */
static const char *arg_type(struct schema *s, const struct qmp_arg *a, char *buf, size_t size)
{
	char elem[16];

	switch (a->type) {
	case QMP_TYPE_STR:
		s->used_str = true;
		return "str";
	case QMP_TYPE_INT:
	case QMP_TYPE_SIZE:
		s->used_int = true;
		return "int";
	case QMP_TYPE_BOOL:
		s->used_bool = true;
		return "bool";
	case QMP_TYPE_ENUM:
		json_array_append_new(s->list, enum_type(s, a->values, buf, size));
		return buf;
	case QMP_TYPE_ENUM_LIST:
		json_array_append_new(s->list, enum_type(s, a->values, elem, sizeof(elem)));
		snprintf(buf, size, "[%s]", elem);
		json_array_append_new(s->list,
				      json_pack("{s:s, s:s, s:s}", "name", buf, "meta-type",
						"array", "element-type", elem));
		return buf;
	case QMP_TYPE_OBJECT:
	case QMP_TYPE_ANY:
		break;
	}
	s->used_any = true;
	return "any";
}

static void add_builtin(json_t *list, const char *name, const char *json_type)
{
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", name, "meta-type",
					      "builtin", "json-type", json_type));
}

json_t *qmp_schema(const struct qmp_commands *table)
{
	struct schema s = {.list = json_array()};
	char empty[16];

	/* "0": the object without members, the arguments of most commands */
	masked(&s, empty, sizeof(empty));
	json_array_append_new(
	    s.list, json_pack("{s:s, s:s, s:[]}", "name", empty, "meta-type", "object", "members"));
	s.used_any = true; /* every ret-type */
	for (size_t i = 0; i < table->n; i++) {
		const struct qmp_command *c = &table->cmd[i];
		json_t *members = json_array(), *cmd;
		char args[16];

		for (const struct qmp_arg *a = c->args; a && a->name; a++) {
			char type[32];
			json_t *m = json_pack("{s:s, s:s}", "name", a->name, "type",
					      arg_type(&s, a, type, sizeof(type)));

			if (a->optional)
				json_object_set_new(m, "default", json_null());
			json_array_append_new(members, m);
		}
		if (json_array_size(members)) {
			masked(&s, args, sizeof(args));
			json_array_append_new(s.list,
					      json_pack("{s:s, s:s, s:o}", "name", args,
							"meta-type", "object", "members", members));
		} else {
			json_decref(members);
			snprintf(args, sizeof(args), "%s", empty);
		}
		cmd = json_pack("{s:s, s:s, s:s, s:s}", "name", c->name, "meta-type", "command",
				"arg-type", args, "ret-type", "any");
		if (c->features) {
			json_t *f = json_array();

			for (const char *const *n = c->features; *n; n++)
				json_array_append_new(f, json_string(*n));
			json_object_set_new(cmd, "features", f);
		}
		json_array_append_new(s.list, cmd);
	}
	if (s.used_str)
		add_builtin(s.list, "str", "string");
	if (s.used_int)
		add_builtin(s.list, "int", "int");
	if (s.used_bool)
		add_builtin(s.list, "bool", "boolean");
	add_builtin(s.list, "any", "value");
	(void)s.used_any;
	return s.list;
}
