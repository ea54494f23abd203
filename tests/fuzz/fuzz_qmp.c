/* fuzz_qmp.c - libFuzzer target: arbitrary bytes into kvmem's QMP command
 * dispatcher, as a client would send them.
 *
 * Each input is one connection's byte stream: src/qmp/stream.c cuts it into
 * messages, dispatch.c checks and runs them against kvmem's real command
 * table (commands.c, and through human-monitor-command the human monitor,
 * hmp.c), on a real machine built by kvmem's stages with the KVM-less VM of
 * tests/qmp/sim_vm.c (no vCPU threads, so stop/cont are instant).  The
 * first byte picks whether the session starts negotiated.  Every answer is
 * serialized as it would be sent.  After each input the machine is put back
 * (running, no pending reset or quit, the devices the input added removed),
 * so inputs are independent.  kvmem-sim's test device (tests/qmp/sim_dev.c)
 * gives device_add, device_del and qom-* a driver to work on.
 *
 * Build: clang with -fsanitize=fuzzer (build-asan, tests/fuzz/meson.build);
 * run_fuzz.sh runs it for a bounded time in the test suite.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "machine.h"
#include "qmp/commands.h"
#include "qmp/dispatch.h"
#include "qmp/server.h"
#include "qmp/stream.h"

static struct config cfg;
static struct machine m;

/* The least a bzImage header needs for boot_probe. */
static void write_fake_bzimage(const char *path)
{
	uint8_t img[4096] = {0};
	FILE *f = fopen(path, "wb");

	img[0x1f1] = 1;
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	img[0x211] = 0x01;
	img[0x236] = 0x01;
	img[0x239] = 0x08; /* cmdline_size 2048 */
	img[0x262] = 0x10; /* init_size 1 MiB */
	if (!f || fwrite(img, sizeof(img), 1, f) != 1)
		abort();
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char kernel[] = "/tmp/kvmem-fuzz-kernel-XXXXXX";
	char *args[] = {
	    "kvmem", "-kernel", kernel, "-m",	   "64M,slots=2,maxmem=1G",	      "-smp",
	    "2",     "-serial", "none", "-object", "memory-backend-ram,id=fz,size=1M"};
	struct kverr err = {{0}};
	int fd = mkstemp(kernel);

	(void)argc;
	(void)argv;
	if (fd < 0)
		abort();
	close(fd);
	write_fake_bzimage(kernel);
	if (config_parse(&cfg, sizeof(args) / sizeof(args[0]), args, &err) ||
	    machine_plan(&m, &cfg, &err) || machine_memory(&m, &err) || machine_devices(&m, &err) ||
	    machine_monitors(&m, &err) || vm_create(&m.vm, &m.topo, &m.pio, &m.mmio, &err) ||
	    vm_create_vcpus(&m.vm, &err)) {
		fprintf(stderr, "fuzz_qmp: set-up failed: %s\n", err.msg);
		abort();
	}
	unlink(kernel);
	m.vm_live = true;
	m.runstate = MACHINE_RUNNING;
	return 0;
}

struct input {
	struct qmp_session session;
};

static bool on_message(void *opaque, enum stream_event ev, const char *data, size_t len)
{
	struct input *in = opaque;
	json_t *rsp = NULL;
	size_t n;
	char *text;

	if (ev == STREAM_MESSAGE)
		rsp = qmp_dispatch(&kvmem_qmp_commands, &m, &in->session, data, len);
	else if (ev == STREAM_LEX_ERROR)
		rsp = qmp_lex_error_response(data, len);
	if (rsp) {
		text = qmp_serialize(rsp, &n);
		if (!text)
			abort(); /* every answer must serialize */
		free(text);
		json_decref(rsp);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {{0}};
	struct json_stream s;

	if (!size)
		return 0;
	in.session.command_mode = data[0] & 1;
	json_stream_init(&s, MONITOR_MAX_MESSAGE);
	json_stream_feed(&s, (const char *)data + 1, size - 1, on_message, &in);
	json_stream_fini(&s);
	/* put the machine back as it was */
	machine_cont(&m);
	m.end = (struct machine_end){.kind = MACHINE_END_NONE};
	dev_set_run_pending(&m.devs.set);
	for (struct device *d = m.devs.set.first, *next; d; d = next) {
		next = d->next;
		if (d->hotplugged)
			dev_unplug_done(d);
	}
	return 0;
}
