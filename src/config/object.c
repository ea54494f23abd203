/* object.c - -object memory-backend-{ram,memfd,file} and -machine.
 *
 * QEMU 7.2 parses -object with its OptsVisitor, and kvmem follows what that
 * accepts (checked against qemu-system-x86_64 7.2):
 *   - the first element without '=' is qom-type;
 *   - a repeated scalar key takes the last value (size=1M,size=2M is 2M);
 *   - host-nodes is a list: each element is N or A-B, and repeating the key
 *     adds to the list (host-nodes=0-1,host-nodes=3); "0-1:3" is refused;
 *   - booleans are on/off (and QEMU's yes/no/true/false/y/n);
 *   - id is an identifier: a letter, then letters, digits, '-', '.', '_'.
 * Each property is accepted only by the backend types that have it in
 * QEMU, so memory-backend-ram,mem-path=... is refused as QEMU refuses it.
 * Checks that need the whole object (id, size and mem-path present,
 * policy against host-nodes, prealloc against reserve) run when the
 * object's list ends; checks that need the whole command line (duplicate
 * ids, -machine memory-backend naming a backend, its size against -m) run
 * from config.c's finish().
 *
 * The monitors' object-add and object_add go through the same parser
 * (config_memdev_parse with MEMDEV_FROM_MONITOR), so a backend is accepted
 * or refused at run time exactly as on the command line; only the wording
 * differs: -object names the option and value, the monitors answer with
 * QEMU 7.2's run-time messages ("Parameter 'size' is missing").
 */
#include "config/compat.h"
#include "config/config.h"
#include "config/kv.h"
#include "config/object.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct backend_type {
	const char *name;
	enum memdev_type type;
};

static const struct backend_type backend_types[] = {
    {"memory-backend-ram", MEMDEV_RAM},
    {"memory-backend-memfd", MEMDEV_MEMFD},
    {"memory-backend-file", MEMDEV_FILE},
};

static const char *const policy_names[] = {
    [MEMDEV_POLICY_DEFAULT] = "default",
    [MEMDEV_POLICY_PREFERRED] = "preferred",
    [MEMDEV_POLICY_BIND] = "bind",
    [MEMDEV_POLICY_INTERLEAVE] = "interleave",
};

const char *config_memdev_type_name(enum memdev_type t)
{
	for (size_t i = 0; i < sizeof(backend_types) / sizeof(backend_types[0]); i++)
		if (backend_types[i].type == t)
			return backend_types[i].name;
	return "?";
}

const char *config_memdev_policy_name(enum memdev_policy p)
{
	return (unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]) ? policy_names[p] : "?";
}

const char *config_memdev_link_id(const char *link)
{
	if (link && !strncmp(link, "/objects/", 9))
		return link + 9;
	if (link && !strncmp(link, "objects/", 8))
		return link + 8;
	return link;
}

const struct config_memdev *config_memdev_find(const struct config *cfg, const char *id)
{
	if (!id)
		return NULL;
	for (unsigned i = 0; i < cfg->nr_memdevs; i++)
		if (!strcmp(cfg->memdev[i].id, id))
			return &cfg->memdev[i];
	return NULL;
}

/* QEMU's defaults for a backend of this type (host_memory_backend_init and
 * the memfd class): merge and dump follow the machine defaults (on),
 * memfd is shared and sealed unless told otherwise. */
static void memdev_defaults(struct config_memdev *md, enum memdev_type type)
{
	*md = (struct config_memdev){
	    .type = type,
	    .share = type == MEMDEV_MEMFD,
	    .prealloc_threads = 1,
	    .merge = true,
	    .dump = true,
	    .reserve = true,
	    .policy = MEMDEV_POLICY_DEFAULT,
	    .seal = type == MEMDEV_MEMFD,
	};
}

void config_memdev_implicit(struct config_memdev *md, const char *id, uint64_t size)
{
	memdev_defaults(md, MEMDEV_RAM);
	md->id = (char *)id;
	md->size = size;
	/* kvmem's -m RAM has always been mapped MAP_NORESERVE: it costs only
	 * what the guest touches and is never refused by the overcommit
	 * heuristic; an explicit backend gets QEMU's reserve=on. */
	md->reserve = false;
}

/* QEMU's qapi_bool_parse. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const on[] = {"on", "yes", "true", "y"};
	static const char *const off[] = {"off", "no", "false", "n"};

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, on[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, off[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Where a backend's text comes from, and so how its errors are worded. */
struct oparse {
	bool monitor; /* MEMDEV_FROM_MONITOR: QEMU's run-time messages */
};

