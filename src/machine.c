/* machine.c - the stages of a kvmem VM in order, and the main loop.
 *
 * The main thread owns the event loop (util/loop.h): guest requests from
 * vCPU threads (power off, reset, crash) arrive on the VM's eventfd,
 * console input on stdin, termination signals on a signalfd, and the
 * monitors' clients on their sockets.  vCPU threads never wait on the
 * main thread, and the main thread never blocks on anything but
 * epoll_wait (and, for 'stop', on the vCPUs leaving KVM_RUN).
 *
 * Whatever ends a run of the VM (the guest, a monitor command, a signal)
 * sets m->end; the loop then stops the vCPUs and either rebuilds the VM
 * (a reset) or returns, emitting QMP's RESET or SHUTDOWN event.
 */
#include "machine.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "hw/pci_acpi.h"
#include "hw/pm.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "plan/iomap.h"
#include "qmp/commands.h"
#include "qmp/server.h"

/* ---- stage 1: plan (pure) ---- */

int machine_plan(struct machine *m, const struct config *cfg, struct kverr *err)
{
	struct acpi_input acpi_in;
	int ret;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->serial_out_fd = -1;
	m->vm.vm_fd = m->vm.kvm_fd = m->vm.event_fd = -1;
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		m->ram[i].fd = -1;
	m->loop.epfd = -1;
	m->pio.name = "pio";
	m->mmio.name = "mmio";

	ret = layout_compute(&cfg->mem, &m->layout, err);
	if (ret)
		return ret;
	topology_from_config(&cfg->smp, &m->topo);
	ret = topology_check(&m->topo, err);
	if (ret)
		return ret;
	ret = numa_plan(&m->numa, cfg, &m->topo, err);
	if (ret)
		return ret;
	ret = layout_place_nodes(&m->layout, &m->numa, err);
	if (ret)
		return ret;
	e820_build(&m->layout, &m->e820);
	pci_plan_init(&m->pci_plan, &m->layout);
	ret = pci_plan_assign(&m->pci_plan, err);
	if (ret)
		return ret;
	acpi_in = (struct acpi_input){.layout = &m->layout, .topo = &m->topo, .numa = &m->numa};
	ret = acpi_add_dsdt_part(&acpi_in, "PCI0", pci_acpi_build, &m->pci_plan, err);
	if (ret)
		return ret;
	ret = acpi_build(&acpi_in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &m->acpi, err);
	if (ret)
		return ret;
	if (!cfg->kernel) /* only -print-layout gets here without one */
		return 0;
	return boot_probe(&m->boot, cfg->kernel, cfg->initrd, cfg->append, &m->layout, err);
}

/* ---- stage 2: host memory and the guest memory map ---- */

/* The host memory of node id, when each node has its own (so that a
 * memdev's host-nodes/policy applies to exactly that node's RAM): its
 * memdev, or anonymous memory for mem= and the default split. */
static int create_node_backend(struct machine *m, uint32_t id, struct kverr *err)
{
	const struct numa_node *node = &m->numa.node[id];
	char name[32];

	if (node->memdev != NUMA_NO_MEMDEV)
		return backend_create(&m->ram[id], &m->cfg->memdev[node->memdev], err);
	snprintf(name, sizeof(name), "ram-node%u", id);
	return backend_create_anon(&m->ram[id], name, node->mem, err);
}

