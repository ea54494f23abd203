/* test_config.c - the command line as a user types it: QEMU sizes, -m and
 * -smp semantics (checked against what QEMU 7.2 computes for pc), and one
 * precise error line for every kind of bad input. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cmocka.h>

#include "config/config.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define PiB (1ULL << 50)
#define EiB (1ULL << 60)

/* Real files stand in for the kernel and initrd: parsing opens them. */
static char kernel_path[] = "/tmp/kvmem-test-kernel-XXXXXX";
static char initrd_path[] = "/tmp/kvmem-test-initrd-XXXXXX";

static int make_file(char *tmpl)
{
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	if (write(fd, "MZ", 2) != 2) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int group_setup(void **state)
{
	(void)state;
	return make_file(kernel_path) || make_file(initrd_path) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(kernel_path);
	unlink(initrd_path);
	return 0;
}

#define MAX_ARGS 32

/* Parse "kvmem [-kernel <tmpfile>] args..." (args NULL-terminated). */
static int run(struct config *cfg, struct kverr *err, int with_kernel, const char *const *args)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	argv[argc++] = "kvmem";
	if (with_kernel) {
		argv[argc++] = "-kernel";
		argv[argc++] = kernel_path;
	}
	for (; *args; args++) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return config_parse(cfg, argc, argv, err);
}

#define PARSE(cfg, err, ...) run(cfg, err, 1, (const char *const[]){__VA_ARGS__, NULL})
#define PARSE_BARE(cfg, err, ...) run(cfg, err, 0, (const char *const[]){__VA_ARGS__, NULL})

/* ---- sizes ---- */

struct size_case {
	const char *s;
	uint64_t unit;
	int ret;
	uint64_t bytes;
};

