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
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "hw/memhp.h"
#include "hw/pc_dimm.h"
#include "hw/pci_acpi.h"
#include "hw/pm.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "plan/iomap.h"
#include "qmp/commands.h"
#include "qmp/memory_commands.h"
#include "qmp/server.h"

/* ---- stage 1: plan (pure) ---- */

/* The accelerator: the first of -accel's (or -machine accel='s) that this
 * VM has; kvm when none is named.  -machine none, which runs no guest and
 * is what libvirt probes, takes the first that works on this host and
 * goes on without one if none does (query-kvm then says so). */
static int machine_choose_accel(struct machine *m, struct kverr *err)
{
	const struct config_compat *c = &m->cfg->compat;
	static const char *const kvm_only[] = {"kvm"};
	const char *const *want = c->nr_accels ? c->accel : kvm_only;
	unsigned n = c->nr_accels ? c->nr_accels : 1;

	for (unsigned i = 0; i < n; i++) {
		for (const char *const *a = vm_accels; *a; a++) {
			if (strcmp(*a, want[i]))
				continue;
			if (c->machine_none && vm_accel_probe(*a, NULL))
				continue;
			m->accel = *a;
			return 0;
		}
	}
	if (c->machine_none)
		return 0;
	return kverr_set(err, EINVAL, "%s%s%s: kvmem runs guests with %s only", c->accel_opt,
			 strcmp(c->accel_opt, "-accel") ? "" : " ", want[0], vm_accels[0]);
}

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
	m->devs.kick_fd = -1;
	chardevs_init(&m->chardevs);
	m->console_in_fd = -1;
	m->pio.name = "pio";
	m->mmio.name = "mmio";

	ret = machine_choose_accel(m, err);
	if (ret)
		return ret;
	if (cfg->compat.machine_none) /* QMP only: the device registry, no guest */
		return machine_devs_plan(m, err);
	ret = layout_compute(&cfg->mem, &m->layout, err);
	if (!ret)
		ret = layout_check_phys_bits(&m->layout, layout_host_guest_phys_bits(), err);
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
	ram_plan_build(&m->ram_plan, cfg, &m->layout, &m->numa);
	e820_build(&m->layout, &m->e820);
	pci_plan_init(&m->pci_plan, &m->layout);
	/* the devices, then their places on the bus, then the BARs */
	ret = machine_devs_plan(m, err);
	if (!ret)
		ret = machine_devs_plan_places(m, err);
	if (!ret)
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

struct plan_view machine_plan_view(const struct machine *m)
{
	return (struct plan_view){.cfg = m->cfg,
				  .layout = &m->layout,
				  .numa = &m->numa,
				  .topo = &m->topo,
				  .e820 = &m->e820,
				  .pci = &m->pci_plan,
				  .ram = &m->ram_plan,
				  .acpi = &m->acpi,
				  .boot = m->cfg->kernel ? &m->boot : NULL};
}

/* ---- stage 2: host memory and the guest memory map ---- */

/* The manager gives pages back through the backend's own discard. */
static int discard(void *opaque, struct backend *b, uint64_t offset, uint64_t len,
		   struct kverr *err)
{
	(void)opaque;
	return backend_discard(b, offset, len, err);
}

/* The backends the RAM plan names (mem/ram_plan.h says which), then each
 * part of RAM as a region of the memory manager.  The device-memory
 * region stays empty until memory is plugged. */
