/* acpi_dump.c - write kvmem's ACPI tables as files, as a guest would read them.
 *
 * Usage: acpi_dump DIR
 * For each configuration in the matrix below (kvmem command lines), plans
 * the machine with kvmem's own config_parse() and machine_plan(), which
 * builds the tables at LAYOUT_ACPI_BASE, and writes DIR/<config>/<SIG>.dat,
 * one file per table, as acpidump/acpixtract would.  iasl_test.sh has
 * ACPICA's tools read them; golden_test.sh compares them byte for byte with
 * the expected tables in tests/data/acpi.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi/acpi.h"
#include "config/config.h"
#include "machine.h"

/* The configurations, as kvmem's command lines: a name, then the options.
 * Between them they produce every table kvmem builds and every kind of
 * entry in each: one to 255 CPUs with hot-pluggable ones (MADT), threads,
 * cores, dies and non-power-of-two APIC ids, RAM below and split across the
 * PCI hole, slots and maxmem (device memory), and NUMA: 2 and 3 nodes,
 * sparse ids, distances (SLIT), a memory-only node, nodes that straddle the
 * hole, the default split, hot-pluggable memory (SRAT) and HMAT with caches.
 * iasl_test.sh reads the names: numa-* and *-maxmem* (memory hotplug implies
 * a node) must have an SRAT, *-asym*, *-sparse* and *-dist* a SLIT, *-hmat*
 * an HMAT.  Changing a line here changes the golden tables (tests/data/acpi;
 * docs/testing.md says how to refresh them). */
static const char *const configs[][40] = {
    {"1cpu-128M", "-m", "128M", "-smp", "1"},
    {"2cpu-1G", "-m", "1G", "-smp", "2,sockets=1,cores=2"},
    {"4of8cpu-2s2c2t-4G", "-m", "4G", "-smp", "4,maxcpus=8,sockets=2,cores=2,threads=2"},
    {"3of6cpu-1s3c2t-3G", "-m", "3G", "-smp", "3,maxcpus=6,sockets=1,cores=3,threads=2"},
    {"2of8cpu-2d-8G-maxmem64G", "-m", "8G,slots=4,maxmem=64G", "-smp",
     "2,maxcpus=8,sockets=1,dies=2,cores=2,threads=2"},
    {"16of64cpu-4s8c2t-16G", "-m", "16G", "-smp", "16,maxcpus=64,sockets=4,cores=8,threads=2"},
    {"1of255cpu-512M", "-m", "512M", "-smp", "1,maxcpus=255,sockets=255"},
    {"255cpu-2G", "-m", "2G", "-smp", "255,sockets=255"},
    {"numa-hmat-3node",
     "-machine",
     "hmat=on",
     "-m",
     "3G",
     "-smp",
     "2",
     "-numa",
     "node,cpus=0,mem=1G",
     "-numa",
     "node,cpus=1,mem=1G",
     "-numa",
     "node,mem=1G,initiator=1",
     "-numa",
     "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10",
     "-numa",
     "hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=30",
     "-numa",
     "hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-latency,latency=20",
     "-numa",
     "hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=200M",
     "-numa",
     "hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=read-bandwidth,bandwidth=1G",
     "-numa",
     "hmat-cache,node-id=2,size=16K,level=1,associativity=direct,policy=write-back,line=64",
     "-numa",
     "hmat-cache,node-id=2,size=1M,level=2,associativity=complex,policy=write-through,line=64"},
    {"numa-2node-2G", "-m", "2G", "-smp", "2", "-numa", "node,cpus=0,mem=1G", "-numa",
     "node,cpus=1,mem=1G"},
    {"numa-2node-dist-4G", "-m", "4G", "-smp", "2", "-numa", "node,cpus=0,mem=2G", "-numa",
     "node,cpus=1,mem=2G", "-numa", "dist,src=0,dst=1,val=21"},
    {"numa-3node-asym-6G",
     "-m",
     "6G",
     "-smp",
     "3",
     "-numa",
     "node,cpus=0,mem=2G",
     "-numa",
     "node,cpus=1,mem=2G",
     "-numa",
     "node,cpus=2,mem=2G",
     "-numa",
     "dist,src=0,dst=1,val=15",
     "-numa",
     "dist,src=1,dst=0,val=25",
     "-numa",
     "dist,src=0,dst=2,val=30",
     "-numa",
     "dist,src=2,dst=0,val=35",
     "-numa",
     "dist,src=1,dst=2,val=20",
     "-numa",
     "dist,src=2,dst=1,val=40"},
    {"numa-sparse-0-2", "-m", "2G", "-smp", "2", "-numa", "node,nodeid=0,cpus=0,mem=1G", "-numa",
     "node,nodeid=2,cpus=1,mem=1G", "-numa", "dist,src=0,dst=2,val=25"},
    {"numa-seed000-hotplug", "-m", "size=4194304k,slots=16,maxmem=16777216k", "-numa",
     "node,nodeid=0,cpus=0", "-smp", "1"},
    {"numa-memonly-2of8cpu", "-m", "4G,slots=2,maxmem=8G", "-smp", "2,maxcpus=8", "-numa",
     "node,cpus=0-7,mem=3G", "-numa", "node,mem=1G"},
    {"numa-default-split-2500M", "-m", "2500M", "-smp", "3,sockets=3", "-numa", "node", "-numa",
     "node", "-numa", "node"},
};

static const char *const sigs[] = {"RSDP", "XSDT", "FACP", "APIC", "DSDT", "FACS"};
static const char *const optional_sigs[] = {"SRAT", "SLIT", "HMAT"};

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "acpi_dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "acpi_dump: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

static int write_tables(const char *dir, const char *name, const struct acpi_blob *blob)
{
	char path[4096];
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "acpi_dump: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && !ret; i++) {
		size_t len;
		const uint8_t *t = acpi_blob_find(blob, sigs[i], &len);
		if (!t) {
			fprintf(stderr, "acpi_dump: %s: no %s table\n", name, sigs[i]);
			ret = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s/%s.dat", dir, name, sigs[i]);
		ret = write_file(path, t, len);
	}
	for (size_t i = 0; i < sizeof(optional_sigs) / sizeof(optional_sigs[0]) && !ret; i++) {
		size_t len;
		const uint8_t *t = acpi_blob_find(blob, optional_sigs[i], &len);
		if (!t)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s.dat", dir, name, optional_sigs[i]);
		ret = write_file(path, t, len);
	}
	return ret;
}

/* Plans one configuration exactly as kvmem does (config_parse, then
 * machine_plan, which builds the tables) and writes its tables. */
static int dump(const char *dir, const char *const *opts)
{
	static struct machine m;
	struct config cfg;
	struct kverr err = {{0}};
	char *argv[48];
	int argc = 0, ret;

	argv[argc++] = (char *)"kvmem";
	argv[argc++] = (char *)"-print-layout";
	for (const char *const *o = opts + 1; *o; o++)
		argv[argc++] = (char *)*o;
	argv[argc] = NULL;
	if (config_parse(&cfg, argc, argv, &err)) {
		fprintf(stderr, "acpi_dump: %s: %s\n", opts[0], err.msg);
		return -1;
	}
	ret = machine_plan(&m, &cfg, &err);
	if (ret)
		fprintf(stderr, "acpi_dump: %s: %s\n", opts[0], err.msg);
	else
		ret = write_tables(dir, opts[0], &m.acpi);
	machine_destroy(&m);
	config_free(&cfg);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		if (dump(argv[1], configs[i]))
			return 1;
	return 0;
}
