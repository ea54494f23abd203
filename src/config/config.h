/* config.h - the command line as plain data.
 *
 * Owns: turning argv into struct config, with QEMU's option syntax
 * (key=value lists, QEMU size suffixes) for the options kvmem supports,
 * and every syntactic and range check that needs no other module.
 * Never: touches files beyond checking they can be opened for reading,
 * makes a syscall that changes anything, allocates guest resources.
 *
 * Strings in struct config point into argv or into memory owned by the
 * config (freed by config_free).
 */
#ifndef KVMEM_CONFIG_CONFIG_H
#define KVMEM_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define CONFIG_DEFAULT_RAM (128ULL << 20) /* QEMU's default -m */
#define CONFIG_MAX_SLOTS 255
#define CONFIG_MAX_CPUS 255 /* xAPIC ids; no x2APIC yet */

struct config_mem {
	uint64_t size;	 /* bytes, aligned up to 8 KiB as QEMU does */
	uint32_t slots;	 /* 0 when not given */
	uint64_t maxmem; /* bytes; == size when not given */
};

struct config_smp {
	uint32_t cpus;	  /* vCPUs started at boot */
	uint32_t sockets; /* all of these resolved: never 0 */
	uint32_t dies;
	uint32_t cores;	  /* per die */
	uint32_t threads; /* per core */
	uint32_t maxcpus; /* sockets * dies * cores * threads */
};

/* -object memory-backend-{ram,memfd,file},id=ID,size=N,... (QEMU's
 * spelling).  Parsed into this plain struct; src/mem/backend.c creates the
 * host memory from it.  -m alone makes kvmem create one MEMDEV_RAM itself,
 * as QEMU does, and -machine memory-backend=ID names one of these instead. */
#define CONFIG_MAX_MEMDEVS 64
#define CONFIG_MAX_HOST_NODES 64

enum memdev_type {
	MEMDEV_RAM,   /* memory-backend-ram: anonymous memory */
	MEMDEV_MEMFD, /* memory-backend-memfd */
	MEMDEV_FILE,  /* memory-backend-file,mem-path=... */
};

enum memdev_policy { /* QEMU's HostMemPolicy, applied with mbind() */
	MEMDEV_POLICY_DEFAULT,
	MEMDEV_POLICY_PREFERRED,
	MEMDEV_POLICY_BIND,
	MEMDEV_POLICY_INTERLEAVE,
};

struct config_memdev {
	char *id;
	enum memdev_type type;
	uint64_t size;             /* bytes, never 0 */
	bool share;                /* default: off for ram/file, on for memfd (QEMU's) */
	bool prealloc;
	uint32_t prealloc_threads; /* default 1 */
	bool merge;                /* MADV_MERGEABLE; QEMU's default is on */
	bool dump;                 /* off = MADV_DONTDUMP; QEMU's default is on */
	bool reserve;              /* off = MAP_NORESERVE; default on */
	uint64_t host_nodes;       /* bitmap of host NUMA nodes; 0 = none given */
	enum memdev_policy policy;
	char *mem_path;            /* MEMDEV_FILE only */
	uint64_t align;            /* MEMDEV_FILE: 0 = the file's page size */
	bool hugetlb;              /* MEMDEV_MEMFD */
	uint64_t hugetlbsize;      /* MEMDEV_MEMFD with hugetlb: 0 = default size */
	bool seal;                 /* MEMDEV_MEMFD; QEMU's default is on */
};

struct config;

/* The backend -machine memory-backend=ID (or a -numa node memdev=ID)
 * names, or NULL. */
const struct config_memdev *config_memdev_find(const struct config *cfg, const char *id);
/* "memory-backend-ram" ...; "default", "bind" ... as QEMU spells them. */
const char *config_memdev_type_name(enum memdev_type t);
const char *config_memdev_policy_name(enum memdev_policy p);
/* The anonymous backend -m alone stands for (QEMU's pc.ram): QEMU's
 * defaults except reserve=off (docs/memory-backends.md).  id is not
 * copied. */
void config_memdev_implicit(struct config_memdev *md, const char *id, uint64_t size);

enum serial_mode {
	SERIAL_STDIO, /* default, and what -nographic implies */
	SERIAL_FILE,  /* -serial file:PATH */
	SERIAL_NONE,  /* -serial none */
};

enum config_action {
	CONFIG_RUN,
	CONFIG_HELP,	/* -h / --help: print help, exit 0 */
	CONFIG_VERSION, /* --version: print version, exit 0 */
};

struct config {
	enum config_action action;
	struct config_mem mem;
	struct config_smp smp;
	const char *kernel; /* required for CONFIG_RUN */
	const char *initrd; /* NULL when absent */
	const char *append; /* "" when absent */
	enum serial_mode serial;
	const char *serial_path; /* SERIAL_FILE only */
	bool nographic;
	bool no_reboot;
	const char *name; /* NULL when absent; -name guest=foo or -name foo */
	struct config_memdev memdev[CONFIG_MAX_MEMDEVS]; /* -object memory-backend-* */
	unsigned nr_memdevs;
	const char *machine_memdev; /* -machine memory-backend=ID, NULL when absent */

	char *name_buf; /* private: storage behind name, freed by config_free */
};

/* Parse argv (argv[0] is the program name) completely: every option, the
 * cross-option checks (-m maxmem/slots, -smp topology, -kernel required)
 * and whether -kernel/-initrd can be opened for reading.  -h/-version stop
 * the scan where they appear, as in QEMU.  On error fill err with one line
 * naming the option and the offending value, free anything allocated and
 * return -EINVAL.  On success release cfg with config_free. */
int config_parse(struct config *cfg, int argc, char **argv, struct kverr *err);
void config_free(struct config *cfg);

/* Print --help text. */
void config_print_help(FILE *out);

/* Parse a QEMU size ("512", "512M", "4G", "1.5G", "4194304k", "0x1000")
 * like QEMU's qemu_strtosz: decimal with an optional fraction and one
 * suffix B/K/M/G/T/P/E (either case, powers of 1024); hexadecimal with
 * neither.  Plain numbers are in units of default_unit (1 for bytes, 1<<20
 * for -m).  A nonzero fraction needs a unit above one byte and is truncated
 * to whole bytes.  Returns 0, -EINVAL (syntax) or -ERANGE (above 2^64-1). */
int config_parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
