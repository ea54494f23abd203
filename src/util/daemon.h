/* daemon.h - -daemonize and -pidfile, as QEMU does them.
 *
 * Owns: the fork into the background, the pipe through which the process
 * in the background tells the one in the foreground that it is ready (its
 * monitors listen) or that it failed, and the pid file (created and
 * locked, removed at exit).
 * Never: prints or exits; main() does both, in the foreground process
 * from daemon_start()'s answer, in the background one as usual (its stderr
 * is the caller's until daemon_ready(), so its errors reach the caller).
 */
#ifndef KVMEM_UTIL_DAEMON_H
#define KVMEM_UTIL_DAEMON_H

#include <stdbool.h>

#include "util/err.h"

struct daemon {
	int ready_fd; /* write end of the pipe, -1 when not daemonized */
	int pid_fd;   /* the locked pid file, -1 when none */
	const char *pidfile;
};

/* Fork.  In the foreground process returns 1 with *status the exit status
 * to end with: 0 once the background one said it is ready, 1 if it failed
 * or died first.  In the background process returns 0 (it is a session
 * leader).  -errno with err if fork fails. */
int daemon_start(struct daemon *d, int *status, struct kverr *err);
/* Create the pid file, lock it and write the pid (QEMU's messages). */
int daemon_pidfile(struct daemon *d, const char *path, struct kverr *err);
/* The background process is ready: tell the foreground one, which exits
 * 0, and point stdin, stdout and stderr at /dev/null.  Nothing when not
 * daemonized. */
void daemon_ready(struct daemon *d);
/* At exit: remove the pid file. */
void daemon_end(struct daemon *d);

#endif
