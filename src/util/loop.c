/* loop.c - epoll with a callback per fd; see loop.h. */
#include "util/loop.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct loop_watch {
	int fd;
	loop_fn fn;
	void *opaque;
	bool removed;
	struct loop_watch *next;
};

int loop_init(struct loop *l, struct kverr *err)
{
	l->watches = l->dead = NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return kverr_sys(err, errno, "epoll_create1");
	return 0;
}

static void free_list(struct loop_watch *w)
{
	while (w) {
		struct loop_watch *next = w->next;
		free(w);
		w = next;
	}
}

void loop_fini(struct loop *l)
{
	free_list(l->watches);
	free_list(l->dead);
	l->watches = l->dead = NULL;
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

static struct loop_watch *find(struct loop *l, int fd, struct loop_watch ***link)
{
	for (struct loop_watch **p = &l->watches; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			if (link)
				*link = p;
			return *p;
		}
	}
	return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque)
{
	struct loop_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {.events = events};

	if (!w)
		return -ENOMEM;
	*w = (struct loop_watch){.fd = fd, .fn = fn, .opaque = opaque};
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		return -e;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct loop_watch *w = find(l, fd, NULL);
	struct epoll_event ev = {.events = events};

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct loop *l, int fd)
{
	struct loop_watch **link, *w = find(l, fd, &link);

	if (!w)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = w->next;
	w->removed = true;
	w->next = l->dead;
	l->dead = w;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->epfd, evs, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct loop_watch *w = evs[i].data.ptr;

		if (!w->removed)
			w->fn(w->opaque, evs[i].events);
	}
	free_list(l->dead);
	l->dead = NULL;
	return n;
}
