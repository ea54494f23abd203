/* serial.c - 16550A UART.
 *
 * The register set follows the National PC16550D data sheet; the behaviour
 * that matters is what Linux's 8250 driver checks: IER bits 7:4 read 0
 * (scratch test), loopback MCR -> MSR mapping (LOOP|OUT2|RTS must read
 * DCD|CTS), IIR bits 7:6 = 11 once FCR enables the FIFOs (16550A), IIR
 * bit 5 = 0 (not a 16750), a FIFO that holds 16 bytes in loopback
 * (size_fifo) and THRE re-asserted when IER.THRI is set again (otherwise
 * the driver flags UART_BUG_THRE and polls).
 *
 * Nothing here sleeps.  Transmitted bytes go to a host-side buffer and on
 * to the output fd with non-blocking writes, from the vCPU that wrote THR
 * while the fd takes them, else from the main loop once it is writable
 * again (serial_tx_drain); while the buffer is nearly full the guest reads
 * THRE and TEMT clear, the back-pressure a real line gives a UART.
 */
#include "hw/serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	REG_RBR_THR = 0, /* DLL when LCR.DLAB */
	REG_IER = 1,	 /* DLM when LCR.DLAB */
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
	NR_REGS = 8,
};

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_RX_TIMEOUT 0x0c
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RCVR 0x02
#define FCR_CLEAR_XMIT 0x04
#define FCR_STORED 0xc9 /* enable, DMA mode, RX trigger */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define FIFO_SIZE 16

struct serial {
	pthread_mutex_t lock;
	struct irq_line irq;
	int irq_level; /* last level given to irq */
	int out_fd;
	bool out_socket; /* send(MSG_DONTWAIT): a socket's flags may be shared */
	int out_errno;
	/* transmitted bytes the output fd has not taken yet */
	uint8_t tx[SERIAL_TX_BUF];
	size_t tx_head, tx_len;
	bool tx_waiting; /* tx_ready_fd was signalled: the main loop drains */
	int tx_ready_fd;
	unsigned long tx_lost; /* written while the buffer was full (THRE ignored) */
	int rx_ready_fd;
	bool rx_wanted;	   /* a serial_receive was short: signal rx_ready_fd */
	bool thr_ipending; /* THR became empty since IIR last reported it */

	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_err;   /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_delta; /* MSR bits 3:0, cleared by reading MSR */

	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;
};

/* Modem status inputs (MSR bits 7:4) as the UART sees them now. */
static uint8_t modem_inputs(const struct serial *s)
{
	uint8_t in = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_DTR)
		in |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		in |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		in |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

static unsigned rx_capacity(const struct serial *s)
{
	/* With FIFOs off the UART is a 16450: one holding register. */
	return (s->fcr & FCR_ENABLE) ? FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct serial *s)
{
	static const unsigned level[4] = {1, 4, 8, 14};

	return (s->fcr & FCR_ENABLE) ? level[s->fcr >> 6] : 1;
}

static void rx_ready_signal(struct serial *s)
{
	uint64_t one = 1;
	ssize_t n;

	/* In loopback the input stays disconnected: wait until it ends. */
	if (!s->rx_wanted || (s->mcr & MCR_LOOP))
		return;
	s->rx_wanted = false;
	/* Only EAGAIN can fail here, and it means the counter is already
	 * non-zero: the main loop wakes anyway. */
	n = write(s->rx_ready_fd, &one, sizeof(one));
	(void)n;
}

static bool rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count >= rx_capacity(s))
		return false;
	s->rx[(s->rx_head + s->rx_count) % FIFO_SIZE] = byte;
	s->rx_count++;
	return true;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t byte;

	if (s->rx_count == 0)
		return 0;
	byte = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
	if (--s->rx_count == 0)
		rx_ready_signal(s);
	return byte;
}

static void rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
	rx_ready_signal(s);
}

/* Highest-priority pending cause, as IIR bits 3:0. */
static uint8_t iir_id(const struct serial *s)
{
	if ((s->ier & IER_RLSI) && s->lsr_err)
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && s->rx_count)
		return s->rx_count >= rx_trigger(s) ? IIR_RDI : IIR_RX_TIMEOUT;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && s->msr_delta)
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	/* On PC boards OUT2 enables the IRQ driver, and loopback forces the
	 * OUT2 pin inactive. */
	int level = iir_id(s) != IIR_NO_INT && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line_set(&s->irq, level);
	}
}

