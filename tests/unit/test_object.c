/* test_object.c - -object memory-backend-* and -machine memory-backend as
 * QEMU 7.2 parses them: defaults per type, every property, host-nodes
 * lists, and one precise error for each kind of bad input (messages and
 * accept/refuse decisions checked against qemu-system-x86_64 7.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/object.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static char kernel_path[] = "/tmp/kvmem-test-kernel-XXXXXX";

static int group_setup(void **state)
{
	int fd = mkstemp(kernel_path);

	(void)state;
	if (fd < 0 || write(fd, "MZ", 2) != 2)
		return -1;
	return close(fd);
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(kernel_path);
	return 0;
}

#define MAX_ARGS 32

static int run(struct config *cfg, struct kverr *err, const char *const *args)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	argv[argc++] = "kvmem";
	argv[argc++] = "-kernel";
	argv[argc++] = kernel_path;
	for (; *args; args++) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return config_parse(cfg, argc, argv, err);
}

#define PARSE(cfg, err, ...) run(cfg, err, (const char *const[]){__VA_ARGS__, NULL})

static void test_defaults_per_type(void **state)
{
	struct config cfg;
	struct kverr err;
	const struct config_memdev *r, *m, *f;

	(void)state;
	assert_int_equal(PARSE(&cfg, &err, "-object", "memory-backend-ram,id=r,size=1G", "-object",
			       "memory-backend-memfd,id=m,size=2M", "-object",
			       "memory-backend-file,id=f,size=4096,mem-path=/dev/shm"),
			 0);
	assert_int_equal(cfg.nr_memdevs, 3);
	r = config_memdev_find(&cfg, "r");
	m = config_memdev_find(&cfg, "m");
	f = config_memdev_find(&cfg, "f");
	assert_non_null(r);
	assert_non_null(m);
	assert_non_null(f);
	assert_null(config_memdev_find(&cfg, "x"));

	assert_int_equal(r->type, MEMDEV_RAM);
	assert_int_equal(r->size, GiB);
	assert_false(r->share); /* QEMU: off for ram and file */
	assert_false(r->prealloc);
	assert_int_equal(r->prealloc_threads, 1);
	assert_true(r->merge);
	assert_true(r->dump);
	assert_true(r->reserve);
	assert_int_equal(r->host_nodes, 0);
	assert_int_equal(r->policy, MEMDEV_POLICY_DEFAULT);
	assert_null(r->mem_path);

	assert_int_equal(m->type, MEMDEV_MEMFD);
	assert_int_equal(m->size, 2 * MiB);
	assert_true(m->share); /* QEMU: memfd is shared by default */
	assert_true(m->seal);
	assert_false(m->hugetlb);
	assert_int_equal(m->hugetlbsize, 0);

	assert_int_equal(f->type, MEMDEV_FILE);
	assert_false(f->share);
	assert_string_equal(f->mem_path, "/dev/shm");
	assert_int_equal(f->align, 0);
	/* no -machine memory-backend: -m's implicit backend stays */
	assert_null(cfg.machine_memdev);
	assert_int_equal(cfg.mem.size, 128 * MiB);
	config_free(&cfg);
}