/* host-nodes element: "N" or "A-B" (A <= B), added to the bitmap. */
static int parse_host_nodes(const struct oparse *p, const char *val, uint64_t *bitmap,
			    struct kverr *err)
{
	char buf[64];
	char *dash;
	uint64_t lo, hi;

	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_number(buf, &lo) || (dash ? parse_number(dash + 1, &hi) : (hi = lo, 0)))
		goto bad;
	if (lo > hi)
		goto bad;
	if (hi >= CONFIG_MAX_HOST_NODES) {
		if (p->monitor)
			return kverr_set(err, EINVAL, "Invalid host-nodes value: %llu",
					 (unsigned long long)hi);
		return kverr_set(
		    err, EINVAL,
		    "-object: invalid host-nodes value '%s': kvmem supports host nodes "
		    "0 to %d",
		    val, CONFIG_MAX_HOST_NODES - 1);
	}
	for (uint64_t n = lo; n <= hi; n++)
		*bitmap |= 1ULL << n;
	return 0;
bad:
	if (p->monitor)
		return kverr_set(err, EINVAL, "Parameter 'host-nodes' expects uint16");
	return kverr_set(err, EINVAL,
			 "-object: invalid host-nodes value '%s': expected a node number or a "
			 "range A-B",
			 val);
}

static int bad_bool(const struct oparse *p, const char *key, const char *val, struct kverr *err)
{
	if (p->monitor)
		return kverr_set(err, EINVAL, "Parameter '%s' expects 'on' or 'off'", key);
	return kverr_set(err, EINVAL, "-object: parameter '%s' expects 'on' or 'off', not '%s'",
			 key, val);
}

static int bad_size(const struct oparse *p, const char *key, const char *val, int ret,
		    struct kverr *err)
{
	if (p->monitor)
		return kverr_set(err, EINVAL, "Parameter '%s' expects size", key);
	if (ret == -ERANGE)
		return kverr_set(err, EINVAL, "-object: %s '%s' is too large", key, val);
	return kverr_set(err, EINVAL,
			 "-object: invalid %s '%s': expected a size such as 4096, 512M or 2G", key,
			 val);
}

/* QEMU's words for a value its property setter refuses. */
static int bad_value(const struct config_memdev *md, const char *key, const char *val,
		     struct kverr *err)
{
	return kverr_set(err, EINVAL, "property '%s' of %s doesn't take value '%s'", key,
			 config_memdev_type_name(md->type), val);
}

/* Keys and the backend types that have them in QEMU 7.2. */
#define T_ALL ((1u << MEMDEV_RAM) | (1u << MEMDEV_MEMFD) | (1u << MEMDEV_FILE))
#define T_MEMFD (1u << MEMDEV_MEMFD)
#define T_FILE (1u << MEMDEV_FILE)

static const struct {
	const char *key;
	unsigned types;
	const char *qom; /* its type as qom-list-properties shows it */
} object_keys[] = {
    {"id", T_ALL, "string"},
    {"size", T_ALL, "int"},
    {"share", T_ALL, "bool"},
    {"prealloc", T_ALL, "bool"},
    {"prealloc-threads", T_ALL, "int"},
    {"merge", T_ALL, "bool"},
    {"dump", T_ALL, "bool"},
    {"host-nodes", T_ALL, "int"},
    {"policy", T_ALL, "HostMemPolicy"},
    {"reserve", T_ALL, "bool"},
    {"mem-path", T_FILE, "string"},
    {"align", T_FILE, "int"},
    {"hugetlb", T_MEMFD, "bool"},
    {"hugetlbsize", T_MEMFD, "int"},
    {"seal", T_MEMFD, "bool"},
    {"readonly", T_FILE, "bool"},
    {"discard-data", T_FILE, "bool"},
    {"pmem", T_FILE, "bool"},
    /* Names the RAMBlock by the object's QOM path for migration; kvmem
     * has no migration, so the value is checked and has no effect. */
    {"x-use-canonical-path-for-ramblock-id", T_ALL, "bool"},
};

const char *const config_object_types[] = {"memory-backend-ram", "memory-backend-memfd",
					   "memory-backend-file", "secret", NULL};

