/* thread.h - threads that live as long as the VM, on small stacks.
 *
 * glibc gives every thread an 8 MiB stack.  Where transparent huge pages
 * are "always" (Debian's kernel default) and MAP_STACK does not exclude
 * them (Linux before 6.7), a stack mapping that holds an aligned 2 MiB
 * block gets a whole huge page as soon as the thread touches that block,
 * which its start-up does when the stack's top is so aligned: 2 MiB of
 * RSS for a thread that uses a few KiB.  thread_start() maps the stack
 * itself, THREAD_STACK_SIZE long with a guard page below it, and marks it
 * MADV_NOHUGEPAGE before the thread runs; thread_join() unmaps it.
 * Owns: nothing beyond the stack it maps.  Never: decides what a thread
 * does or when it ends.
 */
#ifndef KVMEM_UTIL_THREAD_H
#define KVMEM_UTIL_THREAD_H

#include <pthread.h>

/* Enough for a vCPU thread's exit handling and device models (a few KiB
 * today); the pages it never touches cost nothing. */
#define THREAD_STACK_SIZE (1024 * 1024)

struct thread {
	pthread_t id;
	void *stack; /* the mapping, guard page first; NULL when not running */
};

/* Start fn(arg) on a new thread; 0 or -errno (nothing is left behind). */
int thread_start(struct thread *t, void *(*fn)(void *), void *arg);
/* Join a started thread and unmap its stack. */
void thread_join(struct thread *t);

#endif