int machine_memory(struct machine *m, struct kverr *err)
{
	const struct config_memdev *md = config_memdev_find(m->cfg, m->cfg->machine_memdev);
	bool one_backend = m->numa.shared_backend;
	int ret = 0;

	/* Without NUMA, or with -machine memory-backend=ID (which QEMU allows
	 * beside -numa mem=, never beside -numa memdev=), one backend holds all
	 * RAM, like QEMU's pc.ram, and each part is a window onto it at its
	 * place in RAM order.  Otherwise each node has its own backend. */
	if (one_backend) {
		if (md)
			ret = backend_create(&m->ram[0], md, err);
		else
			ret = backend_create_anon(&m->ram[0], "pc.ram", m->layout.ram_size, err);
		if (ret)
			return ret;
	}
	/* The device-memory region stays empty until memory is plugged. */
	for (unsigned i = 0; i < m->layout.nr_parts; i++) {
		const struct layout_ram_part *p = &m->layout.part[i];
		struct backend *b = &m->ram[one_backend ? 0 : p->node];

		if (!b->hva && (ret = create_node_backend(m, p->node, err)))
			return ret;
		ret = guest_mem_add(&m->gm, p->name, p->gpa, p->size, b,
				    one_backend ? p->ram_offset : p->node_offset, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- stage 3: devices ---- */

static void machine_poweroff(void *opaque)
{
	struct machine *m = opaque;
	vm_request(&m->vm, VM_REQ_POWEROFF);
}

static void machine_reset(void *opaque)
{
	struct machine *m = opaque;
	vm_request(&m->vm, VM_REQ_RESET);
}

int machine_devices(struct machine *m, struct kverr *err)
{
	const struct config *cfg = m->cfg;
	struct pm_callbacks cb = {.poweroff = machine_poweroff, .reset = machine_reset, .opaque = m};
	int ret;

	switch (cfg->serial) {
	case SERIAL_STDIO:
		m->serial_out_fd = dup(STDOUT_FILENO);
		break;
	case SERIAL_FILE:
		m->serial_out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (m->serial_out_fd < 0)
			return kverr_sys(err, errno, "-serial: cannot open 'file:%s'", cfg->serial_path);
		break;
	case SERIAL_NONE:
		m->serial_out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		break;
	}
	if (m->serial_out_fd < 0)
		return kverr_sys(err, errno, "-serial: cannot set up the console output");

	m->serial_irq = (struct irq_line){.set = vm_set_irq, .ctx = &m->vm, .gsi = IOMAP_COM1_IRQ};
	m->sci_irq = (struct irq_line){.set = vm_set_irq, .ctx = &m->vm, .gsi = IOMAP_SCI_IRQ};

	if ((ret = serial_create(&m->serial, m->serial_out_fd, &m->serial_irq, err)) ||
	    (ret = rtc_create(&m->rtc, err)) || (ret = pm_create(&m->pm, &m->sci_irq, &cb, err)))
		return ret;

	if ((ret = bus_register(&m->pio, IOMAP_COM1_BASE, IOMAP_COM1_LEN, serial_io, m->serial,
				"serial", err)) ||
	    (ret = bus_register(&m->pio, IOMAP_RTC_BASE, IOMAP_RTC_LEN, rtc_io, m->rtc, "rtc",
				err)) ||
	    (ret = bus_register(&m->pio, IOMAP_PM_BASE, IOMAP_PM_LEN, pm_io, m->pm, "acpi-pm",
				err)) ||
	    (ret = bus_register(&m->pio, IOMAP_GPE0_BLK, IOMAP_GPE0_BLK_LEN, pm_gpe_io, m->pm,
				"acpi-gpe0", err)) ||
	    (ret = bus_register(&m->pio, IOMAP_RESET_REG, 1, pm_reset_io, m->pm, "reset", err)) ||
	    (ret = bus_register(&m->pio, IOMAP_I8042_CMD, 1, pm_i8042_io, m->pm, "i8042", err)))
		return ret;

	/* PCI: the bus as the plan made it; then, as a firmware leaves it,
	 * with every BAR decoding at its planned address */
	if ((ret = pci_bus_init(&m->pci, &m->pci_plan, err)) ||
	    (ret = pci_bus_register(&m->pci, &m->pio, &m->mmio, err)))
		return ret;
	pci_bus_reset(&m->pci);
	return 0;
}

/* ---- stage 4: monitors ---- */

int machine_monitors(struct machine *m, struct kverr *err)
{
	return monitors_create(&m->mon, m->cfg, &kvmem_qmp_commands, m, err);
}

/* ---- stage 5: run ---- */

static int vm_build(struct machine *m, struct kverr *err)
{
	struct boot_entry entry;
	int ret;

	ret = vm_create(&m->vm, &m->topo, &m->pio, &m->mmio, err);
	m->vm_live = true;
	if (ret)
		return ret;
	ret = vm_map_memory(&m->vm, &m->gm, err);
	if (!ret)
		ret = vm_create_vcpus(&m->vm, err);
	if (!ret)
		ret = guest_mem_write(&m->gm, m->acpi.base, m->acpi.data, m->acpi.size, err);
	if (!ret)
		ret = boot_load(&m->boot, &m->gm, &m->e820, m->acpi.rsdp_gpa, &entry, err);
	if (!ret)
		ret = vm_start(&m->vm, &entry, m->runstate != MACHINE_RUNNING, err);
	return ret;
}

static void vm_teardown(struct machine *m)
{
	if (m->vm_live)
		vm_destroy(&m->vm);
	m->vm_live = false;
}

/* Ask the loop to end this run of the VM; the first reason wins. */
static void machine_end(struct machine *m, enum machine_end_kind kind, bool guest,
			const char *reason)
{
	if (m->end.kind == MACHINE_END_NONE)
		m->end = (struct machine_end){.kind = kind, .guest = guest, .reason = reason};
}

/* Console input: stdin, raw when it is a terminal, with QEMU's escape
 * prefix Ctrl-a (Ctrl-a x quits, Ctrl-a Ctrl-a sends a Ctrl-a). */
struct console {
	struct machine *m;
	bool active;    /* stdin is read */
	bool watched;   /* stdin is in the loop */
	bool is_tty;
	bool saved;
	struct termios saved_tio;
	bool escape;
	uint8_t pending[256];
	size_t npending, off;
};

static void console_init(struct console *c, struct machine *m)
{
	memset(c, 0, sizeof(*c));
	c->m = m;
	c->active = m->cfg->serial == SERIAL_STDIO;
	c->is_tty = c->active && isatty(STDIN_FILENO);
	if (c->is_tty && tcgetattr(STDIN_FILENO, &c->saved_tio) == 0) {
		struct termios raw = c->saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST; /* keep \n -> \r\n for our own messages */
		c->saved = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
}

static void console_restore(struct console *c)
{
	if (c->saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved_tio);
	c->saved = false;
}

/* Returns true when the user asked to quit. */
static bool console_filter(struct console *c, uint8_t *buf, size_t *len)
{
	size_t w = 0;

	if (!c->is_tty)
		return false;
	for (size_t i = 0; i < *len; i++) {
		uint8_t ch = buf[i];
		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X')
				return true;
			if (ch == 0x01)
				buf[w++] = ch;
			continue;
		}
		if (ch == 0x01) {
			c->escape = true;
			continue;
		}
		buf[w++] = ch;
	}
	*len = w;
	return false;
}

/* Push pending console bytes into the UART; returns true if some remain. */
static bool console_flush(struct console *c, struct serial *s)
{
	if (c->off < c->npending)
		c->off += serial_receive(s, c->pending + c->off, c->npending - c->off);
	if (c->off >= c->npending)
		c->npending = c->off = 0;
	return c->npending > 0;
}

static void console_stdin(void *opaque, uint32_t events);

static void console_watch(struct console *c, bool on)
{
	if (on == c->watched || !c->active)
		return;
	if (!on) {
		loop_del(&c->m->loop, STDIN_FILENO);
	} else if (loop_add(&c->m->loop, STDIN_FILENO, EPOLLIN, console_stdin, c) < 0) {
		c->active = false; /* e.g. a regular file: nothing to wait for */
		return;
	}
	c->watched = on;
}

static void console_stdin(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	ssize_t r = read(STDIN_FILENO, c->pending, sizeof(c->pending));
	size_t len;

	(void)events;
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		/* EOF: the guest just stops getting input */
		console_watch(c, false);
		c->active = false;
		return;
	}
	len = (size_t)r;
	if (console_filter(c, c->pending, &len)) {
		kverr_set(&c->m->loop_err, EINTR, "quit from the console (Ctrl-a x)");
		machine_end(c->m, MACHINE_END_QUIT, false, "host-ui");
		return;
	}
	c->npending = len;
	c->off = 0;
	/* Stop reading stdin while the UART's FIFO is full. */
	if (console_flush(c, c->m->serial))
		console_watch(c, false);
}

/* The UART has room again. */
static void console_rx_space(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	uint64_t v;

	(void)events;
	if (read(serial_rx_space_fd(c->m->serial), &v, sizeof(v)) < 0) {
		/* spurious wake-up */
	}
	if (!console_flush(c, c->m->serial))
		console_watch(c, true);
}

struct signals {
	struct machine *m;
	int fd;
};

static void on_signal(void *opaque, uint32_t events)
{
	struct signals *sig = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(sig->fd, &si, sizeof(si)) == sizeof(si)) {
		kverr_set(&sig->m->loop_err, EINTR, "terminating on signal %u", si.ssi_signo);
		machine_end(sig->m, MACHINE_END_QUIT, false, "host-signal");
	}
}

/* A vCPU thread asked for something (vm_request). */
static void on_vm_request(void *opaque, uint32_t events)
{
	struct machine *m = opaque;

	(void)events;
	switch (vm_take_request(&m->vm)) {
	case VM_REQ_POWEROFF:
		machine_end(m, MACHINE_END_POWEROFF, true, "guest-shutdown");
		break;
	case VM_REQ_RESET:
		machine_end(m, MACHINE_END_RESET, true, "guest-reset");
		break;
	case VM_REQ_CRASH:
		machine_end(m, MACHINE_END_CRASH, false, "host-error");
		break;
	case VM_REQ_NONE:
		break;
	}
}

static json_t *cause(const struct machine_end *end)
{
	return json_pack("{s:b, s:s}", "guest", end->guest, "reason", end->reason);
}

/* Run the VM until something ends this run of it. */
static int run_until_end(struct machine *m, struct kverr *err)
{
	int ret;

	m->end = (struct machine_end){.kind = MACHINE_END_NONE};
	ret = loop_add(&m->loop, m->vm.event_fd, EPOLLIN, on_vm_request, m);
	if (ret)
		return kverr_sys(err, -ret, "epoll");
	while (m->end.kind == MACHINE_END_NONE) {
		ret = loop_run_once(&m->loop, -1);
		if (ret < 0) {
			kverr_sys(&m->loop_err, -ret, "epoll_wait");
			machine_end(m, MACHINE_END_ERROR, false, "host-error");
		}
	}
	loop_del(&m->loop, m->vm.event_fd);
	vm_stop(&m->vm);
	return 0;
}

int machine_run(struct machine *m, struct kverr *err, char *report, size_t report_size)
{
	struct console con;
	struct signals sig = {.m = m};
	sigset_t mask;
	int rx_fd, status = MACHINE_EXIT_ERROR;

	/* Before signals are blocked: Ctrl-C still ends a wait=on wait. */
	if (monitors_wait_clients(m->mon, err) < 0)
		return MACHINE_EXIT_ERROR;

	/* Termination signals go to the main loop; vCPU threads inherit the
	 * mask, so none of them is interrupted by a stray SIGINT. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig.fd < 0)
		return kverr_sys(err, errno, "signalfd"), MACHINE_EXIT_ERROR;
	if (loop_init(&m->loop, err) < 0 ||
	    loop_add(&m->loop, sig.fd, EPOLLIN, on_signal, &sig) < 0 ||
	    monitors_attach(m->mon, &m->loop, err) < 0) {
		if (!err->msg[0])
			kverr_set(err, ENOMEM, "cannot set up the main loop");
		close(sig.fd);
		return MACHINE_EXIT_ERROR;
	}
	console_init(&con, m);
	console_watch(&con, true);
	rx_fd = serial_rx_space_fd(m->serial);
	if (rx_fd >= 0)
		loop_add(&m->loop, rx_fd, EPOLLIN, console_rx_space, &con);

	m->runstate = m->cfg->start_paused ? MACHINE_PRELAUNCH : MACHINE_RUNNING;
	for (;;) {
		struct machine_end end;

		if (vm_build(m, err) < 0 || run_until_end(m, err) < 0) {
			monitors_event(m->mon, "SHUTDOWN",
				       cause(&(struct machine_end){.reason = "host-error"}));
			break;
		}
		end = m->end;
		if (end.kind == MACHINE_END_RESET && !m->cfg->no_reboot) {
			vm_teardown(m);
			serial_reset(m->serial);
			pm_reset(m->pm);
			pci_bus_reset(&m->pci);
			/* A VM reset while stopped stays stopped (QEMU: prelaunch). */
			if (m->runstate != MACHINE_RUNNING)
				m->runstate = MACHINE_PRELAUNCH;
			monitors_event(m->mon, "RESET", cause(&end));
			continue;
		}
		monitors_event(m->mon, "SHUTDOWN", cause(&end));
		if (end.kind == MACHINE_END_CRASH) {
			snprintf(report, report_size, "%s", m->vm.report);
			status = MACHINE_EXIT_CRASH;
		} else if (end.kind == MACHINE_END_ERROR) {
			*err = m->loop_err;
			status = MACHINE_EXIT_ERROR;
		} else {
			status = MACHINE_EXIT_OK;
			if (end.kind == MACHINE_END_QUIT && m->loop_err.msg[0])
				snprintf(report, report_size, "%s", m->loop_err.msg);
		}
		break;
	}
	/* Let the clients have their last answers and the SHUTDOWN event. */
	monitors_flush(m->mon, 1000);
	console_restore(&con);
	close(sig.fd);
	return status;
}

