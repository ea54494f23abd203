/* chardevs.h - the -chardev backends a device uses, opened.
 *
 * Owns: opening a chardev for a device (file: the path, or a descriptor
 * of an -add-fd set for /dev/fdset/N, appended or truncated as QEMU does;
 * pty: a new pseudo-terminal, named as query-chardev names it; null), the
 * descriptors, and closing them.  Socket chardevs are the monitors'
 * (server.c).
 * Never: reads or writes them (the device does, serial.c never blocking).
 */
#ifndef KVMEM_HW_CHARDEVS_H
#define KVMEM_HW_CHARDEVS_H

#include "config/config.h"

struct chardevs {
	int fd[CONFIG_MAX_CHARDEVS];	   /* by index in cfg->chardevs.chr; -1: not open */
	char pty[CONFIG_MAX_CHARDEVS][64]; /* CHR_PTY: the terminal's path */
	int pty_slave[CONFIG_MAX_CHARDEVS]; /* CHR_PTY: its other end, kept open */
};

void chardevs_init(struct chardevs *c);
/* Open chardev idx for a device's output and input (O_NONBLOCK): 0 and
 * its fd in c->fd[idx], or -errno with QEMU's words naming the chardev. */
int chardevs_open(struct chardevs *c, const struct config *cfg, unsigned idx, struct kverr *err);
void chardevs_close(struct chardevs *c);

#endif