static void test_size_suffixes(void **state)
{
	static const struct size_case cases[] = {
	    {"512", 1, 0, 512},
	    {"512", MiB, 0, 512 * MiB},
	    {"4G", MiB, 0, 4 * GiB},
	    {"4g", 1, 0, 4 * GiB},
	    {"4194304k", 1, 0, 4 * GiB},
	    {"4194304K", 1, 0, 4 * GiB},
	    {"1.5G", 1, 0, 3 * GiB / 2},
	    {"1.5g", 1, 0, 3 * GiB / 2},
	    {"0.5K", 1, 0, 512},
	    {"1.K", 1, 0, KiB},
	    {"1.0", 1, 0, 1},			     /* a zero fraction needs no unit */
	    {"0.1K", 1, 0, 102},		     /* 102.4 bytes, truncated */
	    {"1.99999999999999999999K", 1, 0, 2047}, /* beyond a double */
	    {"1.0009765625K", 1, 0, 1025},	     /* 1/1024 K is one byte */
	    {"0.333333333333333333333333G", 1, 0, 357913941},
	    {"1.5", MiB, 0, 3 * MiB / 2}, /* the unit may come from the caller */
	    {"7B", MiB, 0, 7},
	    {"2T", 1, 0, 2 * TiB},
	    {"3p", 1, 0, 3 * PiB},
	    {"15E", 1, 0, 15 * EiB},
	    {"010", 1, 0, 10}, /* decimal, never octal */
	    {"0x1000", 1, 0, 4096},
	    {"0x10", MiB, 0, 16 * MiB},
	    {"0xfB", 1, 0, 0xfb}, /* B is a hex digit here, not bytes */
	    {"18446744073709551615", 1, 0, UINT64_MAX},
	    {"", 1, -EINVAL, 0},
	    {"12X", MiB, -EINVAL, 0},
	    {"-1", 1, -EINVAL, 0},
	    {"+1", 1, -EINVAL, 0},
	    {" 1", 1, -EINVAL, 0},
	    {"1 ", 1, -EINVAL, 0},
	    {"1.5", 1, -EINVAL, 0},
	    {"1.5B", MiB, -EINVAL, 0},
	    {"1e3", 1, -EINVAL, 0},
	    {"1KB", 1, -EINVAL, 0},
	    {".", 1, -EINVAL, 0},
	    {".5M", 1, -EINVAL, 0}, /* QEMU wants a digit before the fraction */
	    {".25G", MiB, -EINVAL, 0},
	    {".0", 1, -EINVAL, 0},
	    {"1.", 1, 0, 1}, /* but none after it */
	    {"K", 1, -EINVAL, 0},
	    {"0x", 1, -EINVAL, 0},
	    {"0x20M", 1, -EINVAL, 0},
	    {"0x1.8", 1, -EINVAL, 0},
	    {"16E", 1, -ERANGE, 0},
	    {"17179869184G", 1, -ERANGE, 0},
	    {"18446744073709551616", 1, -ERANGE, 0},
	    {"0x10000000000000000", 1, -ERANGE, 0},
	    {"0x100000000000", MiB, -ERANGE, 0},
	    {"16777216T", 1, -ERANGE, 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t out = 0xdead;
		int ret = config_parse_size(cases[i].s, cases[i].unit, &out);

		print_message("size '%s' unit %llu\n", cases[i].s,
			      (unsigned long long)cases[i].unit);
		assert_int_equal(ret, cases[i].ret);
		if (ret == 0)
			assert_int_equal(out, cases[i].bytes);
		else
			assert_int_equal(out, 0xdead); /* untouched on error */
	}
}

/* ---- -m ---- */

struct mem_case {
	const char *args[6];
	uint64_t size, maxmem;
	uint32_t slots;
};

static void test_m_variants(void **state)
{
	static const struct mem_case cases[] = {
	    {{NULL}, 128 * MiB, 128 * MiB, 0}, /* QEMU's default */
	    {{"-m", "512"}, 512 * MiB, 512 * MiB, 0},
	    {{"-m", "4G"}, 4 * GiB, 4 * GiB, 0},
	    {{"-m", "size=2g"}, 2 * GiB, 2 * GiB, 0},
	    {{"-m", "4194304k"}, 4 * GiB, 4 * GiB, 0},
	    {{"-m", "1.5G"}, 3 * GiB / 2, 3 * GiB / 2, 0},
	    {{"-m", "1.0"}, MiB, MiB, 0},
	    {{"-m", "1000k"}, 1000 * KiB, 1000 * KiB, 0},
	    {{"-m", "1001k"}, 1008 * KiB, 1008 * KiB, 0}, /* up to 8 KiB */
	    {{"-m", "1B"}, 8 * KiB, 8 * KiB, 0},
	    {{"-m", "0x100"}, 256 * MiB, 256 * MiB, 0}, /* plain hex: MiB */
	    {{"-m", "1G,slots=4,maxmem=8G"}, GiB, 8 * GiB, 4},
	    {{"-m", "size=1G,maxmem=8G,slots=0x10"}, GiB, 8 * GiB, 16},
	    {{"-m", "1G,maxmem=1G"}, GiB, GiB, 0},
	    /* QEMU 7.2: a device-memory region for virtio-mem, no DIMM slot */
	    {{"-m", "1G,maxmem=8G"}, GiB, 8 * GiB, 0},
	    {{"-m", "1G,maxmem=1G,slots=0"}, GiB, GiB, 0},
	    {{"-m", "1,maxmem=1048576"}, MiB, MiB, 0}, /* plain maxmem: bytes */
	    {{"-m", "4G,maxmem=8G,slots=255"}, 4 * GiB, 8 * GiB, 255},
	    {{"-m", "maxmem=4G,slots=2"}, 128 * MiB, 4 * GiB, 2},
	    {{"-m", "1G,"}, GiB, GiB, 0},
	    {{"-m", "1G", "-m", "2G"}, 2 * GiB, 2 * GiB, 0},		/* last wins */
	    {{"-m", "1G", "-m", "maxmem=4G,slots=2"}, GiB, 4 * GiB, 2}, /* merged */
	    {{"--m", "3G"}, 3 * GiB, 3 * GiB, 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mem_case *c = &cases[i];
		struct config cfg;
		struct kverr err;
		const char *const *a = c->args;

		print_message("-m case %zu: %s %s %s %s\n", i, a[0] ? a[0] : "", a[1] ? a[1] : "",
			      a[2] ? a[2] : "", a[3] ? a[3] : "");
		assert_int_equal(run(&cfg, &err, 1, a), 0);
		assert_int_equal(cfg.mem.size, c->size);
		assert_int_equal(cfg.mem.maxmem, c->maxmem);
		assert_int_equal(cfg.mem.slots, c->slots);
		config_free(&cfg);
	}
}

/* ---- -smp ---- */

struct smp_case {
	const char *args[5];
	uint32_t cpus, sockets, dies, cores, threads, maxcpus;
};

/* Expected values are what QEMU 7.2 computes for the pc machine (cores
 * preferred over sockets), as listed in QEMU's tests/unit/test-smp-parse.c
 * "prefer_cores" column, plus dies, merging and number syntax. */
static void test_smp_matrix(void **state)
{
	static const struct smp_case cases[] = {
	    {{NULL}, 1, 1, 1, 1, 1, 1},
	    {{"-smp", "4"}, 4, 1, 1, 4, 1, 4},
	    {{"-smp", "cpus=4"}, 4, 1, 1, 4, 1, 4},
	    {{"-smp", "8"}, 8, 1, 1, 8, 1, 8},
	    {{"-smp", "sockets=2"}, 2, 2, 1, 1, 1, 2},
	    {{"-smp", "cores=4"}, 4, 1, 1, 4, 1, 4},
	    {{"-smp", "threads=2"}, 2, 1, 1, 1, 2, 2},
	    {{"-smp", "maxcpus=16"}, 16, 1, 1, 16, 1, 16},
	    {{"-smp", "8,sockets=2"}, 8, 2, 1, 4, 1, 8},
	    {{"-smp", "8,cores=4"}, 8, 2, 1, 4, 1, 8},
	    {{"-smp", "8,threads=2"}, 8, 1, 1, 4, 2, 8},
	    {{"-smp", "8,maxcpus=16"}, 8, 1, 1, 16, 1, 16},
	    {{"-smp", "sockets=2,cores=4"}, 8, 2, 1, 4, 1, 8},
	    {{"-smp", "sockets=2,threads=2"}, 4, 2, 1, 1, 2, 4},
	    {{"-smp", "sockets=2,maxcpus=16"}, 16, 2, 1, 8, 1, 16},
	    {{"-smp", "cores=4,threads=2"}, 8, 1, 1, 4, 2, 8},
	    {{"-smp", "cores=4,maxcpus=16"}, 16, 4, 1, 4, 1, 16},
	    {{"-smp", "threads=2,maxcpus=16"}, 16, 1, 1, 8, 2, 16},
	    {{"-smp", "8,sockets=2,cores=4"}, 8, 2, 1, 4, 1, 8},
	    {{"-smp", "8,sockets=2,threads=2"}, 8, 2, 1, 2, 2, 8},
	    {{"-smp", "8,sockets=2,maxcpus=16"}, 8, 2, 1, 8, 1, 16},
	    {{"-smp", "8,cores=4,threads=2"}, 8, 1, 1, 4, 2, 8},
	    {{"-smp", "8,cores=4,maxcpus=16"}, 8, 4, 1, 4, 1, 16},
	    {{"-smp", "8,threads=2,maxcpus=16"}, 8, 1, 1, 8, 2, 16},
	    {{"-smp", "sockets=2,cores=4,threads=2"}, 16, 2, 1, 4, 2, 16},
	    {{"-smp", "sockets=2,cores=4,maxcpus=16"}, 16, 2, 1, 4, 2, 16},
	    {{"-smp", "sockets=2,threads=2,maxcpus=16"}, 16, 2, 1, 4, 2, 16},
	    {{"-smp", "cores=4,threads=2,maxcpus=16"}, 16, 2, 1, 4, 2, 16},
	    {{"-smp", "8,sockets=2,cores=4,threads=1"}, 8, 2, 1, 4, 1, 8},
	    {{"-smp", "8,sockets=2,cores=4,maxcpus=16"}, 8, 2, 1, 4, 2, 16},
	    {{"-smp", "8,sockets=2,threads=2,maxcpus=16"}, 8, 2, 1, 4, 2, 16},
	    {{"-smp", "8,cores=4,threads=2,maxcpus=16"}, 8, 2, 1, 4, 2, 16},
	    {{"-smp", "sockets=2,cores=4,threads=2,maxcpus=16"}, 16, 2, 1, 4, 2, 16},
	    {{"-smp", "8,sockets=2,cores=4,threads=2,maxcpus=16"}, 8, 2, 1, 4, 2, 16},
	    {{"-smp", "8,dies=2"}, 8, 1, 2, 4, 1, 8},
	    {{"-smp", "16,sockets=2,dies=2,threads=2"}, 16, 2, 2, 2, 2, 16},
	    {{"-smp", "4,clusters=1"}, 4, 1, 1, 4, 1, 4},
	    {{"-smp", "255"}, 255, 1, 1, 255, 1, 255},
	    {{"-smp", "1,maxcpus=255"}, 1, 1, 1, 255, 1, 255},
	    {{"-smp", "0x10"}, 16, 1, 1, 16, 1, 16}, /* QEMU numbers: base 0 */
	    {{"-smp", "010"}, 8, 1, 1, 8, 1, 8},
	    {{"-smp", "8", "-smp", "sockets=2"}, 8, 2, 1, 4, 1, 8}, /* merged */
	    {{"-smp", "2", "-smp", "4"}, 4, 1, 1, 4, 1, 4},
	    {{"--smp", "2"}, 2, 1, 1, 2, 1, 2},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct smp_case *c = &cases[i];
		struct config cfg;
		struct kverr err;

		print_message("-smp %s %s\n", c->args[1] ? c->args[1] : "(none)",
			      c->args[3] ? c->args[3] : "");
		assert_int_equal(run(&cfg, &err, 1, c->args), 0);
		assert_int_equal(cfg.smp.cpus, c->cpus);
		assert_int_equal(cfg.smp.sockets, c->sockets);
		assert_int_equal(cfg.smp.dies, c->dies);
		assert_int_equal(cfg.smp.cores, c->cores);
		assert_int_equal(cfg.smp.threads, c->threads);
		assert_int_equal(cfg.smp.maxcpus, c->maxcpus);
		assert_int_equal((uint64_t)cfg.smp.sockets * cfg.smp.dies * cfg.smp.cores *
				     cfg.smp.threads,
				 cfg.smp.maxcpus);
		config_free(&cfg);
	}
}

/* ---- errors ---- */

struct err_case {
	int with_kernel;
	const char *args[7];
	const char *must[4]; /* substrings the one-line message must hold */
};

static void test_errors(void **state)
{
	static const struct err_case cases[] = {
	    /* -m */
	    {1, {"-m", "12X"}, {"-m", "'12X'"}},
	    {1, {"-m", "0"}, {"-m", "'0'", "greater than 0"}},
	    {1, {"-m", "0G"}, {"-m", "'0G'"}},
	    {1, {"-m", "1.5"}, {"-m", "'1.5'"}},
	    {1, {"-m", "-1"}, {"-m", "'-1'"}},
	    {1, {"-m", "99999999E"}, {"-m", "'99999999E'", "too large"}},
	    {1, {"-m", "18446744073709551615B"}, {"-m", "too large"}},
	    {1, {"-m", "size="}, {"-m", "''"}},
	    {1, {"-m", "1G,maxmem=512M"}, {"-m", "maxmem=512M", "0x20000000", "0x40000000"}},
	    {1, {"-m", "1G,maxmem=4096,slots=1"}, {"-m", "maxmem=4096", "0x1000"}},
	    {1, {"-m", "1001k,maxmem=1001k"}, {"-m", "maxmem=1001k"}}, /* size aligned up */
	    {1, {"-m", "1G,maxmem=4Q"}, {"-m", "maxmem", "'4Q'"}},
	    {1, {"-m", "1G,slots=4"}, {"-m", "slots=4", "without maxmem"}},
	    {1, {"-m", "1G,slots=0"}, {"-m", "slots=0", "without maxmem"}},
	    {1, {"-m", "1G,maxmem=1G,slots=2"}, {"-m", "slots=2", "maxmem=1G", "equal"}},
	    {1, {"-m", "1G,maxmem=4G,slots=256"}, {"-m", "slots=256", "255"}},
	    {1, {"-m", "1G,maxmem=4G,slots=x"}, {"-m", "slots", "'x'"}},
	    {1, {"-m", "1G,foo=1"}, {"-m", "'foo'"}},
	    {1, {"-m", "1G,slots"}, {"-m", "'slots'", "needs a value"}},
	    {1, {"-m", "4G,8G"}, {"-m", "'8G'"}},
	    /* a quoted value keeps the message on one line: control characters
	     * come back escaped */
	    {1, {"-m", "1\nG"}, {"-m: invalid size '1\\nG'"}},
	    {1, {"-m", "1G,\r\tx=1"}, {"-m: unsupported parameter '\\r\\tx'"}},
	    {1, {"-smp", "2,\x1b[2J=1"}, {"-smp: unsupported parameter '\\x1b[2J'"}},
	    {1, {"-numa", "node,mem=1\n\x7f"}, {"invalid mem '1\\n\\x7f'"}},
	    /* -smp */
	    {1, {"-smp", "0"}, {"-smp", "cpus=0", "greater than zero"}},
	    {1, {"-smp", "4,sockets=0"}, {"-smp", "sockets=0", "greater than zero"}},
	    {1, {"-smp", "x"}, {"-smp", "'x'"}},
	    {1, {"-smp", "4,cores=-1"}, {"-smp", "cores", "'-1'"}},
	    {1, {"-smp", "99999999999"}, {"-smp", "'99999999999'", "too large"}},
	    {1, {"-smp", "4,foo=2"}, {"-smp", "'foo'"}},
	    {1, {"-smp", "2,modules=1"}, {"-smp", "'modules'"}},
	    {1, {"-smp", "4,8"}, {"-smp", "'8'"}},
	    {1,
	     {"-smp", "8,sockets=3"},
	     {"-smp 8,sockets=3", "Invalid CPU topology: product of the hierarchy",
	      "sockets (3) * dies (1) * cores (2) * threads (1) != maxcpus (8)"}},
	    {1,
	     {"-smp", "8,sockets=2,cores=4,threads=2,maxcpus=8"},
	     {"-smp 8,sockets=2,cores=4,threads=2,maxcpus=8",
	      "sockets (2) * dies (1) * cores (4) * threads (2) != maxcpus (8)"}},
	    {1,
	     {"-smp", "16,sockets=2,dies=2,cores=4,threads=2,maxcpus=16"},
	     {"-smp 16,", "sockets (2) * dies (2) * cores (4) * threads (2) != maxcpus (16)"}},
	    {1,
	     {"-smp", "18,sockets=2,cores=4,threads=2,maxcpus=16"},
	     {"-smp 18,", "maxcpus must be equal to or greater than smp",
	      "== maxcpus (16) < smp_cpus (18)"}},
	    {1, {"-smp", "2,sockets=4"}, {"-smp 2,sockets=4", "cores (0)"}},
	    {1, {"-smp", "256"}, {"-smp 256", "Invalid SMP CPUs 256", "255"}},
	    {1, {"-smp", "4,maxcpus=300"}, {"-smp 4,maxcpus=300", "300"}},
	    {1,
	     {"-smp", "sockets=65536,dies=65536,cores=65536,threads=65536"},
	     {"-smp sockets=65536", "Invalid SMP CPUs"}},
	    {1, {"-smp", "2,clusters=2"}, {"-smp 2,clusters=2", "clusters > 1"}},
	    {1, {"-smp", "8", "-smp", "sockets=3"}, {"-smp sockets=3", "merged", "sockets (3)"}},
	    /* -serial, -name */
	    {1, {"-serial", "pty"}, {"-serial", "'pty'"}},
	    {1, {"-serial", "file:"}, {"-serial", "'file:'"}},
	    {1, {"-serial", "stdio", "-serial", "none"}, {"-serial none", "-serial stdio"}},
	    {1, {"-name", "guest=a,process=b"}, {"-name", "'process'"}},
	    /* -qmp, -monitor */
	    {1, {"-qmp", "unix:/tmp/q"}, {"-qmp unix:/tmp/q", "server=on"}},
	    {1, {"-qmp", "unix:/tmp/q,server=off"}, {"-qmp", "server=on"}},
	    {1, {"-qmp", "pty"}, {"-qmp", "'pty'"}},
	    {1, {"-qmp", "unix:"}, {"-qmp", "needs a path"}},
	    {1, {"-qmp", "unix:/q,server=on,wait=maybe"}, {"-qmp", "'wait'", "'on' or 'off'"}},
	    {1, {"-qmp", "unix:/q,server=on,wait"}, {"-qmp", "'wait'", "'on' or 'off'"}},
	    {1, {"-qmp", "unix:/q,server=on,nodelay=on"}, {"-qmp", "'nodelay'"}},
	    {1, {"-qmp", "tcp:localhost,server=on"}, {"-qmp", "tcp:HOST:PORT"}},
	    {1, {"-qmp", "tcp::99999,server=on"}, {"-qmp", "'99999'", "65535"}},
	    {1, {"-qmp", "tcp::x,server=on"}, {"-qmp", "'x'"}},
	    {1, {"-monitor", "stdio"}, {"-monitor stdio", "multiple character devices", "-serial"}},
	    {1,
	     {"-serial", "none", "-qmp", "stdio", "-qmp", "stdio"},
	     {"-qmp stdio", "multiple character devices"}},
	    /* options */
	    {1, {"-foo"}, {"-foo: unsupported option"}},
	    {1, {"--foo", "1"}, {"--foo: unsupported option"}},
	    {1, {"-"}, {"-: unsupported option"}},
	    {1, {"-M", "q35"}, {"-machine", "unsupported machine type 'q35'"}},
	    {1, {"disk.img"}, {"disk.img", "unexpected argument"}},
	    {1, {"-m"}, {"-m: missing value"}},
	    {1, {"-no-reboot", "--smp"}, {"-smp: missing value"}},
	    {1, {"-append"}, {"-append: missing value"}},
	    /* -action: QEMU 7.2's messages */
	    {1,
	     {"-action", "reboot=foo"},
	     {"-action reboot=foo: Parameter 'reboot' does not accept value 'foo'"}},
	    {1,
	     {"-action", "shutdown=reset"},
	     {"-action shutdown=reset: Parameter 'shutdown' does not accept value 'reset'"}},
	    {1,
	     {"-action", "panic=reset"},
	     {"-action panic=reset: Parameter 'panic' does not accept value 'reset'"}},
	    {1,
	     {"-action", "watchdog=foo"},
	     {"-action watchdog=foo: Parameter 'watchdog' does not accept value 'foo'"}},
	    {1, {"-action", "bogus=1"}, {"-action bogus=1: Invalid parameter 'bogus'"}},
	    {1,
	     {"-action", "reboot"},
	     {"-action reboot: Parameter 'reboot' does not accept value 'on'"}},
	    {1, {"-action"}, {"-action: missing value"}},
	    /* files */
	    {0, {"-m", "1G"}, {"-kernel", "missing"}},
	    {0, {"-initrd", "/etc/hostname"}, {"-kernel", "missing"}},
	    {0,
	     {"-kernel", "/nonexistent/bzImage"},
	     {"-kernel", "'/nonexistent/bzImage'", "No such file or directory"}},
	    {0, {"-kernel", "/tmp"}, {"-kernel", "'/tmp'", "Is a directory"}},
	    {0, {"-kernel", "/dev/null"}, {"-kernel", "'/dev/null'", "not a regular file"}},
	    {1,
	     {"-initrd", "/nonexistent/initrd.img"},
	     {"-initrd", "'/nonexistent/initrd.img'", "No such file or directory"}},
	    /* QEMU order: an error before -h is still reported */
	    {1, {"-m", "12X", "-h"}, {"-m", "'12X'"}},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		struct config cfg;
		struct kverr err;

		print_message("error case %zu: %s %s\n", i, c->args[0],
			      c->args[1] ? c->args[1] : "");
		assert_int_equal(run(&cfg, &err, c->with_kernel, c->args), -EINVAL);
		print_message("  -> %s\n", err.msg);
		assert_non_null(err.msg[0] ? err.msg : NULL);
		for (const char *ch = err.msg; *ch; ch++)
			assert_true((unsigned char)*ch >= 0x20 && *ch != 0x7f);
		for (int j = 0; j < 4 && c->must[j]; j++)
			assert_non_null(strstr(err.msg, c->must[j]));
		/* a failed parse leaves nothing to free */
		assert_null(cfg.name_buf);
	}
}

/* Root opens any file.  To see what a user without the permission sees,
 * the parse runs without the two capabilities that let root past file
 * permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), dropped from the
 * effective set only and raised again after; a user who does not have them
 * loses nothing.  So the case runs as root (CI) and as anyone else. */
static int dac_override(bool on)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const uint32_t mask = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (on)
		data[0].effective |= mask & data[0].permitted;
	else
		data[0].effective &= ~mask;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static void test_unreadable_kernel(void **state)
{
	char path[] = "/tmp/kvmem-test-noread-XXXXXX";
	struct config cfg;
	struct kverr err;
	int ret, fd, open_errno;
	(void)state;

	assert_int_equal(make_file(path), 0);
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(dac_override(false), 0);
	fd = open(path, O_RDONLY);
	open_errno = errno;
	ret = PARSE_BARE(&cfg, &err, "-kernel", path);
	assert_int_equal(dac_override(true), 0);
	unlink(path);
	/* the file really was unreadable for this process */
	assert_int_equal(fd, -1);
	assert_int_equal(open_errno, EACCES);
	assert_int_equal(ret, -EINVAL);
	assert_non_null(strstr(err.msg, "Permission denied"));
	assert_non_null(strstr(err.msg, path));
}

/* QemuOpts parses an empty value as an empty list, so QEMU 7.2 takes
 * -m '', -smp '', -machine '' and -name '' and changes nothing. */
static void test_empty_values(void **state)
{
	struct config cfg;
	struct kverr err;
	(void)state;

	assert_int_equal(PARSE(&cfg, &err, "-m", "", "-smp", "", "-machine", "", "-name", ""), 0);
	assert_int_equal(cfg.mem.size, 128 * MiB);
	assert_int_equal(cfg.smp.cpus, 1);
	assert_int_equal(cfg.smp.maxcpus, 1);
	assert_null(cfg.machine_memdev);
	assert_null(cfg.name);
	config_free(&cfg);

	/* an empty value keeps what came before it */
	assert_int_equal(PARSE(&cfg, &err, "-m", "1G,slots=2,maxmem=4G", "-m", "", "-smp",
			       "4,sockets=2", "-smp", "", "-name", "vm", "-name", ""),
			 0);
	assert_int_equal(cfg.mem.size, GiB);
	assert_int_equal(cfg.mem.maxmem, 4 * GiB);
	assert_int_equal(cfg.mem.slots, 2);
	assert_int_equal(cfg.smp.cpus, 4);
	assert_int_equal(cfg.smp.sockets, 2);
	assert_string_equal(cfg.name, "vm");
	config_free(&cfg);

	/* messages name the last -smp that said something */
	assert_int_equal(PARSE(&cfg, &err, "-smp", "8,sockets=3", "-smp", ""), -EINVAL);
	assert_non_null(strstr(err.msg, "-smp 8,sockets=3: Invalid CPU topology"));

	/* one empty element is not an empty list: QEMU refuses these too */
	assert_int_equal(PARSE(&cfg, &err, "-m", ","), -EINVAL);
	assert_non_null(strstr(err.msg, "-m: invalid size ''"));
	assert_int_equal(PARSE(&cfg, &err, "-smp", ","), -EINVAL);
	assert_int_equal(PARSE(&cfg, &err, "-numa", ""), -EINVAL);
	assert_int_equal(PARSE(&cfg, &err, "-object", ""), -EINVAL);
}

/* ---- everything else ---- */

static void test_strings_and_flags(void **state)
{
	struct config cfg;
	struct kverr err;
	(void)state;

	assert_int_equal(PARSE(&cfg, &err, NULL), 0);
	assert_int_equal(cfg.action, CONFIG_RUN);
	assert_string_equal(cfg.kernel, kernel_path);
	assert_null(cfg.initrd);
	assert_string_equal(cfg.append, "");
	assert_int_equal(cfg.serial, SERIAL_STDIO);
	assert_false(cfg.nographic);
	/* QEMU's default actions */
	assert_int_equal(cfg.on.reboot, CONFIG_REBOOT_RESET);
	assert_int_equal(cfg.on.shutdown, CONFIG_SHUTDOWN_POWEROFF);
	assert_int_equal(cfg.on.panic, CONFIG_PANIC_SHUTDOWN);
	assert_int_equal(cfg.on.watchdog, CONFIG_WATCHDOG_RESET);
	assert_null(cfg.name);
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &err, "-initrd", initrd_path, "-append",
			       "console=ttyS0 root=/dev/vda,rw", "-no-reboot", "-name", "vm1"),
			 0);
	assert_string_equal(cfg.initrd, initrd_path);
	assert_string_equal(cfg.append, "console=ttyS0 root=/dev/vda,rw");
	assert_int_equal(cfg.on.reboot, CONFIG_REBOOT_SHUTDOWN);
	assert_string_equal(cfg.name, "vm1");
	config_free(&cfg);
	assert_null(cfg.name);

	assert_int_equal(PARSE(&cfg, &err, "-name", "guest=web,,1"), 0);
	assert_string_equal(cfg.name, "web,1"); /* ",," is QEMU's escaped comma */
	config_free(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-name", "a", "--name", "guest=b"), 0);
	assert_string_equal(cfg.name, "b");
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &err, "-serial", "file:/tmp/kvmem-console.log"), 0);
	assert_int_equal(cfg.serial, SERIAL_FILE);
	assert_string_equal(cfg.serial_path, "/tmp/kvmem-console.log");
	assert_int_equal(access("/tmp/kvmem-console.log", F_OK), -1); /* not created */
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &err, "-nographic"), 0);
	assert_true(cfg.nographic);
	assert_int_equal(cfg.serial, SERIAL_STDIO);
	config_free(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-serial", "none", "--nographic"), 0);
	assert_true(cfg.nographic);
	assert_int_equal(cfg.serial, SERIAL_NONE);
	config_free(&cfg);

	/* the last -kernel wins, and only it must exist */
	assert_int_equal(PARSE_BARE(&cfg, &err, "-kernel", "/nonexistent", "--kernel", kernel_path),
			 0);
	assert_string_equal(cfg.kernel, kernel_path);
	config_free(&cfg);
}