/* THR (and the TX FIFO) reads empty while the host side can take a whole
 * FIFO load: Linux's 8250 driver writes up to 16 bytes per THRE without
 * looking at LSR again. */
static bool thre(const struct serial *s)
{
	return SERIAL_TX_BUF - s->tx_len >= FIFO_SIZE;
}

/* Everything transmitted has left for the host. */
static bool temt(const struct serial *s)
{
	return s->tx_len == 0;
}

/* Write what the output fd takes now, without waiting.  Returns false if
 * it would block with bytes left. */
static bool tx_flush(struct serial *s)
{
	while (s->tx_len) {
		size_t n =
		    SERIAL_TX_BUF - s->tx_head < s->tx_len ? SERIAL_TX_BUF - s->tx_head : s->tx_len;
		const uint8_t *p = s->tx + s->tx_head;
		ssize_t w = s->out_socket ? send(s->out_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
					  : write(s->out_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (w <= 0) {
			/* The reader is gone for good (EPIPE, EIO): there is
			 * nowhere to deliver to, as with a cable unplugged. */
			if (!s->out_errno)
				s->out_errno = w < 0 ? errno : EIO;
			s->tx_head = s->tx_len = 0;
			return true;
		}
		s->tx_head = (s->tx_head + (size_t)w) % SERIAL_TX_BUF;
		s->tx_len -= (size_t)w;
	}
	s->tx_head = 0;
	return true;
}

static void tx_push(struct serial *s, uint8_t byte)
{
	uint64_t one = 1;
	ssize_t n;

	if (s->out_fd < 0)
		return;
	if (s->tx_len == SERIAL_TX_BUF) {
		/* The guest wrote although THRE was clear: a real UART
		 * overwrites its holding register; kvmem counts the loss. */
		s->tx_lost++;
		return;
	}
	s->tx[(s->tx_head + s->tx_len) % SERIAL_TX_BUF] = byte;
	s->tx_len++;
	/* While the main loop drains, it owns the order of the writes. */
	if (s->tx_waiting || tx_flush(s))
		return;
	s->tx_waiting = true;
	/* EAGAIN only when the counter is already non-zero: woken anyway. */
	n = write(s->tx_ready_fd, &one, sizeof(one));
	(void)n;
}

static void write_thr(struct serial *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		if (!rx_push(s, byte))
			s->lsr_err |= LSR_OE;
	} else {
		tx_push(s, byte);
	}
	/* THR is empty again if the host side has room: a new THRE event;
	 * otherwise serial_tx_drain raises it once there is room. */
	s->thr_ipending = (s->ier & IER_THRI) && thre(s);
}

static void write_ier(struct serial *s, uint8_t val)
{
	uint8_t old = s->ier;

	s->ier = val & IER_MASK;
	/* Enabling THRI while THR is empty raises THRE even if IIR already
	 * reported it; Linux's THRE test and Windows rely on this.  While the
	 * host side is full, THR is not empty: serial_tx_drain raises it. */
	if ((s->ier & IER_THRI) && !(old & IER_THRI))
		s->thr_ipending = thre(s);
	else if (!(s->ier & IER_THRI))
		s->thr_ipending = false;
}

static void write_fcr(struct serial *s, uint8_t val)
{
	/* FIFO mode changes empty both FIFOs; other bits only take effect
	 * with FCR0 set. */
	if ((val ^ s->fcr) & FCR_ENABLE)
		rx_clear(s);
	if (!(val & FCR_ENABLE)) {
		s->fcr &= ~FCR_ENABLE;
		return;
	}
	if (val & FCR_CLEAR_RCVR)
		rx_clear(s);
	/* FCR_CLEAR_XMIT: the TX FIFO is always empty. */
	s->fcr = val & FCR_STORED;
}

static void write_mcr(struct serial *s, uint8_t val)
{
	uint8_t before = modem_inputs(s), after, changed;
	bool was_loop = s->mcr & MCR_LOOP;

	s->mcr = val & MCR_MASK;
	after = modem_inputs(s);
	changed = before ^ after;
	if (changed & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if ((before & MSR_RI) && !(after & MSR_RI))
		s->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
	if (was_loop && !(s->mcr & MCR_LOOP))
		rx_ready_signal(s);
}

static void reg_write(struct serial *s, unsigned reg, uint8_t val)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			s->dll = val;
		else
			write_thr(s, val);
		break;
	case REG_IER:
		if (dlab)
			s->dlm = val;
		else
			write_ier(s, val);
		break;
	case REG_IIR_FCR:
		write_fcr(s, val);
		break;
	case REG_LCR:
		s->lcr = val;
		break;
	case REG_MCR:
		write_mcr(s, val);
		break;
	case REG_SCR:
		s->scr = val;
		break;
	default: /* LSR and MSR are read-only (factory test writes) */
		break;
	}
}

