/* loop.h - the main thread's event loop: one epoll set, one callback per
 * file descriptor.
 *
 * Owns: the epoll fd and the list of watched fds with their callbacks.
 * Never: reads or writes the watched fds itself, or blocks anywhere but in
 * epoll_wait.
 *
 * A callback may add or remove any watch, its own included: a removed
 * watch is never called again, even for an event already returned by the
 * same epoll_wait, and its memory is released only after the batch.
 * Single-threaded: every function is for the thread that runs the loop.
 */
#ifndef KVMEM_UTIL_LOOP_H
#define KVMEM_UTIL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* events: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP as epoll_wait reported them. */
typedef void (*loop_fn)(void *opaque, uint32_t events);

struct loop_watch;

struct loop {
	int epfd;
	struct loop_watch *watches; /* live watches */
	struct loop_watch *dead;    /* removed during this batch, freed after it */
};

int loop_init(struct loop *l, struct kverr *err);
void loop_fini(struct loop *l);

/* Watch fd for events (EPOLLIN and/or EPOLLOUT).  Returns 0, or -EPERM when
 * fd cannot be polled (a regular file), or another negative errno. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *opaque);
/* Change the events of a watched fd. */
int loop_mod(struct loop *l, int fd, uint32_t events);
/* Stop watching fd (before closing it).  Unknown fds are ignored. */
void loop_del(struct loop *l, int fd);

/* Wait up to timeout_ms (-1: forever) and run the callbacks of the fds
 * that are ready.  Returns the number of callbacks run, or a negative
 * errno (EINTR is not an error: it returns 0). */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