/* -action, -no-reboot and -no-shutdown, as QEMU 7.2 takes them: every
 * value of every key, the last one given winning, an empty list. */
static void test_actions(void **state)
{
	static const struct {
		const char *arg;
		struct config_run_actions want;
	} cases[] = {
	    {"reboot=shutdown",
	     {CONFIG_REBOOT_SHUTDOWN, CONFIG_SHUTDOWN_POWEROFF, CONFIG_PANIC_SHUTDOWN,
	      CONFIG_WATCHDOG_RESET}},
	    {"reboot=reset,shutdown=pause",
	     {CONFIG_REBOOT_RESET, CONFIG_SHUTDOWN_PAUSE, CONFIG_PANIC_SHUTDOWN,
	      CONFIG_WATCHDOG_RESET}},
	    {"shutdown=poweroff,panic=pause",
	     {CONFIG_REBOOT_RESET, CONFIG_SHUTDOWN_POWEROFF, CONFIG_PANIC_PAUSE,
	      CONFIG_WATCHDOG_RESET}},
	    {"panic=exit-failure,watchdog=inject-nmi",
	     {CONFIG_REBOOT_RESET, CONFIG_SHUTDOWN_POWEROFF, CONFIG_PANIC_EXIT_FAILURE,
	      CONFIG_WATCHDOG_INJECT_NMI}},
	    {"panic=none,watchdog=none",
	     {CONFIG_REBOOT_RESET, CONFIG_SHUTDOWN_POWEROFF, CONFIG_PANIC_NONE,
	      CONFIG_WATCHDOG_NONE}},
	    {"watchdog=shutdown", {0, 0, CONFIG_PANIC_SHUTDOWN, CONFIG_WATCHDOG_SHUTDOWN}},
	    {"watchdog=poweroff", {0, 0, CONFIG_PANIC_SHUTDOWN, CONFIG_WATCHDOG_POWEROFF}},
	    {"watchdog=pause", {0, 0, CONFIG_PANIC_SHUTDOWN, CONFIG_WATCHDOG_PAUSE}},
	    {"watchdog=debug", {0, 0, CONFIG_PANIC_SHUTDOWN, CONFIG_WATCHDOG_DEBUG}},
	    {"reboot=reset,reboot=shutdown", {CONFIG_REBOOT_SHUTDOWN, 0, CONFIG_PANIC_SHUTDOWN, 0}},
	    {"", {0, 0, CONFIG_PANIC_SHUTDOWN, 0}},
	};
	struct config cfg;
	struct kverr err;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (PARSE(&cfg, &err, "-action", cases[i].arg) != 0)
			fail_msg("-action '%s': %s", cases[i].arg, err.msg);
		assert_memory_equal(&cfg.on, &cases[i].want, sizeof(cfg.on));
		config_free(&cfg);
	}
	/* given twice, as QEMU merges them: key by key, the last one wins */
	assert_int_equal(
	    PARSE(&cfg, &err, "-action", "reboot=shutdown", "-action", "shutdown=pause"), 0);
	assert_int_equal(cfg.on.reboot, CONFIG_REBOOT_SHUTDOWN);
	assert_int_equal(cfg.on.shutdown, CONFIG_SHUTDOWN_PAUSE);
	config_free(&cfg);
	/* the older options are the same actions */
	assert_int_equal(PARSE(&cfg, &err, "-no-reboot", "-no-shutdown"), 0);
	assert_int_equal(cfg.on.reboot, CONFIG_REBOOT_SHUTDOWN);
	assert_int_equal(cfg.on.shutdown, CONFIG_SHUTDOWN_PAUSE);
	config_free(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-no-reboot", "-action", "reboot=reset"), 0);
	assert_int_equal(cfg.on.reboot, CONFIG_REBOOT_RESET);
	config_free(&cfg);
}

