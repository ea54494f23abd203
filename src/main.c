/* main.c - kvmem's entry point.  The stages run in the order written here;
 * see src/machine.h for what each one does and docs/ARCHITECTURE.md for
 * why.  Only this file prints errors and chooses the exit status. */
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "machine.h"
#include "plan/print.h"
#include "util/log.h"

static int fail(struct kverr *err)
{
	fprintf(stderr, "kvmem: %s\n", err->msg);
	return MACHINE_EXIT_ERROR;
}

/* Run-time messages of the modules (util/log.h), one line each. */
static void log_to_stderr(const char *line, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "kvmem: %s\n", line);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct machine m;
	struct kverr err = {{0}};
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
	case CONFIG_RUN:
		break;
	}

	if (machine_plan(&m, &cfg, &err) < 0) {
		status = fail(&err);
		goto out;
	}
	if (cfg.print_layout) {
		/* the plan is complete and nothing is created yet: show it, stop */
		struct plan_view view = {&cfg, &m.layout, &m.numa, &m.topo, &m.e820, &m.pci_plan};
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
	status = machine_run(&m, &err, report, sizeof(report));
	if (status == MACHINE_EXIT_ERROR)
		fail(&err);
	else if (status == MACHINE_EXIT_CRASH)
		fprintf(stderr, "kvmem: guest stopped: %s\n", report);
	else if (report[0])
		fprintf(stderr, "kvmem: %s\n", report);
out:
	machine_destroy(&m);
	config_free(&cfg);
	return status;
}
