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

/* host-nodes element: "N" or "A-B" (A <= B), added to the bitmap. */
static int parse_host_nodes(const char *val, uint64_t *bitmap, struct kverr *err)
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
	if (hi >= CONFIG_MAX_HOST_NODES)
		return kverr_set(
		    err, EINVAL,
		    "-object: invalid host-nodes value '%s': kvmem supports host nodes "
		    "0 to %d",
		    val, CONFIG_MAX_HOST_NODES - 1);
	for (uint64_t n = lo; n <= hi; n++)
		*bitmap |= 1ULL << n;
	return 0;
bad:
	return kverr_set(err, EINVAL,
			 "-object: invalid host-nodes value '%s': expected a node number or a "
			 "range A-B",
			 val);
}

static int bad_bool(const char *key, const char *val, struct kverr *err)
{
	return kverr_set(err, EINVAL, "-object: parameter '%s' expects 'on' or 'off', not '%s'",
			 key, val);
}

static int bad_size(const char *key, const char *val, int ret, struct kverr *err)
{
	if (ret == -ERANGE)
		return kverr_set(err, EINVAL, "-object: %s '%s' is too large", key, val);
	return kverr_set(err, EINVAL,
			 "-object: invalid %s '%s': expected a size such as 4096, 512M or 2G", key,
			 val);
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

/* One property of a backend being parsed. */
static int object_prop(struct config_memdev *md, const struct kv *kv, bool *size_given,
		       struct kverr *err)
{
	const char *k = kv->key, *v = kv->val;
	uint64_t n;
	int ret;

	if (!strcmp(k, "id")) {
		if (!id_wellformed(v))
			return kverr_set(err, EINVAL,
					 "-object: invalid id '%s': an id starts with a letter and "
					 "has only letters, digits, '-', '.' and '_'",
					 v);
		return set_string(&md->id, v, err);
	}
	if (!strcmp(k, "size")) {
		ret = config_parse_size(v, 1, &n);
		if (ret)
			return bad_size("size", v, ret, err);
		if (n == 0)
			return kverr_set(err, EINVAL,
					 "-object: invalid size '%s': must be greater than 0", v);
		md->size = n;
		*size_given = true;
		return 0;
	}
	if (!strcmp(k, "share"))
		return parse_bool(v, &md->share) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "prealloc"))
		return parse_bool(v, &md->prealloc) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "merge"))
		return parse_bool(v, &md->merge) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "dump")) {
		md->dump_given = true; /* else -machine dump-guest-core decides */
		return parse_bool(v, &md->dump) ? bad_bool(k, v, err) : 0;
	}
	if (!strcmp(k, "reserve"))
		return parse_bool(v, &md->reserve) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "hugetlb"))
		return parse_bool(v, &md->hugetlb) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "seal"))
		return parse_bool(v, &md->seal) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "discard-data"))
		return parse_bool(v, &md->discard_data) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "readonly"))
		return parse_bool(v, &md->readonly) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "pmem"))
		return parse_bool(v, &md->pmem) ? bad_bool(k, v, err) : 0;
	if (!strcmp(k, "x-use-canonical-path-for-ramblock-id")) {
		bool ignored;
		return parse_bool(v, &ignored) ? bad_bool(k, v, err) : 0;
	}
	if (!strcmp(k, "prealloc-threads")) {
		ret = parse_number(v, &n);
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
		return parse_host_nodes(v, &md->host_nodes, err);
	if (!strcmp(k, "policy")) {
		for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
			if (!strcmp(v, policy_names[i])) {
				md->policy = (enum memdev_policy)i;
				return 0;
			}
		}
		return kverr_set(
		    err, EINVAL,
		    "-object: invalid policy '%s': expected default, preferred, bind or "
		    "interleave",
		    v);
	}
	if (!strcmp(k, "mem-path")) {
		if (!*v)
			return kverr_set(err, EINVAL, "-object: mem-path is empty");
		return set_string(&md->mem_path, v, err);
	}
	if (!strcmp(k, "align") || !strcmp(k, "hugetlbsize")) {
		ret = config_parse_size(v, 1, &n);
		if (ret)
			return bad_size(k, v, ret, err);
		if (!is_pow2(n))
			return kverr_set(err, EINVAL,
					 "-object: invalid %s '%s': must be a power of 2", k, v);
		if (!strcmp(k, "align"))
			md->align = n;
		else
			md->hugetlbsize = n;
		return 0;
	}
	return kverr_set(err, EINVAL, "-object: unsupported parameter '%s'", k); /* not reached */
}

/* Whole-object checks, with QEMU's rules and kvmem's few stricter ones. */
static int object_check(const struct config_memdev *md, bool size_given, const char *arg,
			struct kverr *err)
{
	const char *type = config_memdev_type_name(md->type);

