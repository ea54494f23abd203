/* chardevs.c - opening a device's chardev; see chardevs.h. */
#include "hw/chardevs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void chardevs_init(struct chardevs *c)
{
	for (unsigned i = 0; i < CONFIG_MAX_CHARDEVS; i++) {
		c->fd[i] = -1;
		c->pty[i][0] = '\0';
		c->pty_slave[i] = -1;
	}
}

static int getfl(int fd)
{
	return fcntl(fd, F_GETFL);
}

static int open_file(const struct config *cfg, const struct config_chardev *chr, struct kverr *err)
{
	int flags =
	    O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | (chr->append ? O_APPEND : O_TRUNC);
	int set, fd, ret = config_fdset_path(chr->path, &set);

	if (ret < 0)
		return kverr_set(err, EINVAL, "Could not open '%s': bad fdset path", chr->path);
	if (ret == 0) {
		fd = open(chr->path, flags, 0666);
		if (fd < 0)
			return kverr_sys(err, errno, "Could not open '%s'", chr->path);
		return fd;
	}
	/* -add-fd's descriptor, duplicated as QEMU's qemu_open does: the
	 * set keeps its own; the flags fcntl can change are set as open()
	 * would have them (O_APPEND with append=on, which libvirt passes on
	 * a descriptor it opened without), and append=off truncates */
	fd = config_fdset_pick(cfg, set, O_WRONLY, getfl);
	if (fd < 0)
		return kverr_set(err, EACCES, "Could not open '%s': No available fd in the set",
				 chr->path);
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return kverr_sys(err, errno, "Could not open '%s'", chr->path);
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 ||
	    fcntl(fd, F_SETFL, (ret & ~O_APPEND) | (flags & (O_APPEND | O_NONBLOCK))) < 0 ||
	    (!chr->append && ftruncate(fd, 0) < 0 && errno != EINVAL)) {
		ret = kverr_sys(err, errno, "Could not open '%s'", chr->path);
		close(fd);
		return ret;
	}
	return fd;
}

static int open_pty(struct chardevs *c, unsigned idx, struct kverr *err)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK), slave = -1;
	struct termios raw;

	if (fd < 0)
		return kverr_sys(err, errno, "cannot open a pseudo-terminal");
	if (grantpt(fd) < 0 || unlockpt(fd) < 0 ||
	    ptsname_r(fd, c->pty[idx], sizeof(c->pty[idx])) != 0)
		goto fail;
	/* kvmem keeps the terminal's other end open, raw (no echo of the
	 * guest's output back to it as input), so that the pty works before
	 * and between clients (docs/cli.md: unlike QEMU, output waits for a
	 * reader once the terminal's buffer is full) */
	slave = open(c->pty[idx], O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || tcgetattr(slave, &raw) < 0)
		goto fail;
	cfmakeraw(&raw);
	if (tcsetattr(slave, TCSANOW, &raw) < 0)
		goto fail;
	c->pty_slave[idx] = slave;
	return fd;
fail : {
	int e = errno;

	if (slave >= 0)
		close(slave);
	close(fd);
	return kverr_sys(err, e, "cannot open a pseudo-terminal");
}
}

int chardevs_open(struct chardevs *c, const struct config *cfg, unsigned idx, struct kverr *err)
{
	const struct config_chardev *chr = &cfg->chardevs.chr[idx];
	struct kverr e;
	int fd;

	switch (chr->backend) {
	case CHR_FILE:
		fd = open_file(cfg, chr, &e);
		break;
	case CHR_PTY:
		fd = open_pty(c, idx, &e);
		break;
	case CHR_NULL:
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			kverr_sys(&e, errno, "/dev/null");
		break;
	default:
		return kverr_set(err, EINVAL,
				 "chardev '%s': a %s chardev cannot back a device in kvmem "
				 "(file, pty and null can)",
				 chr->id, chr->backend == CHR_SOCKET ? "socket" : "stdio");
	}
	if (fd < 0)
		return kverr_set(err, EINVAL, "chardev '%s': %s", chr->id, e.msg);
	/* the UART never waits on it (serial.h) */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd[idx] = fd;
	return 0;
}

void chardevs_close(struct chardevs *c)
{
	for (unsigned i = 0; i < CONFIG_MAX_CHARDEVS; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		if (c->pty_slave[i] >= 0)
			close(c->pty_slave[i]);
		c->fd[i] = c->pty_slave[i] = -1;
	}
}
