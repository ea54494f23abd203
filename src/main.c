/* main.c - kvmem's entry point.  The stages run in the order written here;
 * see src/machine.h for what each one does and docs/ARCHITECTURE.md for
 * why.  Only this file prints errors and chooses the exit status. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "config/device.h"
#include "machine.h"
#include "plan/print.h"
#include "util/daemon.h"
#include "util/log.h"

/* -msg timestamp=on: QEMU's prefix, the UTC time to the microsecond */
static bool msg_timestamp;

static int fail(struct kverr *err)
{
	char when[64] = "";

	if (msg_timestamp) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + n, sizeof(when) - n, ".%06ldZ ", ts.tv_nsec / 1000);
	}
	fprintf(stderr, "%skvmem: %s\n", when, err->msg);
	return MACHINE_EXIT_ERROR;
}

/* -device help, -device DRIVER,help */
static int device_help(const struct config *cfg)
{
	struct kverr err = {{0}};
	struct buf text = {0};
	int status = 0;

	if (config_device_help(cfg, &text, &err) < 0)
		status = fail(&err);
	else if (text.failed || (text.data && fputs(text.data, stdout) < 0) || fflush(stdout))
		status = MACHINE_EXIT_ERROR;
	buf_free(&text);
	return status;
}

/* The running machine's log (a triple fault's registers): one block on
 * stderr, in one write so the guest's console output cannot cut it, and
 * only if stderr takes it within a second, so that a reader that stopped
 * never holds the main loop. */
static void log_block(const char *block)
{
	char text[8192];
	int n = snprintf(text, sizeof(text), "kvmem: %s\n", block);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	struct pollfd p = {.fd = STDERR_FILENO, .events = POLLOUT};

	for (size_t off = 0; off < len && poll(&p, 1, 1000) == 1 && !(p.revents & POLLERR);) {
		ssize_t w = write(STDERR_FILENO, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* Run-time messages of the modules (util/log.h), one line each, written
 * as log_block writes: a reader that stopped never holds a device thread
 * for more than a second. */
static void log_to_stderr(const char *line, void *opaque)
{
	(void)opaque;
	log_block(line);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct machine m;
	struct kverr err = {{0}};
	struct daemon daemon = {.ready_fd = -1, .pid_fd = -1};
	char report[4096] = "";
	int status;

	log_set_sink(log_to_stderr, NULL);
	if (config_parse(&cfg, argc, argv, &err) < 0)
		return fail(&err);
	switch (cfg.action) {
	case CONFIG_HELP:
		config_print_help(stdout);
		return 0;
	case CONFIG_VERSION:
		printf("kvmem version %s\n", KVMEM_VERSION);
		return 0;
	case CONFIG_DEVICE_HELP:
		status = device_help(&cfg);
		config_free(&cfg);
		return status;
	case CONFIG_RUN:
		break;
	}
	msg_timestamp = cfg.compat.msg_timestamp;

	/* -daemonize: the foreground process only waits for the verdict of
	 * the background one, which prints its own errors until it is ready */
	if (cfg.compat.daemonize) {
		int ret = daemon_start(&daemon, &status, &err);

		if (ret < 0 || ret == 1) {
			config_free(&cfg);
			return ret < 0 ? fail(&err) : status;
		}
	}
	if (cfg.compat.pidfile && daemon_pidfile(&daemon, cfg.compat.pidfile, &err) < 0) {
		config_free(&cfg);
		return fail(&err);
	}

	if (machine_plan(&m, &cfg, &err) < 0) {
		status = fail(&err);
		goto out;
	}
	if (cfg.print_layout) {
		/* the plan is complete and nothing is created yet: show it, stop */
		struct plan_view view = machine_plan_view(&m);
		plan_print(stdout, &view);
		status = fflush(stdout) ? MACHINE_EXIT_ERROR : MACHINE_EXIT_OK;
		goto out;
	}
	if (machine_memory(&m, &err) < 0 || machine_devices(&m, &err) < 0 ||
	    machine_monitors(&m, &err) < 0) {
		status = fail(&err);
		goto out;
	}
	for (unsigned i = 0; i < cfg.nr_monitors; i++)
		if (cfg.monitor[i].kind != CHARDEV_STDIO && cfg.monitor[i].wait)
			fprintf(stderr, "kvmem: %s %s: waiting for a client to connect (wait=on)\n",
				cfg.monitor[i].mode == MONITOR_QMP ? "-qmp" : "-monitor",
				cfg.monitor[i].spec);
	m.log = log_block;
	daemon_ready(&daemon); /* the monitors listen: libvirt may connect */
	status = machine_run(&m, &err, report, sizeof(report));
	if (status == MACHINE_EXIT_ERROR)
		fail(&err);
	else if (status == MACHINE_EXIT_CRASH)
		fprintf(stderr, "kvmem: guest stopped: %s\n", report);
	else if (report[0])
		fprintf(stderr, "kvmem: %s\n", report);
out:
	machine_destroy(&m);
	daemon_end(&daemon);
	config_free(&cfg);
	return status;
}
