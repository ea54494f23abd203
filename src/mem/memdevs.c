/* memdevs.c - the memory backend objects; see memdevs.h. */
#include "mem/memdevs.h"

#include <stdlib.h>
#include <string.h>

#define RAM_DEVICE_ALIGN (2ULL << 20) /* QEMU_VMALLOC_ALIGN on x86-64 Linux */

struct memdev *memdevs_find(const struct memdevs *l, const char *id)
{
	for (unsigned i = 0; id && i < l->n; i++)
		if (!strcmp(l->obj[i]->spec.id, id))
			return l->obj[i];
	return NULL;
}

int memdevs_create(struct memdevs *l, const struct config_memdev *spec, struct kverr *err)
{
	struct memdev *md;
	int ret;

	if (memdevs_find(l, spec->id))
		return kverr_set(err, EEXIST,
				 "attempt to add duplicate property '%s' to object (type "
				 "'container')",
				 spec->id);
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		struct memdev **obj = realloc(l->obj, cap * sizeof(*obj));

		if (!obj)
			return kverr_set(err, ENOMEM, "out of memory adding backend '%s'",
					 spec->id);
		l->obj = obj;
		l->cap = cap;
	}
	md = calloc(1, sizeof(*md));
	if (!md)
		return kverr_set(err, ENOMEM, "out of memory adding backend '%s'", spec->id);
	ret = config_memdev_copy(&md->spec, spec, err);
	if (!ret) {
		ret = backend_create(&md->host, spec, err);
		if (ret)
			config_memdev_free(&md->spec);
	}
	if (ret) {
		free(md);
		return ret;
	}
	l->obj[l->n++] = md;
	return 0;
}

static void memdev_destroy(struct memdev *md)
{
	backend_destroy(&md->host);
	config_memdev_free(&md->spec);
	free(md);
}

int memdevs_delete(struct memdevs *l, const char *id, struct kverr *err)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct memdev *md = l->obj[i];

		if (strcmp(md->spec.id, id))
			continue;
		if (md->mapped)
			return kverr_set(err, EBUSY, "object '%s' is in use, can not be deleted",
					 id);
		memmove(&l->obj[i], &l->obj[i + 1], (l->n - i - 1) * sizeof(l->obj[0]));
		l->n--;
		memdev_destroy(md);
		return 0;
	}
	return kverr_set(err, ENOENT, "object '%s' not found", id);
}

void memdevs_free(struct memdevs *l)
{
	for (unsigned i = 0; i < l->n; i++)
		memdev_destroy(l->obj[i]);
	free(l->obj);
	memset(l, 0, sizeof(*l));
}

uint64_t memdev_device_align(const struct memdev *md)
{
	uint64_t align = md->host.page_size;

	/* QEMU maps anonymous RAM with 2 MiB alignment and gives its region
	 * that alignment; fd-backed regions get the fd's page size, or the
	 * file backend's align= when larger. */
	if (md->spec.type == MEMDEV_RAM)
		return RAM_DEVICE_ALIGN > align ? RAM_DEVICE_ALIGN : align;
	if (md->spec.type == MEMDEV_FILE && md->spec.align > align)
		align = md->spec.align;
	return align;
}