int machine_memory(struct machine *m, struct kverr *err)
{
	const struct ram_plan *rp = &m->ram_plan;
	struct mem_host_ops host = {.discard = discard};
	struct backend *b[CONFIG_MAX_NUMA_NODES];
	int ret = 0;

	/* Every -object backend exists from the start, used or not, as in
	 * QEMU, in command-line order (with -machine none too). */
	for (unsigned i = 0; !ret && i < m->cfg->nr_memdevs; i++)
		ret = memdevs_create(&m->memdevs, &m->cfg->memdev[i], err);
	/* the secrets, which object-del may delete */
	for (unsigned i = 0; !ret && i < m->cfg->compat.nr_secrets; i++)
		if (names_add(&m->secrets, m->cfg->compat.secret[i]))
			ret = kverr_set(err, ENOMEM, "out of memory");
	if (ret || m->cfg->compat.machine_none)
		return ret;
	ret = mem_manager_create(&m->mem, &host, err);
	/* The RAM plan's backends: an -object's is that object's (mapped, so
	 * object-del and DIMMs leave it alone), kvmem makes its own. */
	for (unsigned i = 0; !ret && i < rp->nr_backends; i++) {
		struct memdev *md = NULL;

		if (rp->backend[i].origin == RAM_BACKEND_MACHINE ||
		    rp->backend[i].origin == RAM_BACKEND_MEMDEV)
			md = memdevs_find(&m->memdevs, rp->backend[i].id);
		if (md) {
			md->mapped = true;
			b[i] = &md->host;
		} else {
			b[i] = &m->ram[i];
			ret = backend_create(b[i], rp->backend[i].memdev, err);
		}
	}
	for (unsigned i = 0; !ret && i < rp->nr_regions; i++) {
		const struct ram_region *r = &rp->region[i];
		struct mem_region_spec spec = {
		    .name = r->part->name,
		    .kind = MEM_REGION_RAM,
		    .gpa = r->part->gpa,
		    .size = r->part->size,
		    .backend = b[r->backend],
		    .backend_offset = r->backend_offset,
		    .node = r->part->node,
		};
		ret = mem_manager_add(m->mem, &spec, NULL, err);
	}
	return ret;
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

/* The memory hotplug controller has news for the guest: its GPE. */
static void machine_memhp_notify(void *opaque)
{
	struct machine *m = opaque;

	pm_gpe_raise(m->pm, IOMAP_MEMHP_GPE, NULL);
}

/* With slots, the memory hotplug controller: its registers and GPE. */
static int memory_hotplug_device(struct machine *m, struct kverr *err)
{
	struct memhp_callbacks cb = {.notify = machine_memhp_notify, .opaque = m};
	int ret;

	if (!m->layout.slots)
		return 0;
	ret = memhp_create(&m->memhp, m->layout.slots, &cb, err);
	if (!ret)
		ret = bus_register(&m->pio, IOMAP_MEMHP_BASE, IOMAP_MEMHP_LEN, memhp_io, m->memhp,
				   "acpi-mem-hotplug", err);
	return ret;
}

/* The serial port's output on fd (stdout), such that writing it never
 * blocks (serial.h).  O_NONBLOCK belongs to the open file, which stdout
 * shares with the shell and often with stderr, so setting it there would
 * make kvmem's own messages fail with EAGAIN: a pipe, a terminal or
 * /dev/null is opened again through /proc instead, as a file of kvmem's
 * own.  A regular file never blocks, and keeps its offset (O_APPEND or
 * not) through a plain copy.  A socket is written with MSG_DONTWAIT. */
static int console_output_fd(int fd)
{
	char path[32];
	struct stat st;
	int out;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode))
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	out = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (out >= 0)
		return out;
	/* no /proc: a copy, non-blocking for everyone sharing it */
	out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (out >= 0)
		fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);
	return out;
}

int machine_devices(struct machine *m, struct kverr *err)
{
	const struct config *cfg = m->cfg;
	struct pm_callbacks cb = {.poweroff = machine_poweroff, .reset = machine_reset, .opaque = m};
	int ret;

	if (cfg->compat.machine_none)
		return 0;
	switch (cfg->serial) {
	case SERIAL_STDIO:
		m->serial_out_fd = console_output_fd(STDOUT_FILENO);
		break;
	case SERIAL_FILE:
		m->serial_out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (m->serial_out_fd < 0)
			return kverr_sys(err, errno, "-serial: cannot open 'file:%s'", cfg->serial_path);
		/* our own open file (a FIFO, say): the UART never waits on it */
		fcntl(m->serial_out_fd, F_SETFL, fcntl(m->serial_out_fd, F_GETFL) | O_NONBLOCK);
		break;
	case SERIAL_NONE:
		m->serial_out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		break;
	}
	if (m->serial_out_fd < 0)
		return kverr_sys(err, errno, "-serial: cannot set up the console output");
	m->console_in_fd = cfg->serial == SERIAL_STDIO ? STDIN_FILENO : -1;

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
	ret = memory_hotplug_device(m, err);
	if (ret)
		return ret;

	/* PCI: the bus as the plan made it; then, as a firmware leaves it,
	 * with every BAR decoding at its planned address */
	if ((ret = pci_bus_init(&m->pci, &m->pci_plan, err)) ||
	    (ret = pci_bus_register(&m->pci, &m->pio, &m->mmio, err)))
		return ret;
	if ((ret = machine_devs_realize(m, err)))
		return ret;
	pci_bus_reset(&m->pci);
	return 0;
}