void machine_destroy(struct machine *m)
{
	vm_teardown(m);
	monitors_destroy(m->mon);
	m->mon = NULL;
	loop_fini(&m->loop);
	pci_bus_fini(&m->pci);
	if (m->pm)
		pm_destroy(m->pm);
	if (m->rtc)
		rtc_destroy(m->rtc);
	if (m->serial)
		serial_destroy(m->serial);
	if (m->serial_out_fd >= 0)
		close(m->serial_out_fd);
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		backend_destroy(&m->ram[i]);
	acpi_blob_free(&m->acpi);
}

/* ---- run-time control ---- */

const char *machine_runstate_name(enum machine_runstate s)
{
	switch (s) {
	case MACHINE_PRELAUNCH:
		return "prelaunch";
	case MACHINE_RUNNING:
		return "running";
	case MACHINE_PAUSED:
		break;
	}
	return "paused";
}

void machine_stop(struct machine *m)
{
	/* As QEMU: only a running VM stops (and says so); prelaunch stays. */
	if (m->runstate != MACHINE_RUNNING)
		return;
	vm_pause(&m->vm);
	m->runstate = MACHINE_PAUSED;
	monitors_event(m->mon, "STOP", NULL);
}

void machine_cont(struct machine *m)
{
	if (m->runstate == MACHINE_RUNNING)
		return;
	m->runstate = MACHINE_RUNNING;
	vm_resume(&m->vm);
	monitors_event(m->mon, "RESUME", NULL);
}

void machine_powerdown(struct machine *m)
{
	monitors_event(m->mon, "POWERDOWN", NULL);
	pm_press_power_button(m->pm);
}

void machine_system_reset(struct machine *m)
{
	machine_end(m, MACHINE_END_RESET, false, "host-qmp-system-reset");
}

void machine_quit(struct machine *m)
{
	machine_end(m, MACHINE_END_QUIT, false, "host-qmp-quit");
}

pid_t machine_vcpu_tid(const struct machine *m, unsigned idx)
{
	if (!m->vm_live || idx >= m->vm.nr_vcpus)
		return 0;
	return m->vm.vcpu[idx].tid;
}
