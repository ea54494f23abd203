/* chardev.h - -chardev, -mon and -add-fd as plain data.
 *
 * Owns: QEMU 7.2's syntax and messages for the character devices kvmem
 * has (socket, file, pty, null, stdio), the monitors -mon puts on them,
 * and the file descriptor sets of -add-fd (a program such as libvirt opens
 * a file itself and passes the fd; "path=/dev/fdset/N" then names it).
 * Which chardev a device uses is the device's property (isa-serial's
 * chardev=); each chardev has at most one user, as in QEMU.
 * Never: opens, binds or reads anything: src/hw/chardevs.c opens the
 * chardevs a device uses, src/qmp/server.c the monitors' sockets.  The one
 * check made on the process is whether an -add-fd descriptor is open.
 */
#ifndef KVMEM_CONFIG_CHARDEV_H
#define KVMEM_CONFIG_CHARDEV_H

#include <stdbool.h>

#include "util/err.h"

#define CONFIG_MAX_CHARDEVS 16
#define CONFIG_MAX_FDSET_FDS 16

enum chardev_backend {
	CHR_SOCKET, /* path= (unix), host=/port= (tcp) or fd= (an inherited socket) */
	CHR_FILE,   /* path= a file, or /dev/fdset/N */
	CHR_PTY,    /* a new pseudo-terminal; query-chardev names it */
	CHR_NULL,   /* output dropped, no input */
	CHR_STDIO,
};

struct config_chardev {
	const char *arg; /* as given, for messages */
	char *id;
	enum chardev_backend backend;
	char *path; /* socket: unix path; file: its path */
	char *host; /* socket over TCP */
	char *port;
	int fd;		   /* socket fd=, -1 when not given */
	bool server, wait; /* socket */
	bool append;	   /* file */
	const char *user;  /* what uses it ("-mon", "isa-serial"), NULL: nothing yet */
};

struct config_fdset_fd {
	int set, fd;
	char *opaque;
};

struct config_chardevs {
	struct config_chardev chr[CONFIG_MAX_CHARDEVS];
	unsigned nr;
	struct config_fdset_fd fdset[CONFIG_MAX_FDSET_FDS];
	unsigned nr_fds;
	const char *mon[CONFIG_MAX_CHARDEVS]; /* -mon arguments, resolved at the end */
	unsigned nr_mon;
};

struct config;

int config_chardev_parse(struct config *cfg, const char *arg, struct kverr *err);
int config_mon_parse(struct config *cfg, const char *arg, struct kverr *err);
int config_add_fd_parse(struct config *cfg, const char *arg, struct kverr *err);

/* After the whole command line: each -mon becomes a monitor (a listening
 * socket, an inherited one, or stdio) on its chardev. */
int config_chardevs_finish(struct config *cfg, struct kverr *err);

/* The chardev called id, or NULL. */
struct config_chardev *config_chardev_find(const struct config *cfg, const char *id);

/* A -add-fd descriptor of set `set` whose access mode allows `flags`
 * (O_RDONLY, O_WRONLY or O_RDWR), as QEMU's qemu_open picks one for
 * /dev/fdset/N; -1 when none.  fd_flags is fcntl(fd, F_GETFL)'s answer,
 * given by the caller (this module makes no such call). */
int config_fdset_pick(const struct config *cfg, int set, int flags, int (*getfl)(int fd));

/* "/dev/fdset/N": 1 and *set, 0 for another path, -EINVAL for a bad N. */
int config_fdset_path(const char *path, int *set);

void config_chardevs_free(struct config *cfg);

#endif