static void test_every_property(void **state)
{
	struct config cfg;
	struct kverr err;
	const struct config_memdev *a, *b, *c;

	(void)state;
	assert_int_equal(
	    PARSE(&cfg, &err, "-object",
		  "memory-backend-ram,id=a,size=512M,share=on,prealloc=yes,prealloc-threads=4,"
		  "merge=off,dump=false,host-nodes=0-1,host-nodes=3,policy=bind",
		  "-object",
		  "qom-type=memory-backend-memfd,id=b,size=4M,share=off,hugetlb=on,hugetlbsize=2M,"
		  "seal=off,reserve=off,host-nodes=1,policy=interleave,size=8M",
		  "-object",
		  "memory-backend-file,id=c.x-y_1,size=2G,mem-path=/mnt/a,,b,align=1G,"
		  "policy=preferred,host-nodes=63"),
	    0);
	a = config_memdev_find(&cfg, "a");
	b = config_memdev_find(&cfg, "b");
	c = config_memdev_find(&cfg, "c.x-y_1");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a->share);
	assert_true(a->prealloc);
	assert_int_equal(a->prealloc_threads, 4);
	assert_false(a->merge);
	assert_false(a->dump);
	assert_int_equal(a->host_nodes, 0xb); /* 0, 1 and 3: a repeated key adds */
	assert_int_equal(a->policy, MEMDEV_POLICY_BIND);

	assert_false(b->share);
	assert_true(b->hugetlb);
	assert_int_equal(b->hugetlbsize, 2 * MiB);
	assert_false(b->seal);
	assert_false(b->reserve);
	assert_int_equal(b->size, 8 * MiB); /* a repeated scalar: the last wins */
	assert_int_equal(b->host_nodes, 2);
	assert_int_equal(b->policy, MEMDEV_POLICY_INTERLEAVE);

	assert_string_equal(c->mem_path, "/mnt/a,b"); /* ",," is a comma */
	assert_int_equal(c->align, GiB);
	assert_int_equal(c->policy, MEMDEV_POLICY_PREFERRED);
	assert_int_equal(c->host_nodes, 1ULL << 63);
	config_free(&cfg);
}

/* QEMU 7.2's remaining properties: memory-backend-file's readonly,
 * discard-data and pmem, and x-use-canonical-path-for-ramblock-id on every
 * type.  kvmem accepts what it can honour and refuses the rest by name. */
static void test_qemu_only_properties(void **state)
{
	static const char *const refused[][2] = {
	    {"memory-backend-file,id=f,size=1M,mem-path=/tmp/x,readonly=on", "readonly=on"},
	    {"memory-backend-file,id=f,size=1M,mem-path=/tmp/x,pmem=yes", "pmem=on"},
	    {"memory-backend-file,id=f,size=1M,mem-path=/tmp/x,discard-data=maybe",
	     "'discard-data'"},
	    {"memory-backend-ram,id=f,size=1M,x-use-canonical-path-for-ramblock-id=2",
	     "'x-use-canonical-path-for-ramblock-id'"},
	    {"memory-backend-ram,id=f,size=1M,readonly=off", "memory-backend-ram has no "
							     "parameter 'readonly'"},
	    {"memory-backend-memfd,id=f,size=1M,pmem=off", "memory-backend-memfd has no "
							   "parameter 'pmem'"},
	    {"memory-backend-ram,id=f,size=1M,discard-data=on", "memory-backend-ram has no "
								"parameter 'discard-data'"},
	};
	const struct config_memdev *f;
	struct config cfg;
	struct kverr err;

	(void)state;
	assert_int_equal(
	    PARSE(&cfg, &err, "-object",
		  "memory-backend-file,id=f,size=1M,mem-path=/tmp/x,readonly=off,"
		  "pmem=off,discard-data=on,x-use-canonical-path-for-ramblock-id=off",
		  "-object",
		  "memory-backend-ram,id=r,size=1M,x-use-canonical-path-for-ramblock-id=on",
		  "-object",
		  "memory-backend-memfd,id=m,size=1M,x-use-canonical-path-for-ramblock-id="
		  "true"),
	    0);
	f = config_memdev_find(&cfg, "f");
	assert_non_null(f);
	assert_true(f->discard_data);
	assert_false(f->readonly);
	assert_false(f->pmem);
	assert_non_null(config_memdev_find(&cfg, "r"));
	assert_non_null(config_memdev_find(&cfg, "m"));
	config_free(&cfg);

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(PARSE(&cfg, &err, "-object", refused[i][0]), -EINVAL);
		print_message("%s -> %s\n", refused[i][0], err.msg);
		assert_non_null(strstr(err.msg, refused[i][1]));
	}
}

/* QEMU 7.2 sizes a memfd to exactly size= and refuses it when that is not
 * a whole number of pages, used or not; a ram or file backend is fine. */