int config_object_type_props(const char *type, const char **name, const char **qom, unsigned idx)
{
	unsigned seen = 0;

	if (!strcmp(type, "secret"))
		return config_secret_props(name, qom, idx);
	for (size_t b = 0; b < sizeof(backend_types) / sizeof(backend_types[0]); b++) {
		if (strcmp(backend_types[b].name, type))
			continue;
		for (size_t i = 0; i < sizeof(object_keys) / sizeof(object_keys[0]); i++) {
			if (!(object_keys[i].types & (1u << backend_types[b].type)) ||
			    !strcmp(object_keys[i].key, "id") || seen++ != idx)
				continue;
			*name = object_keys[i].key;
			*qom = object_keys[i].qom;
			return 1;
		}
		return 0;
	}
	return -ENOENT;
}

static bool key_allowed(const char *key, enum memdev_type type, bool *known)
{
	*known = false;
	for (size_t i = 0; i < sizeof(object_keys) / sizeof(object_keys[0]); i++) {
		if (strcmp(object_keys[i].key, key))
			continue;
		*known = true;
		return object_keys[i].types & (1u << type);
	}
	return false;
}

static int set_string(char **dst, const char *val, struct kverr *err)
{
	char *copy = strdup(val);

	if (!copy)
		return kverr_set(err, ENOMEM, "-object: out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_bool(const struct oparse *p, bool *dst, const struct kv *kv, struct kverr *err)
{
	return parse_bool(kv->val, dst) ? bad_bool(p, kv->key, kv->val, err) : 0;
}

/* One property of a backend being parsed. */
static int object_prop(const struct oparse *p, struct config_memdev *md, const struct kv *kv,
		       bool *size_given, struct kverr *err)
{
	const char *k = kv->key, *v = kv->val;
	uint64_t n;
	int ret;

	if (!strcmp(k, "id")) {
		if (!id_wellformed(v)) {
			if (p->monitor)
				return kverr_set(err, EINVAL,
						 "Parameter 'id' expects an identifier");
			return kverr_set(err, EINVAL,
					 "-object: invalid id '%s': an id starts with a letter and "
					 "has only letters, digits, '-', '.' and '_'",
					 v);
		}
		return set_string(&md->id, v, err);
	}
	if (!strcmp(k, "size")) {
		ret = config_parse_size(v, 1, &n);
		if (ret)
			return bad_size(p, "size", v, ret, err);
		if (n == 0) {
			if (p->monitor)
				return bad_value(md, "size", "0", err);
			return kverr_set(err, EINVAL,
					 "-object: invalid size '%s': must be greater than 0", v);
		}
		md->size = n;
		*size_given = true;
		return 0;
	}
	if (!strcmp(k, "share"))
		return set_bool(p, &md->share, kv, err);
	if (!strcmp(k, "prealloc"))
		return set_bool(p, &md->prealloc, kv, err);
	if (!strcmp(k, "merge"))
		return set_bool(p, &md->merge, kv, err);
	if (!strcmp(k, "dump")) {
		md->dump_given = true; /* else -machine dump-guest-core decides */
		return set_bool(p, &md->dump, kv, err);
	}
	if (!strcmp(k, "reserve"))
		return set_bool(p, &md->reserve, kv, err);
	if (!strcmp(k, "hugetlb"))
		return set_bool(p, &md->hugetlb, kv, err);
	if (!strcmp(k, "seal"))
		return set_bool(p, &md->seal, kv, err);
	if (!strcmp(k, "discard-data"))
		return set_bool(p, &md->discard_data, kv, err);
	if (!strcmp(k, "readonly"))
		return set_bool(p, &md->readonly, kv, err);
	if (!strcmp(k, "pmem"))
		return set_bool(p, &md->pmem, kv, err);
	if (!strcmp(k, "x-use-canonical-path-for-ramblock-id")) {
		bool ignored;
		return set_bool(p, &ignored, kv, err);
	}
	if (!strcmp(k, "prealloc-threads")) {
		ret = parse_number(v, &n);
		if (p->monitor && (ret || n > UINT32_MAX))
			return kverr_set(err, EINVAL, "Parameter 'prealloc-threads' expects %s",
					 ret == -EINVAL ? "integer" : "uint32");
		if (p->monitor && n == 0)
			return bad_value(md, "prealloc-threads", "0", err);
		if (ret || n == 0 || n > UINT32_MAX)
			return kverr_set(
			    err, EINVAL,
			    "-object: invalid prealloc-threads '%s': expected a number "
			    "of threads, at least 1",
			    v);
		md->prealloc_threads = (uint32_t)n;
		return 0;
	}
	if (!strcmp(k, "host-nodes"))
		return parse_host_nodes(p, v, &md->host_nodes, err);
	if (!strcmp(k, "policy")) {
		for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
			if (!strcmp(v, policy_names[i])) {
				md->policy = (enum memdev_policy)i;
				return 0;
			}
		}
		if (p->monitor)
			return kverr_set(err, EINVAL,
					 "Parameter 'policy' does not accept value '%s'", v);
		return kverr_set(
		    err, EINVAL,
		    "-object: invalid policy '%s': expected default, preferred, bind or "
		    "interleave",
		    v);
	}
	if (!strcmp(k, "mem-path")) {
		if (!*v) {
			/* QEMU fails to open "" when it creates the backend */
			if (p->monitor)
				return kverr_set(err, EINVAL,
						 "can't open backing store  for guest RAM: No "
						 "such file or directory");
			return kverr_set(err, EINVAL, "-object: mem-path is empty");
		}
		return set_string(&md->mem_path, v, err);
	}
	if (!strcmp(k, "align") || !strcmp(k, "hugetlbsize")) {
		ret = config_parse_size(v, 1, &n);
		if (ret)
			return bad_size(p, k, v, ret, err);
		if (!is_pow2(n))
			return kverr_set(err, EINVAL, "%sinvalid %s '%s': must be a power of 2",
					 p->monitor ? "" : "-object: ", k, v);
		if (!strcmp(k, "align"))
			md->align = n;
		else
			md->hugetlbsize = n;
		return 0;
	}
	return kverr_set(err, EINVAL, "-object: unsupported parameter '%s'", k); /* not reached */
}

/* Whole-object checks, with QEMU's rules and kvmem's few stricter ones.
 * The command line's messages say which -object they are about; the
 * monitors' are QEMU's alone. */
static int object_check(const struct oparse *p, const struct config_memdev *md, bool size_given,
			const char *arg, struct kverr *err)
{
	const char *type = config_memdev_type_name(md->type);
	char pre[96] = "";

	if (!md->id || !size_given || (md->type == MEMDEV_FILE && !md->mem_path)) {
		const char *missing = !md->id ? "id" : !size_given ? "size" : "mem-path";

		if (p->monitor)
			return kverr_set(err, EINVAL, "Parameter '%s' is missing", missing);
		return kverr_set(err, EINVAL, "-object %s: parameter '%s' is missing", arg,
				 missing);
	}
	if (!p->monitor)
		snprintf(pre, sizeof(pre), "-object id=%s: ", md->id);
	if (md->policy == MEMDEV_POLICY_DEFAULT && md->host_nodes)
		return kverr_set(err, EINVAL,
				 "%shost-nodes must be empty for policy default, or you should "
				 "explicitly specify a policy other than default",
				 pre);
	if (md->policy != MEMDEV_POLICY_DEFAULT && !md->host_nodes)
		return kverr_set(err, EINVAL, "%shost-nodes must be set for policy %s", pre,
				 config_memdev_policy_name(md->policy));
	if (md->prealloc && !md->reserve)
		return kverr_set(err, EINVAL, "%s'prealloc=on' and 'reserve=off' are incompatible",
				 pre);
	/* QEMU ignores hugetlbsize without hugetlb=on; kvmem refuses a size
	 * that would silently not apply (docs/cli.md). */
	if (md->hugetlbsize && !md->hugetlb)
		return kverr_set(err, EINVAL, "%shugetlbsize is only used with hugetlb=on (%s)",
				 pre, type);
	if (md->hugetlb && md->hugetlbsize && md->size % md->hugetlbsize)
		return kverr_set(err, EINVAL,
				 "%ssize 0x%llx is not a multiple of hugetlbsize 0x%llx", pre,
				 (unsigned long long)md->size, (unsigned long long)md->hugetlbsize);
	/* QEMU sizes a memfd to exactly 'size' and then finds it shorter
	 * than the page-aligned RAM block, even when nothing uses it. */
	if (md->type == MEMDEV_MEMFD && md->size % CONFIG_PAGE_SIZE) {
		if (p->monitor)
			return kverr_set(err, EINVAL,
					 "backing store size 0x%llx does not match 'size' option "
					 "0x%llx",
					 (unsigned long long)md->size,
					 (unsigned long long)((md->size + CONFIG_PAGE_SIZE - 1) /
							      CONFIG_PAGE_SIZE * CONFIG_PAGE_SIZE));
		return kverr_set(
		    err, EINVAL, "%ssize 0x%llx is not a multiple of the page size 0x%llx (%s)",
		    pre, (unsigned long long)md->size, (unsigned long long)CONFIG_PAGE_SIZE, type);
	}
	/* Accepted as QEMU's default only: what 'on' asks for, kvmem does not
	 * do (docs/cli.md). */
	if (md->readonly)
		return kverr_set(
		    err, EINVAL,
		    "%sreadonly=on is not supported: kvmem maps every backend writable, "
		    "as guest RAM, and has no device that maps read-only memory",
		    pre);
	if (md->pmem)
		return kverr_set(
		    err, EINVAL,
		    "%spmem=on is not supported: kvmem does not map files with MAP_SYNC "
		    "or flush its own writes to persistent memory",
		    pre);
	if (md->type == MEMDEV_FILE && md->align && md->size % md->align)
		return kverr_set(err, EINVAL, "%ssize 0x%llx is not a multiple of align 0x%llx",
				 pre, (unsigned long long)md->size, (unsigned long long)md->align);
	return 0;
}

/* The first element: qom-type, implied or spelled out. */
static int object_type(const struct oparse *p, struct config_memdev *md, const struct kv *kv,
		       const char *arg, struct kverr *err)
{
	if (strcmp(kv->key, "qom-type") || !kv->val) {
		if (p->monitor)
			return kverr_set(err, EINVAL, "Parameter 'qom-type' is missing");
		return kverr_set(err, EINVAL, "-object %s: the object type must come first", arg);
	}
	for (size_t i = 0; i < sizeof(backend_types) / sizeof(backend_types[0]); i++) {
		if (!strcmp(kv->val, backend_types[i].name)) {
			memdev_defaults(md, backend_types[i].type);
			return 0;
		}
	}
	if (p->monitor)
		return kverr_set(err, EINVAL, "Parameter 'qom-type' does not accept value '%s'",
				 kv->val);
	return kverr_set(err, EINVAL,
			 "-object: unsupported object type '%s' (kvmem supports "
			 "memory-backend-ram, memory-backend-memfd and "
			 "memory-backend-file)",
			 kv->val);
}

int config_memdev_parse(struct config_memdev *md, const char *arg, enum memdev_source src,
			struct kverr *err)
{
	const struct oparse p = {.monitor = src == MEMDEV_FROM_MONITOR};
	struct kv_iter it;
	struct kv kv;
	bool size_given = false, typed = false;
	char *buf;
	int ret = 0;

	memset(md, 0, sizeof(*md));
	if (!*arg) {
		if (p.monitor)
			return kverr_set(err, EINVAL, "Parameter 'qom-type' is missing");
		return kverr_set(err, EINVAL, "-object: empty value");
	}
	if (arg[0] == '{')
		return kverr_set(err, EINVAL,
				 "%s%s: the JSON form is not supported; use "
				 "memory-backend-TYPE,id=ID,size=SIZE,...",
				 p.monitor ? "" : "-object ", p.monitor ? "object" : arg);
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-object: out of memory");
	it = (struct kv_iter){.p = arg, .out = buf, .implied = "qom-type", .first = true};
	while (!ret && kv_next(&it, &kv)) {
		bool known;

		if (!typed) {
			ret = object_type(&p, md, &kv, arg, err);
			typed = true;
			continue;
		}
		if (!key_allowed(kv.key, md->type, &known)) {
			if (p.monitor)
				ret =
				    kverr_set(err, EINVAL, "Parameter '%s' is unexpected", kv.key);
			else
				ret = kverr_set(err, EINVAL, "-object: %s has no parameter '%s'%s",
						config_memdev_type_name(md->type), kv.key,
						known ? "" : " (unknown parameter)");
			break;
		}
		/* QEMU 7.2 takes a bare "share" as share=on with a deprecation
		 * warning on the command line; kvmem asks for the value
		 * (docs/cli.md), as QEMU's monitor does. */
		if (!kv.val) {
			if (p.monitor)
				ret = kverr_set(err, EINVAL, "Expected '=' after parameter '%s'",
						kv.key);
			else
				ret = kverr_set(err, EINVAL,
						"-object: parameter '%s' needs a value (%s=on)",
						kv.key, kv.key);
			break;
		}
		ret = object_prop(&p, md, &kv, &size_given, err);
	}
	free(buf);
	if (!ret && !typed)
		ret = object_type(&p, md, &(struct kv){.key = ""}, arg, err);
	if (!ret)
		ret = object_check(&p, md, size_given, arg, err);
	if (ret)
		config_memdev_free(md);
	return ret;
}

int config_object_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_memdev md;
	int ret;

	/* QEMU's JSON form ({"qom-type": ..., "id": ..., ...}) and the secret
	 * objects libvirt passes: object_json.c */
	if (arg[0] == '{')
		return config_object_json(cfg, arg, err);
	if (!strncmp(arg, "secret,", 7) || !strncmp(arg, "qom-type=secret,", 16))
		return config_secret_parse(cfg, arg, err);
	ret = config_memdev_parse(&md, arg, MEMDEV_FROM_CMDLINE, err);
	if (ret)
		return ret;
	if (config_memdev_find(cfg, md.id))
		ret =
		    kverr_set(err, EINVAL, "-object %s: Duplicate ID '%s' for object", arg, md.id);
	else if (cfg->nr_memdevs >= CONFIG_MAX_MEMDEVS)
		ret = kverr_set(err, EINVAL, "-object %s: more than %d memory backends", arg,
				CONFIG_MAX_MEMDEVS);
	if (ret) {
		config_memdev_free(&md);
		return ret;
	}
	cfg->memdev[cfg->nr_memdevs++] = md;
	return 0;
}

