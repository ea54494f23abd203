/* daemon.c - -daemonize and -pidfile; see daemon.h.
 *
 * As QEMU's os_daemonize: the foreground process waits on a pipe for one
 * byte, 0 when the background process is ready; end of file (it died, or
 * failed and exited) makes it exit 1.  libvirt relies on exactly this: it
 * reads the pid file and connects to the monitor once the command it
 * started has exited 0.
 */
#include "util/daemon.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int daemon_start(struct daemon *d, int *status, struct kverr *err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return kverr_sys(err, errno, "-daemonize: pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return kverr_sys(err, e, "-daemonize: fork");
	}
	if (pid > 0) {
		char byte = 1;
		ssize_t n;

		close(p[1]);
		do
			n = read(p[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		close(p[0]);
		*status = n == 1 && byte == 0 ? 0 : 1;
		return 1;
	}
	close(p[0]);
	d->ready_fd = p[1];
	setsid();
	return 0;
}

int daemon_pidfile(struct daemon *d, const char *path, struct kverr *err)
{
	char text[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return kverr_sys(err, errno, "cannot create PID file: Could not create '%s'", path);
	if (lockf(fd, F_TLOCK, 0) < 0) {
		int e = errno;

		close(fd);
		return kverr_sys(err, e, "cannot create PID file: Cannot lock pid file");
	}
	n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n) {
		int e = errno;

		close(fd);
		return kverr_sys(err, e, "cannot create PID file: Failed to write pid file");
	}
	d->pid_fd = fd;
	d->pidfile = path;
	return 0;
}

void daemon_ready(struct daemon *d)
{
	char zero = 0;
	int null;

	if (d->ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(d->ready_fd, &zero, 1) < 0) {
		/* the foreground process is gone: nobody to tell */
	}
	close(d->ready_fd);
	d->ready_fd = -1;
}

void daemon_end(struct daemon *d)
{
	if (d->pid_fd < 0)
		return;
	unlink(d->pidfile);
	close(d->pid_fd);
	d->pid_fd = -1;
}