static uint8_t reg_read(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t val;

	switch (reg) {
	case REG_RBR_THR:
		return dlab ? s->dll : rx_pop(s);
	case REG_IER:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		val = iir_id(s);
		if (val == IIR_THRI)
			s->thr_ipending = false;
		return val | ((s->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		val = s->lsr_err | (s->rx_count ? LSR_DR : 0) | (thre(s) ? LSR_THRE : 0) |
		      (temt(s) ? LSR_TEMT : 0);
		s->lsr_err = 0;
		return val;
	case REG_MSR:
		val = modem_inputs(s) | s->msr_delta;
		s->msr_delta = 0;
		return val;
	default:
		return s->scr;
	}
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg >= NR_REGS) {
			if (!is_write)
				data[i] = 0xff;
		} else if (is_write) {
			reg_write(s, reg, data[i]);
		} else {
			data[i] = reg_read(s, reg);
		}
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the serial input pin is disconnected. */
	if (!(s->mcr & MCR_LOOP)) {
		while (n < len && rx_push(s, buf[n]))
			n++;
	}
	if (n < len)
		s->rx_wanted = true;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

int serial_rx_space_fd(const struct serial *s)
{
	return s->rx_ready_fd;
}

int serial_tx_ready_fd(const struct serial *s)
{
	return s->tx_ready_fd;
}

bool serial_tx_drain(struct serial *s)
{
	bool had_room, left;

	pthread_mutex_lock(&s->lock);
	had_room = thre(s);
	left = !tx_flush(s);
	if (!left)
		s->tx_waiting = false;
	/* THR empty again: the THRE interrupt the guest waits for. */
	if (!had_room && thre(s) && (s->ier & IER_THRI))
		s->thr_ipending = true;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return left;
}

unsigned long serial_tx_lost(struct serial *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->lock);
	n = s->tx_lost;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int serial_output_error(struct serial *s)
{
	int e;

	pthread_mutex_lock(&s->lock);
	e = s->out_errno;
	pthread_mutex_unlock(&s->lock);
	return e;
}

static void reset_locked(struct serial *s)
{
	s->ier = 0;
	s->fcr = 0;
	s->lcr = 0;
	s->mcr = 0;
	s->lsr_err = 0;
	s->msr_delta = 0;
	s->thr_ipending = false;
	rx_clear(s);
	update_irq(s);
}

void serial_reset(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	reset_locked(s);
	pthread_mutex_unlock(&s->lock);
}

int serial_create(struct serial **out, int out_fd, const struct irq_line *irq, struct kverr *err)
{
	struct serial *s = calloc(1, sizeof(*s));
	struct stat st;
	int ret;

	if (!s)
		return kverr_set(err, ENOMEM, "serial: cannot allocate device state");
	s->rx_ready_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->tx_ready_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->rx_ready_fd < 0 || s->tx_ready_fd < 0) {
		ret = kverr_sys(err, errno, "serial: eventfd for flow control");
		goto fail;
	}
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret) {
		ret = kverr_sys(err, ret, "serial: pthread_mutex_init");
		goto fail;
	}
	if (irq)
		s->irq = *irq;
	s->out_fd = out_fd;
	s->out_socket = out_fd >= 0 && fstat(out_fd, &st) == 0 && S_ISSOCK(st.st_mode);
	reset_locked(s);
	*out = s;
	return 0;
fail:
	if (s->rx_ready_fd >= 0)
		close(s->rx_ready_fd);
	if (s->tx_ready_fd >= 0)
		close(s->tx_ready_fd);
	free(s);
	return ret;
}

void serial_set_output(struct serial *s, int out_fd)
{
	struct stat st;

	pthread_mutex_lock(&s->lock);
	s->out_fd = out_fd;
	s->out_socket = out_fd >= 0 && fstat(out_fd, &st) == 0 && S_ISSOCK(st.st_mode);
	pthread_mutex_unlock(&s->lock);
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	close(s->rx_ready_fd);
	close(s->tx_ready_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
