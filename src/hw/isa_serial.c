/* isa_serial.c - QEMU's isa-serial device: kvmem's COM1 UART (serial.c)
 * on a chardev, as -device isa-serial,chardev=ID creates it.
 *
 * kvmem's pc has one serial port, COM1 at 0x3f8, IRQ 4, built with the
 * machine; -serial (stdio by default) connects it.  With -serial none or
 * -nodefaults it is free, and an isa-serial device connects it to a
 * chardev instead: a file (libvirt passes one through -add-fd as
 * /dev/fdset/N), a pty (query-chardev names it) or null.  So the
 * properties QEMU lets a user pick another port with (index, iobase, irq)
 * take only COM1's values, and baudbase and wakeup only their defaults.
 * Not hotpluggable, as in QEMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "dev/devset.h"
#include "dev/registry.h"
#include "hw/chardevs.h"
#include "machine.h"
#include "plan/iomap.h"

enum { P_CHARDEV, P_INDEX, P_IOBASE, P_IRQ, P_BAUDBASE, P_WAKEUP };

#define UNSET UINT32_MAX /* QEMU's default: let the machine choose */

static const struct dev_prop props[] = {
    [P_CHARDEV] = {.name = "chardev",
		   .type = DEV_PROP_STR,
		   .help = "ID of a chardev to use as a backend"},
    [P_INDEX] = {.name = "index", .type = DEV_PROP_UINT32, .has_default = true, .def.u = UNSET},
    [P_IOBASE] = {.name = "iobase", .type = DEV_PROP_UINT32, .has_default = true, .def.u = UNSET},
    [P_IRQ] = {.name = "irq", .type = DEV_PROP_UINT32, .has_default = true, .def.u = UNSET},
    [P_BAUDBASE] = {.name = "baudbase",
		    .type = DEV_PROP_UINT32,
		    .has_default = true,
		    .def.u = 115200},
    [P_WAKEUP] = {.name = "wakeup", .type = DEV_PROP_BOOL, .has_default = true},
    {.name = NULL},
};

struct isa_serial {
	int chardev; /* index in cfg->chardevs, -1 when none */
};

static const struct dev_driver isa_serial_driver;

static int only(const struct device *dev, unsigned p, uint64_t want, const char *what,
		struct kverr *err)
{
	uint64_t v = dev_val(dev, p)->u;

	if (v == UNSET || v == want)
		return 0;
	return kverr_set(err, EINVAL,
			 "isa-serial: %s=%llu is not supported: kvmem's pc has one serial port, "
			 "COM1 (index 0, iobase 0x3f8, irq 4)",
			 what, (unsigned long long)v);
}

static int isa_serial_pre_plug(struct device *dev, struct kverr *err)
{
	struct machine *m = dev->set->machine;
	struct isa_serial *s = dev->state;
	const char *id = dev_val(dev, P_CHARDEV)->s;
	int ret;

	s->chardev = -1;
	if ((ret = only(dev, P_INDEX, 0, "index", err)) ||
	    (ret = only(dev, P_IOBASE, IOMAP_COM1_BASE, "iobase", err)) ||
	    (ret = only(dev, P_IRQ, IOMAP_COM1_IRQ, "irq", err)))
		return ret;
	if (dev_val(dev, P_BAUDBASE)->u != 115200 || dev_val(dev, P_WAKEUP)->b)
		return kverr_set(err, EINVAL,
				 "isa-serial: kvmem's UART takes baudbase=115200 and wakeup=off "
				 "only");
	if (m->cfg->serial != SERIAL_NONE)
		return kverr_set(err, EBUSY,
				 "isa-serial: COM1 is taken by -serial (stdio unless told "
				 "otherwise): give -serial none or -nodefaults");
	for (struct device *d = dev->set->first; d; d = d->next)
		if (d != dev && d->drv == &isa_serial_driver && d->realized)
			return kverr_set(err, EBUSY,
					 "isa-serial: COM1 is taken by %s (kvmem has one serial "
					 "port)",
					 d->id ? d->id : d->path);
	if (!id || !*id)
		return 0; /* a port with nothing behind it, as in QEMU */
	for (unsigned i = 0; i < m->cfg->chardevs.nr; i++) {
		const struct config_chardev *c = &m->cfg->chardevs.chr[i];

		if (strcmp(c->id, id))
			continue;
		if (c->user || m->chardevs.fd[i] >= 0)
			return kverr_set(err, EBUSY,
					 "Property 'isa-serial.chardev' can't take value '%s': "
					 "Device '%s' is in use",
					 id, id);
		s->chardev = (int)i;
		return 0;
	}
	return kverr_set(err, ENOENT,
			 "Property 'isa-serial.chardev' can't take value '%s', it doesn't exist",
			 id);
}

static int isa_serial_realize(struct device *dev, struct kverr *err)
{
	struct machine *m = dev->set->machine;
	struct isa_serial *s = dev->state;
	int ret, fd;

	if (s->chardev < 0)
		return 0;
	ret = chardevs_open(&m->chardevs, m->cfg, (unsigned)s->chardev, err);
	if (ret)
		return ret;
	fd = m->chardevs.fd[s->chardev];
	/* the machine gets its own copy of the output; a pty is read too */
	machine_serial_connect(m, fcntl(fd, F_DUPFD_CLOEXEC, 3),
			       m->cfg->chardevs.chr[s->chardev].backend == CHR_PTY ? fd : -1);
	return 0;
}

static void isa_serial_unrealize(struct device *dev)
{
	(void)dev; /* the machine closes COM1's output and the chardev at exit */
}

static const struct dev_driver isa_serial_driver = {
    .name = "isa-serial",
    .categories = DEV_CAT(DEV_CAT_INPUT),
    .bus = DEV_BUS_ISA,
    .user_creatable = true,
    .props = props,
    .state_size = sizeof(struct isa_serial),
    .pre_plug = isa_serial_pre_plug,
    .realize = isa_serial_realize,
    .unrealize = isa_serial_unrealize,
};

DEV_DRIVER_REGISTER(isa_serial_driver)