static void test_memfd_page_multiple(void **state)
{
	struct config cfg;
	struct kverr err;

	(void)state;
	assert_int_equal(PARSE(&cfg, &err, "-object", "memory-backend-memfd,id=m,size=1000"),
			 -EINVAL);
	assert_non_null(
	    strstr(err.msg, "-object id=m: size 0x3e8 is not a multiple of the page size 0x1000"));
	assert_int_equal(PARSE(&cfg, &err, "-object", "memory-backend-memfd,id=m,size=5000"),
			 -EINVAL);
	assert_int_equal(PARSE(&cfg, &err, "-object", "memory-backend-memfd,id=m,size=8K",
			       "-object", "memory-backend-ram,id=r,size=1000", "-object",
			       "memory-backend-file,id=f,size=1000,mem-path=/tmp/x"),
			 0);
	config_free(&cfg);
}

static void test_machine_memory_backend(void **state)
{
	struct config cfg;
	struct kverr err;

	(void)state;
	/* without -m, RAM takes the backend's size (QEMU does the same) */
	assert_int_equal(PARSE(&cfg, &err, "-object", "memory-backend-memfd,id=mem,size=3G",
			       "-machine", "memory-backend=mem"),
			 0);
	assert_string_equal(cfg.machine_memdev, "mem");
	assert_int_equal(cfg.mem.size, 3 * GiB);
	assert_int_equal(cfg.mem.maxmem, 3 * GiB);
	config_free(&cfg);

	/* the order of -machine and -object does not matter; -M is -machine */
	assert_int_equal(PARSE(&cfg, &err, "-m", "1G", "-M", "pc,memory-backend=mem", "-object",
			       "memory-backend-ram,id=mem,size=1G"),
			 0);
	assert_int_equal(cfg.mem.size, GiB);
	config_free(&cfg);

	/* with hotplug room */
	assert_int_equal(PARSE(&cfg, &err, "-m", "1G,slots=2,maxmem=4G", "-machine",
			       "memory-backend=mem", "-object",
			       "memory-backend-ram,id=mem,size=1G"),
			 0);
	assert_int_equal(cfg.mem.maxmem, 4 * GiB);
	config_free(&cfg);
}

struct err_case {
	const char *args[8];
	const char *needles[4];
};

