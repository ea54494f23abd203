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

#include "config/chardev.h"
#include "config/compat.h"
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
#define CONFIG_PAGE_SIZE 4096ULL /* the host's base page size (x86) */

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
	bool dump_given;           /* else -machine dump-guest-core's value */
	bool reserve;              /* off = MAP_NORESERVE; default on */
	uint64_t host_nodes;       /* bitmap of host NUMA nodes; 0 = none given */
	enum memdev_policy policy;
	char *mem_path;            /* MEMDEV_FILE only */
	uint64_t align;            /* MEMDEV_FILE: 0 = the file's page size */
	bool hugetlb;              /* MEMDEV_MEMFD */
	uint64_t hugetlbsize;      /* MEMDEV_MEMFD with hugetlb: 0 = default size */
	bool seal;                 /* MEMDEV_MEMFD; QEMU's default is on */
	/* MEMDEV_FILE: QEMU's discard-data, a hint that the file's contents
	 * may be dropped at exit; kvmem keeps them (QEMU may too). */
	bool discard_data;
	bool readonly; /* MEMDEV_FILE: only off is accepted */
	bool pmem;     /* MEMDEV_FILE: only off is accepted */
};

/* -numa (QEMU's spelling), parsed by src/config/numa.c into plain records
 * in command-line order.  Only what needs no other option is checked there
 * (syntax, number ranges); src/plan/numa.c checks the records against each
 * other, -m, -smp and the memdevs, and completes the topology. */
#define CONFIG_MAX_NUMA_NODES 128 /* QEMU's MAX_NODES: node ids 0-127 */

struct config_numa_range {
	uint32_t first, last; /* cpus=first-last, inclusive */
};

struct config_numa_node {
	const char *arg; /* the -numa argument, for messages */
	uint32_t nodeid; /* given, or QEMU's default: the number of earlier nodes */
	bool has_mem;
	uint64_t mem;  /* mem=: bytes (a plain number is MiB, as QEMU) */
	char *memdev;  /* memdev=ID, NULL when absent; owned */
	bool has_initiator;
	uint32_t initiator;
	struct config_numa_range *cpus; /* cpus=, owned; nr_cpus ranges */
	unsigned nr_cpus;
};

struct config_numa_dist {
	const char *arg;
	uint32_t src, dst, val;
};

#define CONFIG_NUMA_ANY_ID UINT32_MAX /* -numa cpu: key not given */

struct config_numa_cpu {
	const char *arg;
	uint32_t node_id;
	uint32_t socket_id, die_id, core_id, thread_id; /* CONFIG_NUMA_ANY_ID if absent */
};

/* -numa hmat-lb: ACPI 6.3 HMAT System Locality Latency and Bandwidth */
enum numa_hmat_hierarchy { HMAT_MEMORY, HMAT_FIRST_LEVEL, HMAT_SECOND_LEVEL, HMAT_THIRD_LEVEL };
enum numa_hmat_data_type {
	HMAT_ACCESS_LATENCY,
	HMAT_READ_LATENCY,
	HMAT_WRITE_LATENCY,
	HMAT_ACCESS_BANDWIDTH,
	HMAT_READ_BANDWIDTH,
	HMAT_WRITE_BANDWIDTH,
};
#define HMAT_NR_HIERARCHIES 4
#define HMAT_NR_DATA_TYPES 6

struct config_numa_hmat_lb {
	const char *arg;
	uint32_t initiator, target;
	enum numa_hmat_hierarchy hierarchy;
	enum numa_hmat_data_type data_type;
	bool has_latency, has_bandwidth;
	uint64_t latency;   /* nanoseconds */
	uint64_t bandwidth; /* bytes per second */
};

/* -numa hmat-cache: ACPI 6.3 HMAT Memory Side Cache Information */
enum numa_hmat_assoc { HMAT_ASSOC_NONE, HMAT_ASSOC_DIRECT, HMAT_ASSOC_COMPLEX };
enum numa_hmat_policy { HMAT_POLICY_NONE, HMAT_POLICY_WRITE_BACK, HMAT_POLICY_WRITE_THROUGH };

struct config_numa_hmat_cache {
	const char *arg;
	uint32_t node_id;
	uint64_t size;
	uint32_t level; /* 1-3 */
	enum numa_hmat_assoc associativity;
	enum numa_hmat_policy policy;
	uint32_t line; /* bytes */
};