static void test_monitors(void **state)
{
	struct config cfg;
	struct kverr err;
	(void)state;

	assert_int_equal(PARSE(&cfg, &err, NULL), 0);
	assert_int_equal(cfg.nr_monitors, 0);
	assert_false(cfg.start_paused);
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &err, "-S", "-qmp", "unix:/tmp/a.sock,server=on,wait=off",
			       "-monitor", "tcp:127.0.0.1:4444,server=on", "-qmp",
			       "tcp::5555,server,nowait", "-monitor", "none", "--qmp",
			       "unix:/tmp/a,,b,server=on"),
			 0);
	assert_true(cfg.start_paused);
	assert_int_equal(cfg.nr_monitors, 4); /* "none" adds nothing */
	assert_int_equal(cfg.monitor[0].mode, MONITOR_QMP);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_UNIX);
	assert_string_equal(cfg.monitor[0].path, "/tmp/a.sock");
	assert_false(cfg.monitor[0].wait);
	assert_string_equal(cfg.monitor[0].spec, "unix:/tmp/a.sock,server=on,wait=off");
	assert_int_equal(cfg.monitor[1].mode, MONITOR_HMP);
	assert_int_equal(cfg.monitor[1].kind, CHARDEV_TCP);
	assert_string_equal(cfg.monitor[1].host, "127.0.0.1");
	assert_string_equal(cfg.monitor[1].port, "4444");
	assert_true(cfg.monitor[1].wait); /* QEMU's default for a server */
	/* QEMU 7.2's legacy bare flags, and an empty host (every interface) */
	assert_string_equal(cfg.monitor[2].host, "");
	assert_string_equal(cfg.monitor[2].port, "5555");
	assert_false(cfg.monitor[2].wait);
	assert_string_equal(cfg.monitor[3].path, "/tmp/a,b"); /* ",," is a comma */
	config_free(&cfg);
	assert_int_equal(cfg.nr_monitors, 0);

	/* stdio: fine once the serial port is elsewhere */
	assert_int_equal(PARSE(&cfg, &err, "-serial", "none", "-monitor", "stdio"), 0);
	assert_int_equal(cfg.monitor[0].kind, CHARDEV_STDIO);
	config_free(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-serial", "file:/tmp/x", "-qmp", "stdio"), 0);
	assert_int_equal(cfg.monitor[0].mode, MONITOR_QMP);
	config_free(&cfg);
}