static void test_errors(void **state)
{
	static const struct err_case cases[] = {
	    {{"-object", "memory-backend-ram,id=m,size=1M,foo=1"}, {"-object", "'foo'"}},
	    {{"-object", "memory-backend-ram,id=m"}, {"-object", "'size' is missing"}},
	    {{"-object", "memory-backend-ram,size=1M"}, {"-object", "'id' is missing"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M", "-object",
	      "memory-backend-ram,id=m,size=2M"},
	     {"-object", "Duplicate ID 'm'"}},
	    {{"-object", "memory-backend-file,id=m,size=1M"}, {"'mem-path' is missing"}},
	    {{"-object", "memory-backend-file,id=m,size=1M,mem-path="}, {"mem-path"}},
	    {{"-object", "memory-backend-ram,id=m,size=0"}, {"size '0'", "greater than 0"}},
	    {{"-object", "memory-backend-ram,id=m,size=12X"}, {"size '12X'"}},
	    {{"-object", "memory-backend-ram,id=m,size=99999999E"}, {"'99999999E'", "too large"}},
	    {{"-object", "memory-backend-ram,id=1m,size=1M"}, {"id '1m'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,host-nodes=0-1:3,policy=bind"},
	     {"host-nodes", "'0-1:3'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,host-nodes=3-1,policy=bind"},
	     {"host-nodes", "'3-1'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,host-nodes=64,policy=bind"},
	     {"host-nodes", "'64'", "0 to 63"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,host-nodes=x,policy=bind"},
	     {"host-nodes", "'x'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,host-nodes=0"},
	     {"id=m", "policy default"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,policy=bind"},
	     {"id=m", "host-nodes must be set for policy bind"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,policy=foo"}, {"policy 'foo'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,prealloc=maybe"},
	     {"'prealloc'", "'maybe'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,share"}, {"'share'", "needs a value"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,prealloc-threads=0"},
	     {"prealloc-threads '0'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,prealloc-threads=many"},
	     {"prealloc-threads 'many'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,reserve=off,prealloc=on"},
	     {"id=m", "'prealloc=on' and 'reserve=off' are incompatible"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,seal=on"},
	     {"memory-backend-ram", "'seal'"}},
	    {{"-object", "memory-backend-ram,id=m,size=1M,mem-path=/tmp"},
	     {"memory-backend-ram", "'mem-path'"}},
	    {{"-object", "memory-backend-file,id=m,size=1M,mem-path=/tmp,hugetlb=on"},
	     {"memory-backend-file", "'hugetlb'"}},
	    {{"-object", "memory-backend-memfd,id=m,size=1M,align=2M"},
	     {"memory-backend-memfd", "'align'"}},
	    {{"-object", "memory-backend-memfd,id=m,size=2M,hugetlb=on,hugetlbsize=3M"},
	     {"hugetlbsize '3M'", "power of 2"}},
	    {{"-object", "memory-backend-memfd,id=m,size=3M,hugetlb=on,hugetlbsize=2M"},
	     {"id=m", "not a multiple of hugetlbsize"}},
	    {{"-object", "memory-backend-memfd,id=m,size=2M,hugetlbsize=2M"},
	     {"id=m", "hugetlb=on"}},
	    {{"-object", "memory-backend-file,id=m,size=1M,mem-path=/tmp,align=3K"},
	     {"align '3K'", "power of 2"}},
	    {{"-object", "memory-backend-file,id=m,size=3M,mem-path=/tmp,align=2M"},
	     {"id=m", "not a multiple of align"}},
	    {{"-object", "memory-backend-rom,id=m,size=1M"},
	     {"unsupported object type 'memory-backend-rom'"}},
	    {{"-object", "iothread,id=io"}, {"'iothread'"}},
	    {{"-object", "id=m,memory-backend-ram"}, {"type must come first"}},
	    /* the JSON form: the same checks, QEMU's type checks first */
	    {{"-object", "{\"qom-type\":\"memory-backend-ram\"}"}, {"'id' is missing"}},
	    {{"-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"m\",\"size\":\"1G\"}"},
	     {"Invalid parameter type for 'size', expected: integer"}},
	    {{"-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"m\",\"size\":1,"
			 "\"share\":\"on\"}"},
	     {"Invalid parameter type for 'share', expected: boolean"}},
	    {{"-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"m\",\"size\":4096,"
			 "\"seal\":true}"},
	     {"Parameter 'seal' is unexpected"}},
	    {{"-object", "{\"qom-type\":\"iothread\",\"id\":\"i\"}"}, {"'iothread'"}},
	    {{"-object", "{\"id\":\"i\"}"}, {"'qom-type' is missing"}},
	    {{"-object", "{\"qom-type\":"}, {"not a JSON object"}},
	    {{"-object", "secret,id=s0"}, {"Either 'file' or 'data' must be provided"}},
	    {{"-object", "secret,id=s0,data=x,file=/dev/null"}, {"mutually exclusive"}},
	    {{"-object", "secret,id=s0,file=/nonexistent/key"}, {"Unable to read"}},
	    {{"-object", "secret,id=s0,data=x,keyid=k"}, {"keyid is not supported"}},
	    {{"-object", "secret,id=s0,data=x,format=hex"}, {"'format'", "'hex'"}},
	    {{"-object", ""}, {"-object", "empty"}},
	    {{"-m", "256M", "-object", "memory-backend-ram,id=m,size=128M", "-machine",
	      "memory-backend=m"},
	     {"memory-backend=m", "does not match", "0x10000000", "0x8000000"}},
	    {{"-machine", "memory-backend=mm"}, {"memory-backend=mm", "'mm' not found"}},
	    {{"-machine", "q35"}, {"-machine", "'q35'"}},
	    {{"-machine", "pc,hpet=off"}, {"-machine", "'hpet'"}},
	    {{"-machine", "memory-backend"}, {"-machine", "machine type 'memory-backend'"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[12];
		struct config cfg;
		struct kverr err;
		size_t n = 0;

		for (; n < 8 && cases[i].args[n]; n++)
			args[n] = cases[i].args[n];
		args[n] = NULL;
		if (run(&cfg, &err, args) != -EINVAL)
			fail_msg("case %zu (%s %s) was accepted", i, args[0], args[1]);
		assert_null(strchr(err.msg, '\n'));
		for (int k = 0; k < 4 && cases[i].needles[k]; k++)
			if (!strstr(err.msg, cases[i].needles[k]))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
					 cases[i].needles[k]);
	}
}

/* What -m alone stands for: QEMU's defaults, reserve=off (kvmem's). */
/* libvirt's JSON -object gives the same backend as the text form, and a
 * secret beside it is taken; -machine dump-guest-core=off is the backends'
 * dump default, whatever the order, unless a backend says otherwise. */
static void test_json_object(void **state)
{
	struct config a, b;
	struct kverr err;
	(void)state;

	assert_int_equal(PARSE(&a, &err, "-m", "256M", "-object",
			       "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"ram-node0\","
			       "\"share\":true,\"hugetlb\":false,\"prealloc\":true,"
			       "\"host-nodes\":[0],\"policy\":\"bind\",\"size\":268435456}",
			       "-object", "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":"
			       "\"raw\",\"file\":\"/dev/null\"}",
			       "-machine", "pc,memory-backend=ram-node0,dump-guest-core=off"),
			 0);
	assert_int_equal(PARSE(&b, &err, "-m", "256M", "-object",
			       "memory-backend-memfd,id=ram-node0,share=on,hugetlb=off,prealloc=on,"
			       "host-nodes=0,policy=bind,size=256M",
			       "-machine", "pc,memory-backend=ram-node0,dump-guest-core=off"),
			 0);
	assert_int_equal(a.nr_memdevs, 1);
	assert_string_equal(a.memdev[0].id, "ram-node0");
	assert_int_equal(a.memdev[0].type, MEMDEV_MEMFD);
	assert_int_equal(a.memdev[0].size, b.memdev[0].size);
	assert_true(a.memdev[0].share && a.memdev[0].prealloc);
	assert_int_equal(a.memdev[0].host_nodes, 1);
	assert_int_equal(a.memdev[0].policy, MEMDEV_POLICY_BIND);
	assert_false(a.memdev[0].dump);
	assert_false(b.memdev[0].dump);
	assert_int_equal(a.compat.nr_secrets, 1);
	assert_string_equal(a.compat.secret[0], "masterKey0");
	config_free(&a);
	config_free(&b);
	/* a backend's own dump= wins over the machine's */
	assert_int_equal(PARSE(&a, &err, "-object", "memory-backend-ram,id=m,size=128M,dump=on",
			       "-machine", "dump-guest-core=off"),
			 0);
	assert_true(a.memdev[0].dump);
	config_free(&a);
	/* a secret's id is an object id like a backend's */
	assert_int_equal(PARSE(&a, &err, "-object", "secret,id=s,data=x", "-object",
			       "secret,id=s,data=y"),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "Duplicate ID 's'"));
}

static void test_implicit(void **state)
{
	struct config_memdev md;

	(void)state;
	config_memdev_implicit(&md, "pc.ram", 2 * GiB);
	assert_string_equal(md.id, "pc.ram");
	assert_int_equal(md.type, MEMDEV_RAM);
	assert_int_equal(md.size, 2 * GiB);
	assert_false(md.share);
	assert_false(md.prealloc);
	assert_true(md.merge);
	assert_true(md.dump);
	assert_false(md.reserve);
	assert_int_equal(md.policy, MEMDEV_POLICY_DEFAULT);
	assert_string_equal(config_memdev_policy_name(MEMDEV_POLICY_INTERLEAVE), "interleave");
	assert_string_equal(config_memdev_type_name(MEMDEV_MEMFD), "memory-backend-memfd");
}

/* A secret through object-add / object_add: QEMU 7.2's monitor messages
 * (no "-object ...: " before them), the id handed back. */
static void test_secret_monitor(void **state)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
	    {"qom-type=secret,id=s1", "Either 'file' or 'data' must be provided"},
	    {"secret,id=s1,data=a,file=/dev/null", "'file' and 'data' are mutually exclusive"},
	    {"secret,id=s1,file=/nonexistent/key",
	     "Unable to read /nonexistent/key: Failed to open file \u201c/nonexistent/key\u201d: "
	     "No such file or directory"},
	    {"secret,id=s1,data=a,format=hex", "Parameter 'format' does not accept value 'hex'"},
	    {"secret,id=s1,data=a,size=1", "Parameter 'size' is unexpected"},
	    {"secret,data=a", "Parameter 'id' is missing"},
	    {"secret,id=s1,data=a,iv=x",
	     "iv is not supported: kvmem decrypts no secret (nothing in kvmem reads one)"},
	};
	struct kverr err;
	char *id = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_secret_check(cases[i].arg, true, &id, &err) >= 0)
			fail_msg("case %zu (%s) was accepted", i, cases[i].arg);
		assert_string_equal(err.msg, cases[i].msg);
	}
	assert_int_equal(
	    config_secret_check("qom-type=secret,id=key0,data=abc,format=raw", true, &id, &err), 0);
	assert_string_equal(id, "key0");
	free(id);
	assert_int_equal(config_secret_check("secret,id=key1,file=/dev/null", true, &id, &err), 0);
	assert_string_equal(id, "key1");
	free(id);
	/* the command line's words name the option */
	assert_true(config_secret_check("secret,id=s1", false, &id, &err) < 0);
	assert_string_equal(err.msg,
			    "-object secret,id=s1: Either 'file' or 'data' must be provided");
}

/* The monitors' object-add / object_add: the same parser, QEMU 7.2's
 * run-time messages (each one as qemu-system-x86_64 7.2 answers
 * object_add or object-add with the same input). */
static void test_monitor_errors(void **state)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
	    {"", "Parameter 'qom-type' is missing"},
	    {"id=a,size=1M", "Parameter 'qom-type' is missing"},
	    {"memory-backend-xx,id=a,size=1M",
	     "Parameter 'qom-type' does not accept value 'memory-backend-xx'"},
	    {"memory-backend-ram,size=1M", "Parameter 'id' is missing"},
	    {"memory-backend-ram,id=a", "Parameter 'size' is missing"},
	    {"memory-backend-file,id=a,size=1M", "Parameter 'mem-path' is missing"},
	    {"memory-backend-ram,id=a,size=1M,foo=1", "Parameter 'foo' is unexpected"},
	    {"memory-backend-ram,id=a,size=1M,mem-path=/tmp", "Parameter 'mem-path' is unexpected"},
	    {"memory-backend-memfd,id=a,size=1M,align=4096", "Parameter 'align' is unexpected"},
	    {"memory-backend-ram,id=1a,size=1M", "Parameter 'id' expects an identifier"},
	    {"memory-backend-ram,id=a,size=0",
	     "property 'size' of memory-backend-ram doesn't take value '0'"},
	    {"memory-backend-ram,id=a,size=xx", "Parameter 'size' expects size"},
	    {"memory-backend-ram,id=a,size=-5", "Parameter 'size' expects size"},
	    {"memory-backend-ram,id=a,size=1M,prealloc=maybe",
	     "Parameter 'prealloc' expects 'on' or 'off'"},
	    {"memory-backend-ram,id=a,size=1M,share", "Expected '=' after parameter 'share'"},
	    {"memory-backend-ram,id=a,size=1M,prealloc-threads=0",
	     "property 'prealloc-threads' of memory-backend-ram doesn't take value '0'"},
	    {"memory-backend-ram,id=a,size=1M,prealloc-threads=x",
	     "Parameter 'prealloc-threads' expects integer"},
	    {"memory-backend-ram,id=a,size=1M,policy=foo",
	     "Parameter 'policy' does not accept value 'foo'"},
	    {"memory-backend-ram,id=a,size=1M,policy=bind",
	     "host-nodes must be set for policy bind"},
	    {"memory-backend-ram,id=a,size=1M,host-nodes=0",
	     "host-nodes must be empty for policy default, or you should explicitly specify a "
	     "policy other than default"},
	    {"memory-backend-ram,id=a,size=1M,host-nodes=200,policy=bind",
	     "Invalid host-nodes value: 200"},
	    {"memory-backend-ram,id=a,size=1M,prealloc=on,reserve=off",
	     "'prealloc=on' and 'reserve=off' are incompatible"},
	};
	struct config_memdev md;
	struct kverr err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (config_memdev_parse(&md, cases[i].arg, MEMDEV_FROM_MONITOR, &err) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].arg);
		if (strcmp(err.msg, cases[i].msg))
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].arg, err.msg,
				 cases[i].msg);
	}
	/* the command line words the same refusal its own way */
	assert_int_equal(
	    config_memdev_parse(&md, "memory-backend-ram,size=1M", MEMDEV_FROM_CMDLINE, &err),
	    -EINVAL);
	assert_string_equal(err.msg,
			    "-object memory-backend-ram,size=1M: parameter 'id' is missing");
}

