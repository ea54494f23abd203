/* acpi_dump.c - write kvmem's ACPI tables as files for iasl.
 *
 * Usage: acpi_dump DIR
 * For each configuration in the matrix below, computes the plan the way
 * kvmem does (layout_compute, topology_from_config), builds the tables at
 * LAYOUT_ACPI_BASE and writes DIR/<config>/<SIG>.dat, one file per table,
 * as acpidump/acpixtract would.  iasl_test.sh disassembles them.
 * The NUMA configurations are command lines, planned as machine_plan()
 * does (config_parse, numa_plan, layout_place_nodes), and add SRAT and
 * SLIT to the tables written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi/acpi.h"
#include "hw/pci_acpi.h"
#include "config/config.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/pci.h"
#include "plan/topology.h"

struct dump_config {
	const char *name;
	struct config_mem mem;
	struct config_smp smp;
};

#define SMP(c, m, s, d, co, t)                                                                     \
	{                                                                                          \
		.cpus = (c), .maxcpus = (m), .sockets = (s), .dies = (d), .cores = (co),           \
		.threads = (t)                                                                     \
	}

static const struct dump_config configs[] = {
    {"1cpu-128M", {128 * MiB, 0, 128 * MiB}, SMP(1, 1, 1, 1, 1, 1)},
    {"2cpu-1G", {1 * GiB, 0, 1 * GiB}, SMP(2, 2, 1, 1, 2, 1)},
    {"4of8cpu-2s2c2t-4G", {4 * GiB, 0, 4 * GiB}, SMP(4, 8, 2, 1, 2, 2)},
    {"3of6cpu-1s3c2t-3G", {3 * GiB, 0, 3 * GiB}, SMP(3, 6, 1, 1, 3, 2)},
    {"2of8cpu-2d-8G-maxmem64G", {8 * GiB, 4, 64 * GiB}, SMP(2, 8, 1, 2, 2, 2)},
    {"16of64cpu-4s8c2t-16G", {16 * GiB, 0, 16 * GiB}, SMP(16, 64, 4, 1, 8, 2)},
    {"1of255cpu-512M", {512 * MiB, 0, 512 * MiB}, SMP(1, 255, 255, 1, 1, 1)},
    {"255cpu-2G", {2 * GiB, 0, 2 * GiB}, SMP(255, 255, 255, 1, 1, 1)},
};

/* name, then kvmem's options */
static const char *const numa_configs[][32] = {
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

static int write_tables(const char *dir, const char *name, const struct acpi_input *plan_in)
{
	struct acpi_input full = *plan_in, *in = &full;
	struct pci_plan pci;
	struct acpi_blob blob;
	struct kverr err = {{0}};
	char path[4096];
	int ret = 0;

	/* The DSDT's parts, as machine_plan() adds them: the PCI bus. */
	pci_plan_init(&pci, in->layout);
	if (pci_plan_assign(&pci, &err) ||
	    acpi_add_dsdt_part(in, "PCI0", pci_acpi_build, &pci, &err) ||
	    acpi_build(in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err)) {
		fprintf(stderr, "acpi_dump: %s: %s\n", name, err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "acpi_dump: mkdir %s: %s\n", path, strerror(errno));
		acpi_blob_free(&blob);
		return -1;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && !ret; i++) {
		size_t len;
		const uint8_t *t = acpi_blob_find(&blob, sigs[i], &len);
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
		const uint8_t *t = acpi_blob_find(&blob, optional_sigs[i], &len);
		if (!t)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s.dat", dir, name, optional_sigs[i]);
		ret = write_file(path, t, len);
	}
	acpi_blob_free(&blob);
	return ret;
}

static int dump_one(const char *dir, const struct dump_config *c)
{
	struct layout layout;
	struct topology topo;
	struct acpi_input in = {.layout = &layout, .topo = &topo};
	struct kverr err = {{0}};

	if (layout_compute(&c->mem, &layout, &err)) {
		fprintf(stderr, "acpi_dump: %s: %s\n", c->name, err.msg);
		return -1;
	}
	topology_from_config(&c->smp, &topo);
	return write_tables(dir, c->name, &in);
}

static int dump_numa(const char *dir, const char *const *opts)
{
	static struct numa numa;
	struct config cfg;
	struct layout layout;
	struct topology topo;
	struct acpi_input in = {.layout = &layout, .topo = &topo, .numa = &numa};
	struct kverr err = {{0}};
	char *argv[40];
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
	topology_from_config(&cfg.smp, &topo);
	ret = layout_compute(&cfg.mem, &layout, &err);
	if (!ret)
		ret = numa_plan(&numa, &cfg, &topo, &err);
	if (!ret)
		ret = layout_place_nodes(&layout, &numa, &err);
	if (ret)
		fprintf(stderr, "acpi_dump: %s: %s\n", opts[0], err.msg);
	else
		ret = write_tables(dir, opts[0], &in);
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
		if (dump_one(argv[1], &configs[i]))
			return 1;
	for (size_t i = 0; i < sizeof(numa_configs) / sizeof(numa_configs[0]); i++)
		if (dump_numa(argv[1], numa_configs[i]))
			return 1;
	return 0;
}