static void test_help_and_version(void **state)
{
	static const char *const help[] = {"-h", "-help", "--help", "--h"};
	struct config cfg;
	struct kverr err;
	(void)state;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(PARSE_BARE(&cfg, &err, help[i]), 0);
		assert_int_equal(cfg.action, CONFIG_HELP);
		config_free(&cfg);
	}
	assert_int_equal(PARSE_BARE(&cfg, &err, "-version"), 0);
	assert_int_equal(cfg.action, CONFIG_VERSION);
	assert_int_equal(PARSE_BARE(&cfg, &err, "--version"), 0);
	assert_int_equal(cfg.action, CONFIG_VERSION);
	/* as in QEMU, what follows -h is not looked at */
	assert_int_equal(PARSE_BARE(&cfg, &err, "-h", "-m", "12X", "-foo"), 0);
	assert_int_equal(cfg.action, CONFIG_HELP);
}

static void test_help_text(void **state)
{
	static const char *const expect[] = {"-h",
					     "-version",
					     "-m [size=]megs[,slots=n,maxmem=size]",
					     "-smp [[cpus=]n]",
					     "-kernel bzImage",
					     "-append cmdline",
					     "-initrd file",
					     "-serial stdio|file:path|none",
					     "-nographic",
					     "-name [guest=]name",
					     "-no-reboot",
					     "-no-shutdown",
					     "-action reboot=reset|shutdown",
					     "-numa node",
					     "-print-layout",
					     "-object memory-backend-",
					     "-machine [type=]pc",
					     "-S",
					     "-qmp dev",
					     "-monitor dev",
					     "-device driver",
					     "-chardev socket|file|pty|null|stdio",
					     "-mon [chardev=]ID",
					     "-add-fd fd=FD,set=SET",
					     "-accel kvm",
					     "-nodefaults",
					     "-no-user-config",
					     "-pidfile file",
					     "-daemonize",
					     "-uuid UUID",
					     "-display none",
					     "-rtc base=utc",
					     "-boot [strict=on|off]",
					     "-msg timestamp=on|off",
					     "-overcommit mem-lock=off",
					     "-audiodev none,id=ID",
					     "-cpu host|max"};
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int option_lines = 0;
	(void)state;

	assert_non_null(f);
	config_print_help(f);
	fclose(f);
	assert_non_null(strstr(buf, "kvmem"));
	assert_non_null(strstr(buf, "correct by construction"));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		assert_non_null(strstr(buf, expect[i]));
	/* one line per option, each with a description after the synopsis */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '-')
			continue;
		option_lines++;
		assert_non_null(strstr(line, "  "));
	}
	assert_int_equal(option_lines, (int)(sizeof(expect) / sizeof(expect[0])));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_suffixes),     cmocka_unit_test(test_m_variants),
	    cmocka_unit_test(test_smp_matrix),	      cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_unreadable_kernel), cmocka_unit_test(test_strings_and_flags),
	    cmocka_unit_test(test_help_and_version),  cmocka_unit_test(test_help_text),
	    cmocka_unit_test(test_monitors),	      cmocka_unit_test(test_empty_values),
	    cmocka_unit_test(test_actions),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