void machine_serial_connect(struct machine *m, int out_fd, int in_fd)
{
	if (m->serial_out_fd >= 0)
		close(m->serial_out_fd);
	m->serial_out_fd = out_fd;
	serial_set_output(m->serial, out_fd);
	m->console_in_fd = in_fd;
}

/* ---- stage 4: monitors ---- */

int machine_monitors(struct machine *m, struct kverr *err)
{
	return monitors_create(&m->mon, m->cfg, kvmem_qmp_table(m->cfg->compat.machine_none), m,
			       err);
}

/* ---- stage 5: run ---- */

/* The virtio-pci devices' interrupts and doorbells go to the VM just built. */
static void bind_virtio(struct machine *m)
{
	struct pci_vm_ops ops = vm_pci_ops;

	ops.ctx = &m->vm;
	virtio_pci_list_vm_built(&m->virtio, &ops);
}

static int vm_build(struct machine *m, struct kverr *err)
{
	struct boot_entry entry;
	int ret;

	ret = vm_create(&m->vm, &m->topo, &m->pio, &m->mmio, err);
	m->vm_live = true;
	if (ret)
		return ret;
	ret = vm_map_memory(&m->vm, m->mem, err);
	if (!ret)
		bind_virtio(m);
	if (!ret)
		ret = vm_create_vcpus(&m->vm, err);
	if (!ret)
		ret = mem_write(m->mem, m->acpi.base, m->acpi.data, m->acpi.size, err);
	if (!ret)
		ret = boot_load(&m->boot, m->mem, &m->e820, m->acpi.rsdp_gpa, &entry, err);
	if (!ret)
		ret = vm_start(&m->vm, &entry, m->runstate != MACHINE_RUNNING, err);
	return ret;
}

static void vm_teardown(struct machine *m)
{
	virtio_pci_list_vm_gone(&m->virtio);
	if (m->vm_live)
		vm_destroy(&m->vm);
	m->vm_live = false;
}

/* Ask the loop to end this run of the VM; the first reason wins.  Returns
 * false if another one came first. */
static bool machine_end(struct machine *m, enum machine_end_kind kind, bool guest,
			const char *reason)
{
	if (m->end.kind != MACHINE_END_NONE)
		return false;
	m->end = (struct machine_end){.kind = kind, .guest = guest, .reason = reason};
	return true;
}

static json_t *cause(const struct machine_end *end)
{
	return json_pack("{s:b, s:s}", "guest", end->guest, "reason", end->reason);
}

/* What follows the end of a run of the VM, from how it ended and -action
 * (QEMU's runstate rules): a guest's or system_reset's reboot resets the
 * machine unless reboot=shutdown, which makes it a power-off; a power-off
 * exits unless shutdown=pause, which stops the guest where it is.  quit,
 * signals and errors always exit. */
enum machine_next { NEXT_RESET, NEXT_PAUSE, NEXT_EXIT };

static enum machine_next next_step(const struct machine *m)
{
	const struct config_run_actions *on = &m->cfg->on;
	enum machine_end_kind kind = m->end.kind;

