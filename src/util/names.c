/* names.c - a set of owned strings; see names.h. */
#include "util/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int names_add(struct names *s, const char *name)
{
	char *copy;

	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 4;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	s->v[s->n++] = copy;
	return 0;
}

static int find(const struct names *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return (int)i;
	return -1;
}

bool names_has(const struct names *s, const char *name)
{
	return find(s, name) >= 0;
}

bool names_remove(struct names *s, const char *name)
{
	int i = find(s, name);

	if (i < 0)
		return false;
	free(s->v[i]);
	memmove(&s->v[i], &s->v[i + 1], (s->n - (unsigned)i - 1) * sizeof(*s->v));
	s->n--;
	return true;
}

void names_free(struct names *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct names){0};
}
