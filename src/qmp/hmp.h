/* hmp.h - the human monitor: QEMU's HMP spellings over kvmem's QMP
 * commands.  Pure: it runs QMP commands through qmp_execute() and formats
 * their results as QEMU's HMP does.
 *
 * Owns: splitting a command line into command name and arguments, the
 * table of HMP commands (with QEMU's aliases: c, s, q) and "info"
 * subcommands, and their text output.
 * Never: reaches the machine except through QMP commands, so what HMP
 * shows is what QMP returns.
 *
 * Adding a command is a row in hmp.c's table; a QMP command that needs
 * no arguments and prints nothing on success (stop, cont, quit) needs no
 * function at all.
 */
#ifndef KVMEM_QMP_HMP_H
#define KVMEM_QMP_HMP_H

#include "qmp/dispatch.h"
#include "util/buf.h"

/* Run one command line; its output (lines ending in '\n') is appended to
 * out.  An unknown command or a failed one prints an error line, as in
 * QEMU; nothing here fails. */
void hmp_execute(const struct qmp_commands *table, void *ctx, const char *line, struct buf *out);

/* Append text to out with every "\n" made "\r\n", as QEMU's monitor sends
 * its lines (on a socket and in human-monitor-command's answer). */
void hmp_crlf(struct buf *out, const char *text, size_t len);

/* The banner a human monitor prints when it starts. */
#define HMP_BANNER "kvmem " KVMEM_VERSION " monitor - type 'help' for more information\n"
/* QEMU's prompt, so that scripts waiting for it work unchanged. */
#define HMP_PROMPT "(qemu) "

#endif
