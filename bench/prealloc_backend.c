/* prealloc_backend.c - creates one memory backend exactly as kvmem does and
 * exits: the kvmem side of bench/prealloc.
 *
 *     prealloc_backend [--touch] -object memory-backend-...,prealloc=on,...
 *
 * The -object argument goes through kvmem's own parser (config/object.c)
 * and backend_create() (mem/backend.c), the same calls machine_memory()
 * makes, so what is timed is kvmem's code, not a copy of it.  --touch forces
 * the fallback that writes one byte per page instead of
 * MADV_POPULATE_WRITE.  Prints "create_ms=... rss_kb=..." on stdout: the
 * time backend_create() took and the process's resident set after it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "config/object.h"
#include "mem/backend.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			sscanf(line + 6, "%ld", &kb);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	struct kverr err = {{0}};
	struct backend b;
	struct config_memdev md;
	bool touch = false, prealloc;
	int ret;
	const char *object = NULL;
	double t0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--touch"))
			touch = true;
		else if (!strcmp(argv[i], "-object") && i + 1 < argc)
			object = argv[++i];
	}
	if (!object) {
		fprintf(stderr, "usage: %s [--touch] -object memory-backend-...\n", argv[0]);
		return 2;
	}
	if (config_object_parse(&cfg, object, &err) < 0) {
		fprintf(stderr, "prealloc_backend: %s\n", err.msg);
		return 1;
	}
	md = cfg.memdev[0];
	prealloc = md.prealloc;
	if (touch)
		md.prealloc = false; /* backend_prealloc() below, by touching */
	t0 = now_ms();
	ret = backend_create(&b, &md, &err);
	if (!ret && touch && prealloc) {
		ret = backend_prealloc(&b, md.prealloc_threads, true, &err);
		if (ret)
			backend_destroy(&b);
	}
	if (ret) {
		fprintf(stderr, "prealloc_backend: %s\n", err.msg);
		return 1;
	}
	printf("create_ms=%.1f rss_kb=%ld\n", now_ms() - t0, rss_kb());
	backend_destroy(&b);
	config_objects_free(&cfg);
	return 0;
}
