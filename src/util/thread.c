#include "util/thread.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t guard_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (size_t)page : 4096;
}

int thread_start(struct thread *t, void *(*fn)(void *), void *arg)
{
	size_t guard = guard_size(), len = guard + THREAD_STACK_SIZE;
	pthread_attr_t attr;
	void *stack;
	int ret;

	stack = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	/* A guard page below the stack, as glibc's own stacks have; and no
	 * huge pages (madvise fails only where the kernel has no THP). */
	if (mprotect(stack, guard, PROT_NONE) < 0) {
		ret = -errno;
		munmap(stack, len);
		return ret;
	}
	madvise((char *)stack + guard, THREAD_STACK_SIZE, MADV_NOHUGEPAGE);

	ret = pthread_attr_init(&attr);
	if (!ret) {
		ret = pthread_attr_setstack(&attr, (char *)stack + guard, THREAD_STACK_SIZE);
		if (!ret)
			ret = pthread_create(&t->id, &attr, fn, arg);
		pthread_attr_destroy(&attr);
	}
	if (ret) {
		munmap(stack, len);
		return -ret;
	}
	t->stack = stack;
	return 0;
}

void thread_join(struct thread *t)
{
	if (!t->stack)
		return;
	pthread_join(t->id, NULL);
	munmap(t->stack, guard_size() + THREAD_STACK_SIZE);
	t->stack = NULL;
}
