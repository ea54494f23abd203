/* throttle.c - throttled QMP events; see throttle.h. */
#include "qmp/throttle.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void emit(struct qmp_throttle *t)
{
	t->pending = false;
	t->until = now_ns() + QMP_THROTTLE_NS;
	t->emit(t->opaque, atomic_load(&t->value));
}

static void on_kick(void *opaque, uint32_t events)
{
	struct qmp_throttle *t = opaque;
	struct itimerspec its = {{0, 0}, {0, 0}};
	uint64_t n;

	(void)events;
	if (read(t->kick_fd, &n, sizeof(n)) < 0)
		return;
	if (!t->armed && now_ns() >= t->until) {
		emit(t);
		return;
	}
	t->pending = true;
	if (t->armed)
		return;
	its.it_value.tv_sec = (time_t)(t->until / 1000000000LL);
	its.it_value.tv_nsec = (long)(t->until % 1000000000LL);
	if (!timerfd_settime(t->timer_fd, TFD_TIMER_ABSTIME, &its, NULL))
		t->armed = true;
	else
		emit(t); /* cannot wait: say it now */
}

static void on_timer(void *opaque, uint32_t events)
{
	struct qmp_throttle *t = opaque;
	uint64_t n;

	(void)events;
	if (read(t->timer_fd, &n, sizeof(n)) < 0)
		return;
	t->armed = false;
	if (t->pending)
		emit(t);
}

int qmp_throttle_init(struct qmp_throttle *t, const char *name,
		      void (*emit_fn)(void *opaque, uint64_t value), void *opaque,
		      struct kverr *err)
{
	*t = (struct qmp_throttle){.emit = emit_fn, .opaque = opaque, .name = name};
	t->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->kick_fd < 0 || t->timer_fd < 0)
		return kverr_sys(err, errno, "%s: eventfd", name);
	return 0;
}

int qmp_throttle_attach(struct qmp_throttle *t, struct loop *loop, struct kverr *err)
{
	int ret;

	if (t->loop)
		return 0;
	if ((ret = loop_add(loop, t->kick_fd, EPOLLIN, on_kick, t)) < 0)
		return kverr_sys(err, -ret, "%s: epoll", t->name);
	if ((ret = loop_add(loop, t->timer_fd, EPOLLIN, on_timer, t)) < 0) {
		loop_del(loop, t->kick_fd);
		return kverr_sys(err, -ret, "%s: epoll", t->name);
	}
	t->loop = loop;
	return 0;
}

void qmp_throttle_set(struct qmp_throttle *t, uint64_t v)
{
	uint64_t one = 1;

	atomic_store(&t->value, v);
	if (t->kick_fd >= 0 && write(t->kick_fd, &one, sizeof(one)) < 0) {
		/* a full counter is still readable: the loop will look */
	}
}

void qmp_throttle_fini(struct qmp_throttle *t)
{
	if (t->loop) {
		loop_del(t->loop, t->kick_fd);
		loop_del(t->loop, t->timer_fd);
		t->loop = NULL;
	}
	if (t->kick_fd >= 0)
		close(t->kick_fd);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	t->kick_fd = t->timer_fd = -1;
}
