/* acpi_dump.c - write kvmem's ACPI tables as files for iasl.
 *
 * Usage: acpi_dump DIR
 * For each configuration in the matrix below, computes the plan the way
 * kvmem does (layout_compute, topology_from_config), builds the tables at
 * LAYOUT_ACPI_BASE and writes DIR/<config>/<SIG>.dat, one file per table,
 * as acpidump/acpixtract would.  iasl_test.sh disassembles them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "acpi/acpi.h"
#include "plan/layout.h"
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

static const char *const sigs[] = {"RSDP", "XSDT", "FACP", "APIC", "DSDT", "FACS"};

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

static int dump_one(const char *dir, const struct dump_config *c)
{
	struct layout layout;
	struct topology topo;
	struct acpi_input in = {.layout = &layout, .topo = &topo};
	struct acpi_blob blob;
	struct kverr err = {{0}};
	char path[4096];
	int ret = 0;

	if (layout_compute(&c->mem, &layout, &err)) {
		fprintf(stderr, "acpi_dump: %s: %s\n", c->name, err.msg);
		return -1;
	}
	topology_from_config(&c->smp, &topo);
	if (acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err)) {
		fprintf(stderr, "acpi_dump: %s: %s\n", c->name, err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, c->name);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "acpi_dump: mkdir %s: %s\n", path, strerror(errno));
		acpi_blob_free(&blob);
		return -1;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && !ret; i++) {
		size_t len;
		const uint8_t *t = acpi_blob_find(&blob, sigs[i], &len);
		if (!t) {
			fprintf(stderr, "acpi_dump: %s: no %s table\n", c->name, sigs[i]);
			ret = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s/%s.dat", dir, c->name, sigs[i]);
		ret = write_file(path, t, len);
	}
	acpi_blob_free(&blob);
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
	return 0;
}