struct config_numa {
	struct config_numa_node *node; /* owned arrays, in command-line order */
	unsigned nr_nodes;
	struct config_numa_dist *dist;
	unsigned nr_dists;
	struct config_numa_cpu *cpu;
	unsigned nr_cpus;
	struct config_numa_hmat_lb *hmat_lb;
	unsigned nr_hmat_lb;
	struct config_numa_hmat_cache *hmat_cache;
	unsigned nr_hmat_cache;
	bool hmat; /* -machine hmat=on */
};

/* Parse one -numa argument ("node,...", "dist,...", "cpu,...",
 * "hmat-lb,...", "hmat-cache,...") and append it to numa. */
int config_numa_parse(struct config_numa *numa, const char *arg, struct kverr *err);
/* -machine hmat=on|off, the one -machine key -numa needs: returns 1 when
 * key is "hmat" and its value valid, 0 when key is some other key (not
 * handled here), -EINVAL for a bad hmat value. */
int config_machine_hmat(struct config_numa *numa, const char *key, const char *val,
			const char *arg, struct kverr *err);
void config_numa_free(struct config_numa *numa);

struct config;

/* The backend -machine memory-backend=ID (or a -numa node memdev=ID)
 * names, or NULL. */
const struct config_memdev *config_memdev_find(const struct config *cfg, const char *id);
/* The backend id a memory-backend link names: the id itself, or the
 * object's QOM path, "/objects/ID" or "objects/ID".  NULL for NULL. */
const char *config_memdev_link_id(const char *link);
/* "memory-backend-ram" ...; "default", "bind" ... as QEMU spells them. */
const char *config_memdev_type_name(enum memdev_type t);
const char *config_memdev_policy_name(enum memdev_policy p);
/* The anonymous backend -m alone stands for (QEMU's pc.ram): QEMU's
 * defaults except reserve=off (docs/memory-backends.md).  id is not
 * copied. */
void config_memdev_implicit(struct config_memdev *md, const char *id, uint64_t size);

/* Who gives a backend's text: it decides how errors are worded. */
enum memdev_source {
	MEMDEV_FROM_CMDLINE, /* -object: the message names the option and value */
	MEMDEV_FROM_MONITOR, /* object-add / object_add: QEMU 7.2's run-time text */
};
/* One backend in -object syntax ("memory-backend-ram,id=m1,size=1G"),
 * with every check -object makes except those against other options
 * (duplicate ids are the caller's).  *md owns its strings:
 * config_memdev_free() releases them.  Nothing is left to free on error. */
int config_memdev_parse(struct config_memdev *md, const char *arg, enum memdev_source src,
			struct kverr *err);
/* A deep copy (id and mem-path duplicated); -ENOMEM with err filled. */
int config_memdev_copy(struct config_memdev *dst, const struct config_memdev *src,
		       struct kverr *err);
void config_memdev_free(struct config_memdev *md);

enum serial_mode {
	SERIAL_STDIO, /* default, and what -nographic implies */
	SERIAL_FILE,  /* -serial file:PATH */
	SERIAL_NONE,  /* -serial none */
};

/* -qmp DEV and -monitor DEV: a QMP or human monitor on a character device
 * given in QEMU's spellings: stdio, unix:PATH,server=on,wait=off or
 * tcp:HOST:PORT,server=on,wait=off.  kvmem only listens (server=on). */
enum monitor_mode {
	MONITOR_QMP, /* -qmp: QMP, JSON */
	MONITOR_HMP, /* -monitor: the human monitor */
};

enum chardev_kind {
	CHARDEV_STDIO,
	CHARDEV_UNIX,
	CHARDEV_TCP,
	CHARDEV_FD, /* -chardev socket,fd=N: a listening socket the caller made */
};

#define CONFIG_MAX_MONITORS 16

struct config_monitor {
	enum monitor_mode mode;
	enum chardev_kind kind;
	const char *spec; /* the value as given (points into argv), for messages */
	char *path;       /* CHARDEV_UNIX: the socket's path */
	char *host;       /* CHARDEV_TCP: address to listen on; "" = every interface */
	char *port;       /* CHARDEV_TCP: decimal port */
	int fd;           /* CHARDEV_FD: the inherited listening socket */
	bool wait;        /* wait=on (QEMU's default): start the guest only once a
			   * client has connected */
};