int config_memdev_copy(struct config_memdev *dst, const struct config_memdev *src,
		       struct kverr *err)
{
	*dst = *src;
	dst->id = src->id ? strdup(src->id) : NULL;
	dst->mem_path = src->mem_path ? strdup(src->mem_path) : NULL;
	if ((src->id && !dst->id) || (src->mem_path && !dst->mem_path)) {
		config_memdev_free(dst);
		return kverr_set(err, ENOMEM, "out of memory copying backend '%s'", src->id);
	}
	return 0;
}

void config_memdev_free(struct config_memdev *md)
{
	free(md->id);
	free(md->mem_path);
	md->id = md->mem_path = NULL;
}

int config_machine_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	char *buf;
	int ret = 0;

	if (!*arg) /* an empty list, as QEMU parses it: nothing changes */
		return 0;
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-machine: out of memory");
	it = (struct kv_iter){.p = arg, .out = buf, .implied = "type", .first = true};
	while (!ret && kv_next(&it, &kv)) {
		ret = kv_need_value("-machine", &kv, err);
		if (ret)
			break;
		if (!strcmp(kv.key, "type")) {
			ret = config_compat_machine_type(cfg, kv.val, err);
		} else if ((ret = config_compat_machine_key(cfg, kv.key, kv.val, arg, err)) != 0) {
			ret = ret > 0 ? 0 : ret; /* accel, usb, dump-guest-core */
		} else if (!strcmp(kv.key, "memory-backend")) {
			char *copy = strdup(kv.val);

			if (!copy) {
				ret = kverr_set(err, ENOMEM, "-machine: out of memory");
				break;
			}
			free((char *)cfg->machine_memdev);
			cfg->machine_memdev = copy;
		} else if ((ret = config_machine_hmat(&cfg->numa, kv.key, kv.val, arg, err)) != 0) {
			ret = ret > 0 ? 0 : ret; /* hmat=on|off, for -numa hmat-* */
		} else {
			ret = kverr_set(err, EINVAL, "-machine: unsupported parameter '%s' in '%s'",
					kv.key, arg);
		}
	}
	free(buf);
	return ret;
}