/* What the monitor accepts is what -object accepts, property by property. */
static void test_monitor_same_result(void **state)
{
	static const char arg[] =
	    "memory-backend-memfd,id=m1,size=2G,share=off,prealloc=on,"
	    "prealloc-threads=4,merge=off,dump=off,host-nodes=0-1,"
	    "host-nodes=3,policy=interleave,hugetlb=on,hugetlbsize=2M,seal=off";
	struct config_memdev a, b, c;
	struct kverr err;

	(void)state;
	assert_int_equal(config_memdev_parse(&a, arg, MEMDEV_FROM_MONITOR, &err), 0);
	assert_int_equal(config_memdev_parse(&b, arg, MEMDEV_FROM_CMDLINE, &err), 0);
	assert_string_equal(a.id, "m1");
	assert_int_equal(a.type, MEMDEV_MEMFD);
	assert_int_equal(a.size, 2 * GiB);
	assert_int_equal(a.host_nodes, 0xb);
	assert_int_equal(a.policy, MEMDEV_POLICY_INTERLEAVE);
	assert_int_equal(a.prealloc_threads, 4);
	assert_true(a.prealloc && a.hugetlb && !a.share && !a.merge && !a.dump && !a.seal);
	assert_int_equal(a.hugetlbsize, 2 * MiB);
	assert_string_equal(a.id, b.id);
	assert_int_equal(a.type, b.type);
	assert_int_equal(a.size, b.size);
	assert_int_equal(a.host_nodes, b.host_nodes);
	assert_int_equal(a.policy, b.policy);
	assert_int_equal(a.prealloc_threads, b.prealloc_threads);
	assert_int_equal(a.hugetlbsize, b.hugetlbsize);
	assert_true(a.share == b.share && a.prealloc == b.prealloc && a.merge == b.merge &&
		    a.dump == b.dump && a.reserve == b.reserve && a.hugetlb == b.hugetlb &&
		    a.seal == b.seal);
	config_memdev_free(&b);
	assert_int_equal(config_memdev_copy(&c, &a, &err), 0);
	assert_ptr_not_equal(c.id, a.id);
	assert_string_equal(c.id, "m1");
	assert_null(c.mem_path);
	config_memdev_free(&a);
	config_memdev_free(&c);
	assert_null(c.id);

	assert_int_equal(config_memdev_parse(&a, "memory-backend-file,id=f,size=4M,mem-path=/a,,b",
					     MEMDEV_FROM_MONITOR, &err),
			 0);
	assert_string_equal(a.mem_path, "/a,b");
	assert_int_equal(config_memdev_copy(&c, &a, &err), 0);
	assert_string_equal(c.mem_path, "/a,b");
	config_memdev_free(&a);
	config_memdev_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_per_type),
	    cmocka_unit_test(test_every_property),
	    cmocka_unit_test(test_machine_memory_backend),
	    cmocka_unit_test(test_qemu_only_properties),
	    cmocka_unit_test(test_memfd_page_multiple),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_implicit),
	    cmocka_unit_test(test_json_object),
	    cmocka_unit_test(test_monitor_errors),
	    cmocka_unit_test(test_secret_monitor),
	    cmocka_unit_test(test_monitor_same_result),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