	if (kind == MACHINE_END_RESET && on->reboot == CONFIG_REBOOT_RESET)
		return NEXT_RESET;
	if (kind == MACHINE_END_RESET || kind == MACHINE_END_POWEROFF)
		return on->shutdown == CONFIG_SHUTDOWN_PAUSE ? NEXT_PAUSE : NEXT_EXIT;
	return NEXT_EXIT;
}

/* Tell the monitors how this run ends: RESET if the VM is rebuilt,
 * SHUTDOWN otherwise.  Once: a command that ends the run says it before
 * its own answer (as QEMU), the loop says it for everything else. */
static void announce_end(struct machine *m)
{
	enum machine_next next = next_step(m);

	if (m->end.announced)
		return;
	m->end.announced = true;
	monitors_event(m->mon, next == NEXT_RESET ? "RESET" : "SHUTDOWN", cause(&m->end));
	/* shutdown=pause stops a running guest: STOP follows, as in QEMU */
	if (next == NEXT_PAUSE && m->runstate == MACHINE_RUNNING)
		monitors_event(m->mon, "STOP", NULL);
}

/* Console input: stdin, raw when it is a terminal, with QEMU's escape
 * prefix Ctrl-a (Ctrl-a x quits, Ctrl-a Ctrl-a sends a Ctrl-a). */
struct console {
	struct machine *m;
	bool active;    /* stdin is read */
	bool watched;   /* stdin is in the loop */
	bool out_watched; /* the serial output fd is in the loop (EPOLLOUT) */
	bool is_tty;
	int fd; /* the input: stdin, or the pty of an isa-serial's chardev */
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
	c->fd = m->console_in_fd;
	c->active = c->fd >= 0;
	/* the escape prefix and raw mode are for a user's terminal on stdin */
	c->is_tty = c->active && c->fd == STDIN_FILENO && isatty(STDIN_FILENO);
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
		loop_del(&c->m->loop, c->fd);
	} else if (loop_add(&c->m->loop, c->fd, EPOLLIN, console_stdin, c) < 0) {
		c->active = false; /* e.g. a regular file: nothing to wait for */
		return;
	}
	c->watched = on;
}