int config_machine_ram_size(const struct config *cfg, uint64_t *size, struct kverr *err)
{
	const struct config_memdev *md;

	*size = 0;
	if (!cfg->machine_memdev)
		return 0;
	md = config_memdev_find(cfg, cfg->machine_memdev);
	if (!md)
		return kverr_set(err, EINVAL,
				 "-machine memory-backend=%s: Memory backend '%s' not found",
				 cfg->machine_memdev, cfg->machine_memdev);
	*size = md->size;
	return 0;
}

int config_machine_check(const struct config *cfg, struct kverr *err)
{
	uint64_t size;
	int ret = config_machine_ram_size(cfg, &size, err);

	if (ret || !size)
		return ret;
	if (size != cfg->mem.size)
		return kverr_set(
		    err, EINVAL,
		    "-machine memory-backend=%s: Machine memory size does not match the "
		    "size of the memory backend (-m is 0x%llx, the backend 0x%llx)",
		    cfg->machine_memdev, (unsigned long long)cfg->mem.size,
		    (unsigned long long)size);
	return 0;
}

void config_objects_free(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_memdevs; i++)
		config_memdev_free(&cfg->memdev[i]);
	cfg->nr_memdevs = 0;
	free((char *)cfg->machine_memdev);
	cfg->machine_memdev = NULL;
}