/* -action (QEMU's RunStateAction): what the machine does when the guest
 * reboots, powers off, panics or its watchdog fires.  -no-reboot is
 * reboot=shutdown, -no-shutdown is shutdown=pause.  Values in QEMU's
 * order (config_action_names). */
enum config_reboot_action { CONFIG_REBOOT_RESET, CONFIG_REBOOT_SHUTDOWN };
enum config_shutdown_action { CONFIG_SHUTDOWN_POWEROFF, CONFIG_SHUTDOWN_PAUSE };
/* kvmem has no device that reports a panic (pvpanic) or has a watchdog:
 * these are accepted, as QEMU accepts them on a machine without one, and
 * have nothing to act on. */
enum config_panic_action {
	CONFIG_PANIC_PAUSE,
	CONFIG_PANIC_SHUTDOWN,
	CONFIG_PANIC_EXIT_FAILURE,
	CONFIG_PANIC_NONE,
};
enum config_watchdog_action {
	CONFIG_WATCHDOG_RESET,
	CONFIG_WATCHDOG_SHUTDOWN,
	CONFIG_WATCHDOG_POWEROFF,
	CONFIG_WATCHDOG_PAUSE,
	CONFIG_WATCHDOG_DEBUG,
	CONFIG_WATCHDOG_NONE,
	CONFIG_WATCHDOG_INJECT_NMI,
};

struct config_run_actions {
	enum config_reboot_action reboot;     /* default reset */
	enum config_shutdown_action shutdown; /* default poweroff */
	enum config_panic_action panic;	      /* default shutdown */
	enum config_watchdog_action watchdog; /* default reset */
};

enum config_action {
	CONFIG_RUN,
	CONFIG_HELP,	    /* -h / --help: print help, exit 0 */
	CONFIG_VERSION,	    /* --version: print version, exit 0 */
	CONFIG_DEVICE_HELP, /* -device help, -device DRIVER,help: config_device_help() */
};

/* -device DRIVER,prop=value,... or -device '{"driver": ...}': taken apart
 * when met (src/dev/opts.h), checked against the device registry with the
 * whole command line (src/config/device.c), so a bad -device fails here. */
#define CONFIG_MAX_DEVICES 64
struct dev_opts;
struct config_device {
	const char *arg;       /* as given (argv), for messages */
	struct dev_opts *opts; /* owned */
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
	struct config_run_actions on; /* -action, -no-reboot, -no-shutdown */
	const char *name; /* NULL when absent; -name guest=foo or -name foo */
	struct config_memdev memdev[CONFIG_MAX_MEMDEVS]; /* -object memory-backend-* */
	unsigned nr_memdevs;
	const char *machine_memdev; /* -machine memory-backend=ID, NULL when absent */
	struct config_numa numa;    /* -numa, -machine hmat= */
	bool print_layout;	    /* -print-layout: print the plan, exit 0 */
	struct config_monitor monitor[CONFIG_MAX_MONITORS]; /* -qmp and -monitor, in order */
	unsigned nr_monitors;
	bool start_paused; /* -S: build the VM but leave its vCPUs stopped until 'cont' */
	struct config_device device[CONFIG_MAX_DEVICES]; /* -device, in command-line order */
	unsigned nr_devices;
	const char *device_help; /* CONFIG_DEVICE_HELP: the -device argument */
	struct config_compat compat;	 /* options taken for QEMU's users (compat.h) */
	struct config_chardevs chardevs; /* -chardev, -mon, -add-fd (chardev.h) */

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

/* Whether kvmem has the option -name (without the dash). */
bool config_option_exists(const char *name);

/* Print --help text. */
void config_print_help(FILE *out);

/* Parse a QEMU size ("512", "512M", "4G", "1.5G", "4194304k", "0x1000")
 * like QEMU's qemu_strtosz: decimal (at least one digit before any
 * fraction: "1.5G" and "1.K", never ".5M") with an optional fraction and one
 * suffix B/K/M/G/T/P/E (either case, powers of 1024); hexadecimal with
 * neither.  Plain numbers are in units of default_unit (1 for bytes, 1<<20
 * for -m).  A nonzero fraction needs a unit above one byte and is truncated
 * to whole bytes.  Returns 0, -EINVAL (syntax) or -ERANGE (above 2^64-1). */
int config_parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