static void console_stdin(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	ssize_t r = read(c->fd, c->pending, sizeof(c->pending));
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

/* The serial output fd can take more: hand it what the UART holds. */
static void console_out_writable(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	(void)events; /* EPOLLERR/EPOLLHUP too: the write fails, the bytes go */
	if (!serial_tx_drain(c->m->serial)) {
		loop_del(&c->m->loop, c->m->serial_out_fd);
		c->out_watched = false;
	}
}

/* The UART's output fd stopped taking bytes: wait until it is writable. */
static void console_out_blocked(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	uint64_t v;

	(void)events;
	if (read(serial_tx_ready_fd(c->m->serial), &v, sizeof(v)) < 0) {
		/* spurious wake-up */
	}
	if (c->out_watched)
		return;
	if (loop_add(&c->m->loop, c->m->serial_out_fd, EPOLLOUT, console_out_writable, c) == 0)
		c->out_watched = true;
	else
		serial_tx_drain(c->m->serial); /* cannot be polled: it never blocks */
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

/* The guest answered the memory hotplug controller (_OST, _EJ0). */
static void on_memhp(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct memhp_event ev;

	(void)events;
	while (memhp_take_event(m->memhp, &ev)) {
		json_t *info;

		if (ev.kind == MEMHP_EV_OST) {
			info = qmp_acpi_ost_info(ev.id, ev.slot, ev.source, ev.status);
			monitors_event(m->mon, "ACPI_DEVICE_OST", json_pack("{s:o}", "info", info));
		} else {
			pc_dimm_ejected(m, ev.slot);
		}
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

/* Serve the loop until something ends this run of the VM (m->end). */
static void wait_for_end(struct machine *m)
{
	int ret;

	m->end = (struct machine_end){.kind = MACHINE_END_NONE};
	while (m->end.kind == MACHINE_END_NONE) {
		ret = loop_run_once(&m->loop, -1);
		if (ret < 0) {
			kverr_sys(&m->loop_err, -ret, "epoll_wait");
			machine_end(m, MACHINE_END_ERROR, false, "host-error");
		}
	}
}

static int start_vm(struct machine *m, struct kverr *err)
{
	int ret = vm_build(m, err);

	if (ret)
		return ret;
	ret = loop_add(&m->loop, m->vm.event_fd, EPOLLIN, on_vm_request, m);
	return ret ? kverr_sys(err, -ret, "epoll") : 0;
}

static void stop_vm(struct machine *m)
{
	if (m->vm_live)
		loop_del(&m->loop, m->vm.event_fd);
	vm_teardown(m);
}

/* A guest that reset itself by a triple fault: its vCPU's registers, as
 * one block on stderr (main's log), and what kvmem does next. */
static void log_guest_reset(struct machine *m, enum machine_next next)
{
	static const char *const what[] = {
	    [NEXT_RESET] = "resetting the machine (-action reboot=reset, QEMU's default)",
	    [NEXT_PAUSE] = "stopping the guest (-action reboot=shutdown,shutdown=pause)",
	    [NEXT_EXIT] = "exiting (-action reboot=shutdown, as -no-reboot)",
	};
	char block[sizeof(m->vm.report) + 128];

	if (m->end.kind != MACHINE_END_RESET || !m->vm_live || !m->vm.report[0])
		return;
	snprintf(block, sizeof(block), "%s\n  %s", m->vm.report, what[next]);
	m->vm.report[0] = '\0';
	if (m->log)
		m->log(block);
}

/* -machine none: serve the monitors until quit or a signal. */
static int run_none(struct machine *m, struct kverr *err)
{
	struct signals sig = {.m = m};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig.fd < 0)
		return kverr_sys(err, errno, "signalfd"), MACHINE_EXIT_ERROR;
	m->runstate = MACHINE_PRELAUNCH;
	if (loop_init(&m->loop, err) < 0 ||
	    loop_add(&m->loop, sig.fd, EPOLLIN, on_signal, &sig) < 0 ||
	    monitors_attach(m->mon, &m->loop, err) < 0) {
		if (!err->msg[0])
			kverr_set(err, ENOMEM, "cannot set up the main loop");
		close(sig.fd);
		return MACHINE_EXIT_ERROR;
	}
	wait_for_end(m);
	announce_end(m);
	monitors_flush(m->mon, 1000);
	close(sig.fd);
	if (m->end.kind == MACHINE_END_ERROR) {
		*err = m->loop_err;
		return MACHINE_EXIT_ERROR;
	}
	return MACHINE_EXIT_OK;
}

int machine_run(struct machine *m, struct kverr *err, char *report, size_t report_size)
{
	struct console con;
	struct signals sig = {.m = m};
	sigset_t mask;
	int rx_fd, status = MACHINE_EXIT_ERROR;
	bool build = true;

	/* Before signals are blocked: Ctrl-C still ends a wait=on wait. */
	if (monitors_wait_clients(m->mon, err) < 0)
		return MACHINE_EXIT_ERROR;
	if (m->cfg->compat.machine_none)
		return run_none(m, err);

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
	    monitors_attach(m->mon, &m->loop, err) < 0 ||
	    machine_devs_attach(m, &m->loop, err) < 0 ||
	    virtio_pci_list_attach_loop(&m->virtio, &m->loop, err) < 0) {
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
	if (m->memhp)
		loop_add(&m->loop, memhp_event_fd(m->memhp), EPOLLIN, on_memhp, m);
	loop_add(&m->loop, serial_tx_ready_fd(m->serial), EPOLLIN, console_out_blocked, &con);

	m->runstate = m->cfg->start_paused ? MACHINE_PRELAUNCH : MACHINE_RUNNING;
	for (;;) {
		enum machine_next next;

		if (build && start_vm(m, err) < 0) {
			monitors_event(m->mon, "SHUTDOWN",
				       cause(&(struct machine_end){.reason = "host-error"}));
			break;
		}
		build = false;
		wait_for_end(m);
		vm_stop(&m->vm);
		next = next_step(m);
		log_guest_reset(m, next);
		announce_end(m);
		if (next == NEXT_RESET) {
			stop_vm(m);
			serial_reset(m->serial);
			pm_reset(m->pm);
			virtio_pci_list_reset(&m->virtio);
			pci_bus_reset(&m->pci);
			/* A VM reset while stopped stays stopped (QEMU: prelaunch). */
			if (m->runstate != MACHINE_RUNNING)
				m->runstate = MACHINE_PRELAUNCH;
			build = true;
			continue;
		}
		if (next == NEXT_PAUSE) {
			/* The guest stays as it was, its vCPUs stopped, until
			 * system_reset or quit (QEMU's runstate "shutdown"). */
			m->runstate = MACHINE_SHUTDOWN;
			continue;
		}
		if (m->end.kind == MACHINE_END_CRASH) {
			snprintf(report, report_size, "%s", m->vm.report);
			status = MACHINE_EXIT_CRASH;
		} else if (m->end.kind == MACHINE_END_ERROR) {
			*err = m->loop_err;
			status = MACHINE_EXIT_ERROR;
		} else {
			status = MACHINE_EXIT_OK;
			if (m->end.kind == MACHINE_END_QUIT && m->loop_err.msg[0])
				snprintf(report, report_size, "%s", m->loop_err.msg);
		}
		break;
	}
	if (m->vm_live)
		loop_del(&m->loop, m->vm.event_fd);
	/* Let the clients have their last answers and the SHUTDOWN event, and
	 * the console what it takes now: a reader that stopped cannot hold
	 * kvmem's exit. */
	monitors_flush(m->mon, 1000);
	serial_tx_drain(m->serial);
	if (con.out_watched)
		loop_del(&m->loop, m->serial_out_fd);
	console_restore(&con);
	close(sig.fd);
	return status;
}

void machine_destroy(struct machine *m)
{
	vm_teardown(m);
	machine_devs_destroy(m);
	monitors_destroy(m->mon);
	m->mon = NULL;
	loop_fini(&m->loop);
	memhp_destroy(m->memhp);
	pci_bus_fini(&m->pci);
	if (m->pm)
		pm_destroy(m->pm);
	if (m->rtc)
		rtc_destroy(m->rtc);
	if (m->serial)
		serial_destroy(m->serial);
	if (m->serial_out_fd >= 0)
		close(m->serial_out_fd);
	chardevs_close(&m->chardevs);
	/* the regions first: no reader can see the backends after this */
	mem_manager_destroy(m->mem);
	m->mem = NULL;
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		backend_destroy(&m->ram[i]);
	memdevs_free(&m->memdevs);
	names_free(&m->secrets);
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
	case MACHINE_SHUTDOWN:
		return "shutdown";
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

int machine_cont(struct machine *m)
{
	if (m->runstate == MACHINE_SHUTDOWN)
		return -1; /* its vCPUs are gone: only a reset brings them back */
	if (m->runstate == MACHINE_RUNNING)
		return 0;
	m->runstate = MACHINE_RUNNING;
	vm_resume(&m->vm);
	monitors_event(m->mon, "RESUME", NULL);
	return 0;
}

void machine_powerdown(struct machine *m)
{
	monitors_event(m->mon, "POWERDOWN", NULL);
	pm_press_power_button(m->pm);
}

void machine_system_reset(struct machine *m)
{
	if (machine_end(m, MACHINE_END_RESET, false, "host-qmp-system-reset"))
		announce_end(m);
}

void machine_quit(struct machine *m)
{
	/* quit ends kvmem whatever else was under way (a reset, a power-off) */
	if (m->end.kind == MACHINE_END_QUIT || m->end.kind == MACHINE_END_ERROR)
		return;
	m->end = (struct machine_end){.kind = MACHINE_END_QUIT, .reason = "host-qmp-quit"};
	announce_end(m);
}

pid_t machine_vcpu_tid(const struct machine *m, unsigned idx)
{
	if (!m->vm_live || idx >= m->vm.nr_vcpus)
		return 0;
	return m->vm.vcpu[idx].tid;
}
