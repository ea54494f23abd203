/* server.h - kvmem's monitors: the -qmp and -monitor endpoints, their
 * clients, and QMP events.
 *
 * Owns: the listening sockets (unix and TCP) and stdio, every client
 * connection with its input framing (stream.c for QMP, lines for HMP),
 * its QMP session and its output queue; the greeting, the HMP banner and
 * prompt; handing each message to dispatch.c or hmp.c; sending events to
 * every QMP client in command mode (QEMU sends none during negotiation).
 * Never: blocks.  Every socket is non-blocking and every byte goes out
 * when the loop says the peer can take it, so a client that sends nothing,
 * stops reading or vanishes mid-message costs only its own buffers.
 *
 * Limits (docs/qmp.md):
 *   MONITOR_MAX_MESSAGE  one QMP message; a longer one gets an error and
 *                        the connection is closed
 *   MONITOR_MAX_LINE     one HMP line; a longer one is refused and skipped
 *   MONITOR_MAX_CLIENTS  connections at once, all endpoints together; more
 *                        are accepted and closed at once
 *   MONITOR_OUT_PAUSE    queued output above which a client's input is no
 *                        longer read (it is not reading its answers)
 *   MONITOR_OUT_MAX      queued output at which a client is disconnected
 *
 * Out of file descriptors (accept4: EMFILE, ENFILE, ENOBUFS, ENOMEM), a
 * listener is no longer watched, so the loop does not spin on a backlog
 * it cannot take; it is watched again when a client leaves, or after a
 * second.  Queued connections wait in the backlog meanwhile.
 */
#ifndef KVMEM_QMP_SERVER_H
#define KVMEM_QMP_SERVER_H

#include <jansson.h>

#include "config/config.h"
#include "qmp/dispatch.h"
#include "util/err.h"
#include "util/loop.h"

#define MONITOR_MAX_MESSAGE (1u << 20)
#define MONITOR_MAX_LINE 4096u
#define MONITOR_MAX_CLIENTS 256u
#define MONITOR_OUT_PAUSE (1u << 20)
#define MONITOR_OUT_MAX (16u << 20)

struct monitors;

/* Open every endpoint the configuration names: bind and listen on the
 * sockets (a stale unix socket file is replaced, any other file is left
 * alone and refused), prepare stdio.  Commands run with table and ctx.
 * Fails with a message naming the option. */
int monitors_create(struct monitors **out, const struct config *cfg,
		    const struct qmp_commands *table, void *ctx, struct kverr *err);
/* The number of endpoints with wait=on, and waiting for their first
 * clients (blocking: before the guest starts). */
unsigned monitors_waiting(const struct monitors *ms);
int monitors_wait_clients(struct monitors *ms, struct kverr *err);
/* Start serving in the loop: greet, accept, read, answer. */
int monitors_attach(struct monitors *ms, struct loop *loop, struct kverr *err);
/* Send event `name` (data: an object, stolen; or NULL) to every QMP
 * client that finished capabilities negotiation. */
void monitors_event(struct monitors *ms, const char *name, json_t *data);
/* At exit: try for up to timeout_ms to deliver what is queued. */
void monitors_flush(struct monitors *ms, int timeout_ms);
/* Close everything and remove the unix socket files kvmem created. */
void monitors_destroy(struct monitors *ms);

#endif