	if (!md->id)
		return kverr_set(err, EINVAL, "-object %s: parameter 'id' is missing", arg);
	if (!size_given)
		return kverr_set(err, EINVAL, "-object %s: parameter 'size' is missing", arg);
	if (md->type == MEMDEV_FILE && !md->mem_path)
		return kverr_set(err, EINVAL, "-object %s: parameter 'mem-path' is missing", arg);
	if (md->policy == MEMDEV_POLICY_DEFAULT && md->host_nodes)
		return kverr_set(err, EINVAL,
				 "-object id=%s: host-nodes must be empty for policy default, or "
				 "you should explicitly specify a policy other than default",
				 md->id);
	if (md->policy != MEMDEV_POLICY_DEFAULT && !md->host_nodes)
		return kverr_set(err, EINVAL, "-object id=%s: host-nodes must be set for policy %s",
				 md->id, config_memdev_policy_name(md->policy));
	if (md->prealloc && !md->reserve)
		return kverr_set(err, EINVAL,
				 "-object id=%s: 'prealloc=on' and 'reserve=off' are incompatible",
				 md->id);
	/* QEMU ignores hugetlbsize without hugetlb=on; kvmem refuses a size
	 * that would silently not apply (docs/cli.md). */
	if (md->hugetlbsize && !md->hugetlb)
		return kverr_set(err, EINVAL,
				 "-object id=%s: hugetlbsize is only used with hugetlb=on (%s)",
				 md->id, type);
	if (md->hugetlb && md->hugetlbsize && md->size % md->hugetlbsize)
		return kverr_set(
		    err, EINVAL,
		    "-object id=%s: size 0x%llx is not a multiple of hugetlbsize 0x%llx", md->id,
		    (unsigned long long)md->size, (unsigned long long)md->hugetlbsize);
	/* QEMU sizes a memfd to exactly 'size' and then finds it shorter
	 * than the page-aligned RAM block, even when nothing uses it. */
	if (md->type == MEMDEV_MEMFD && md->size % CONFIG_PAGE_SIZE)
		return kverr_set(err, EINVAL,
				 "-object id=%s: size 0x%llx is not a multiple of the page size "
				 "0x%llx (%s)",
				 md->id, (unsigned long long)md->size,
				 (unsigned long long)CONFIG_PAGE_SIZE, type);
	/* Accepted as QEMU's default only: what 'on' asks for, kvmem does not
	 * do (docs/cli.md). */
	if (md->readonly)
		return kverr_set(err, EINVAL,
				 "-object id=%s: readonly=on is not supported: kvmem maps every "
				 "backend writable, as guest RAM, and has no device that maps "
				 "read-only memory",
				 md->id);
	if (md->pmem)
		return kverr_set(err, EINVAL,
				 "-object id=%s: pmem=on is not supported: kvmem does not map "
				 "files with MAP_SYNC or flush its own writes to persistent memory",
				 md->id);
	if (md->type == MEMDEV_FILE && md->align && md->size % md->align)
		return kverr_set(
		    err, EINVAL, "-object id=%s: size 0x%llx is not a multiple of align 0x%llx",
		    md->id, (unsigned long long)md->size, (unsigned long long)md->align);
	return 0;
}

int config_object_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_memdev md;
	struct kv_iter it;
	struct kv kv;
	bool size_given = false, typed = false;
	char *buf;
	int ret = 0;

	if (!*arg)
		return kverr_set(err, EINVAL, "-object: empty value");
	/* QEMU's JSON form ({"qom-type": ..., "id": ..., ...}) and the secret
	 * objects libvirt passes: object_json.c */
	if (arg[0] == '{')
		return config_object_json(cfg, arg, err);
	if (!strncmp(arg, "secret,", 7) || !strncmp(arg, "qom-type=secret,", 16))
		return config_secret_parse(cfg, arg, err);
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-object: out of memory");
	memset(&md, 0, sizeof(md));
	it = (struct kv_iter){.p = arg, .out = buf, .implied = "qom-type", .first = true};
	while (!ret && kv_next(&it, &kv)) {
		bool known;

		if (!typed) {
			/* qom-type comes first, implied or spelled out */
			if (strcmp(kv.key, "qom-type") || !kv.val) {
				ret = kverr_set(err, EINVAL,
						"-object %s: the object type must come first", arg);
				break;
			}
			ret = -EINVAL;
			for (size_t i = 0; i < sizeof(backend_types) / sizeof(backend_types[0]);
			     i++) {
				if (!strcmp(kv.val, backend_types[i].name)) {
					memdev_defaults(&md, backend_types[i].type);
					ret = 0;
				}
			}
			if (ret)
				ret = kverr_set(
				    err, EINVAL,
				    "-object: unsupported object type '%s' (kvmem supports "
				    "memory-backend-ram, memory-backend-memfd and "
				    "memory-backend-file)",
				    kv.val);
			typed = true;
			continue;
		}
		if (!key_allowed(kv.key, md.type, &known)) {
			ret = kverr_set(err, EINVAL, "-object: %s has no parameter '%s'%s",
					config_memdev_type_name(md.type), kv.key,
					known ? "" : " (unknown parameter)");
			break;
		}
		/* QEMU 7.2 takes a bare "share" as share=on with a deprecation
		 * warning; kvmem asks for the value (docs/cli.md). */
		if (!kv.val) {
			ret =
			    kverr_set(err, EINVAL, "-object: parameter '%s' needs a value (%s=on)",
				      kv.key, kv.key);
			break;
		}
		ret = object_prop(&md, &kv, &size_given, err);
	}
	free(buf);
	if (!ret)
		ret = object_check(&md, size_given, arg, err);
	if (!ret && config_memdev_find(cfg, md.id))
		ret =
		    kverr_set(err, EINVAL, "-object %s: Duplicate ID '%s' for object", arg, md.id);
	if (!ret && cfg->nr_memdevs >= CONFIG_MAX_MEMDEVS)
		ret = kverr_set(err, EINVAL, "-object %s: more than %d memory backends", arg,
				CONFIG_MAX_MEMDEVS);
	if (ret) {
		free(md.id);
		free(md.mem_path);
		return ret;
	}
	cfg->memdev[cfg->nr_memdevs++] = md;
	return 0;
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
	for (unsigned i = 0; i < cfg->nr_memdevs; i++) {
		free(cfg->memdev[i].id);
		free(cfg->memdev[i].mem_path);
	}
	cfg->nr_memdevs = 0;
	free((char *)cfg->machine_memdev);
	cfg->machine_memdev = NULL;
}
