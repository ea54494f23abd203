/* test_serial.c - the 16550A driven as Linux's 8250 driver drives it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/serial.h"
#include "plan/iomap.h"

/* Register offsets and bits, spelled as in Linux's serial_reg.h. */
#define UART_RX 0
#define UART_TX 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08
#define UART_IER_UUE 0x40
#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID 0x0f
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_RX_TIMEOUT 0x0c
#define UART_IIR_64BYTE_FIFO 0x20
#define UART_IIR_FIFO_ENABLED 0xc0
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_FCR_CLEAR_XMIT 0x04
#define UART_FCR7_64BYTE 0x20
#define UART_FCR_R_TRIG_10 0x80
#define UART_LCR_DLAB 0x80
#define UART_LCR_WLEN8 0x03
#define UART_LCR_CONF_MODE_A 0x80
#define UART_LCR_CONF_MODE_B 0xbf
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct irq_log {
	pthread_mutex_t lock;
	int level;
	int raises, lowers;
	unsigned gsi;
};

struct fx {
	struct serial *s;
	int rd, wr; /* pipe: the UART writes wr, the test reads rd */
	struct irq_log irq;
};

static void irq_set(void *ctx, unsigned gsi, int level)
{
	struct irq_log *l = ctx;

	pthread_mutex_lock(&l->lock);
	l->gsi = gsi;
	if (level && !l->level)
		l->raises++;
	if (!level && l->level)
		l->lowers++;
	l->level = level;
	pthread_mutex_unlock(&l->lock);
}

static int setup(void **state)
{
	static struct fx f;
	struct irq_line line;
	struct kverr err = {{0}};
	int p[2];

	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.irq.lock, NULL);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	f.rd = p[0];
	f.wr = p[1];
	fcntl(f.rd, F_SETFL, O_NONBLOCK);
	fcntl(f.wr, F_SETFL, O_NONBLOCK); /* serial.h: the output fd never blocks */
	line = (struct irq_line){.set = irq_set, .ctx = &f.irq, .gsi = IOMAP_COM1_IRQ};
	if (serial_create(&f.s, f.wr, &line, &err) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	serial_destroy(f->s);
	close(f->rd);
	if (f->wr >= 0)
		close(f->wr);
	pthread_mutex_destroy(&f->irq.lock);
	return 0;
}

static uint8_t in8(struct fx *f, unsigned reg)
{
	uint8_t v = 0x5a;

	serial_io(f->s, reg, &v, 1, false);
	return v;
}

static void out8(struct fx *f, unsigned reg, uint8_t v)
{
	serial_io(f->s, reg, &v, 1, true);
}

static int level(struct fx *f)
{
	int l;

	pthread_mutex_lock(&f->irq.lock);
	l = f->irq.level;
	pthread_mutex_unlock(&f->irq.lock);
	return l;
}

/* Everything currently readable from the output pipe. */
static size_t drain_output(struct fx *f, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(f->rd, buf + n, size - n);

		if (r <= 0)
			return n;
		n += r;
	}
}

static bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

/* What serial8250_do_startup leaves behind: 8N1, FIFOs on, OUT2 set. */
static void linux_startup(struct fx *f, uint8_t ier)
{
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	out8(f, UART_LCR, UART_LCR_WLEN8);
	out8(f, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_R_TRIG_10);
	out8(f, UART_IER, ier);
}

static void test_output_reaches_fd(void **state)
{
	struct fx *f = *state;
	const char msg[] = "Linux version 6.1\r\n";
	char buf[64];

	/* 115200 baud: divisor 1 through DLAB, which must not transmit. */
	out8(f, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	out8(f, UART_DLL, 0x01);
	out8(f, UART_DLM, 0x00);
	assert_int_equal(in8(f, UART_DLL), 0x01);
	assert_int_equal(in8(f, UART_DLM), 0x00);
	out8(f, UART_LCR, UART_LCR_WLEN8);

	for (size_t i = 0; i < strlen(msg); i++) {
		/* early_serial_putc: poll THRE, then write. */
		assert_true(in8(f, UART_LSR) & UART_LSR_THRE);
		out8(f, UART_TX, msg[i]);
	}
	assert_int_equal(in8(f, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(drain_output(f, buf, sizeof(buf)), strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
	assert_int_equal(serial_output_error(f->s), 0);
}

/* autoconfig() and autoconfig_16550a() in 8250_port.c, step by step. */
static void test_linux_autoconfig_sees_16550a(void **state)
{
	struct fx *f = *state;
	uint8_t save_mcr, save_lcr, iersave;
	char buf[512];
	int count;

	/* IER scratch test, upper nibble masked as Linux does; and the
	 * upper nibble really reads 0 (no UUE, not an XScale). */
	out8(f, UART_IER, 0);
	assert_int_equal(in8(f, UART_IER) & 0x0f, 0);
	out8(f, UART_IER, 0x0f);
	assert_int_equal(in8(f, UART_IER) & 0x0f, 0x0f);
	out8(f, UART_IER, 0xff);
	assert_int_equal(in8(f, UART_IER), 0x0f);
	out8(f, UART_IER, 0);

	/* Loopback test: LOOP|OUT2|RTS must show DCD|CTS. */
	save_mcr = in8(f, UART_MCR);
	save_lcr = in8(f, UART_LCR);
	out8(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(in8(f, UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	out8(f, UART_MCR, save_mcr);

	/* FIFO type from IIR bits 7:6 after enabling the FIFO. */
	out8(f, UART_LCR, UART_LCR_CONF_MODE_B);
	out8(f, UART_FCR, 0); /* EFR write on chips that have one */
	out8(f, UART_LCR, 0);
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_FIFO_ENABLED, UART_IIR_FIFO_ENABLED);

	/* No EFR: offset 2 under LCR 0x80 / 0xbf is IIR, never 0. */
	out8(f, UART_LCR, UART_LCR_CONF_MODE_A);
	assert_int_not_equal(in8(f, UART_IIR), 0);
	out8(f, UART_LCR, UART_LCR_CONF_MODE_B);
	assert_int_not_equal(in8(f, UART_IIR), 0);

	/* Not a TI16750: IIR bit 5 stays 0 with and without DLAB. */
	out8(f, UART_LCR, 0);
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	assert_int_equal(in8(f, UART_IIR) & (UART_IIR_64BYTE_FIFO | UART_IIR_FIFO_ENABLED),
			 UART_IIR_FIFO_ENABLED);
	out8(f, UART_LCR, UART_LCR_CONF_MODE_A);
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_64BYTE_FIFO, 0);
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO);
	out8(f, UART_LCR, 0);

	iersave = in8(f, UART_IER);
	out8(f, UART_IER, iersave | UART_IER_UUE);
	assert_int_equal(in8(f, UART_IER) & UART_IER_UUE, 0);
	out8(f, UART_IER, iersave);

	/* size_fifo(): 256 bytes in loopback, count what comes back. */
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	out8(f, UART_MCR, UART_MCR_LOOP);
	out8(f, UART_LCR, UART_LCR_CONF_MODE_A);
	out8(f, UART_DLL, 1);
	out8(f, UART_DLM, 0);
	out8(f, UART_LCR, UART_LCR_WLEN8);
	for (count = 0; count < 256; count++)
		out8(f, UART_TX, count);
	for (count = 0; (in8(f, UART_LSR) & UART_LSR_DR) && count < 256; count++)
		assert_int_equal(in8(f, UART_RX), count);
	assert_int_equal(count, 16);
	out8(f, UART_MCR, save_mcr);
	out8(f, UART_LCR, save_lcr);

	/* Scratch register (the 16450 test). */
	out8(f, UART_SCR, 0xa5);
	assert_int_equal(in8(f, UART_SCR), 0xa5);
	out8(f, UART_SCR, 0x5a);
	assert_int_equal(in8(f, UART_SCR), 0x5a);

	/* Loopback bytes never reach the console. */
	assert_int_equal(drain_output(f, buf, sizeof(buf)), 0);
}

static void test_thre_interrupt(void **state)
{
	struct fx *f = *state;
	uint8_t iir1, iir;

	linux_startup(f, 0);
	assert_int_equal(level(f), 0);

	/* serial8250_do_startup's THRE test: both IIR reads must see THRI. */
	out8(f, UART_IER, UART_IER_THRI);
	assert_int_equal(level(f), 1);
	assert_int_equal(f->irq.gsi, IOMAP_COM1_IRQ);
	iir1 = in8(f, UART_IIR);
	assert_int_equal(level(f), 0); /* reading IIR acknowledged THRE */
	out8(f, UART_IER, 0);
	out8(f, UART_IER, UART_IER_THRI);
	assert_int_equal(level(f), 1); /* re-armed by THRI 0 -> 1 */
	iir = in8(f, UART_IIR);
	assert_int_equal(iir1, UART_IIR_FIFO_ENABLED | UART_IIR_THRI);
	assert_int_equal(iir, UART_IIR_FIFO_ENABLED | UART_IIR_THRI);
	assert_int_equal(in8(f, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);
	assert_int_equal(level(f), 0);

	/* Writing THR: the byte leaves at once and THRE fires again, which
	 * is what keeps serial8250_tx_chars going. */
	out8(f, UART_TX, 'x');
	assert_int_equal(level(f), 1);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	assert_int_equal(level(f), 0);

	/* __stop_tx clears THRI: nothing pending any more. */
	out8(f, UART_TX, 'y');
	assert_int_equal(level(f), 1);
	out8(f, UART_IER, 0);
	assert_int_equal(level(f), 0);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT);
}

static void test_rx_interrupt(void **state)
{
	struct fx *f = *state;
	const uint8_t in[] = "abcdefghij";

	linux_startup(f, UART_IER_RLSI | UART_IER_RDI);
	assert_int_equal(level(f), 0);
	assert_int_equal(in8(f, UART_LSR) & UART_LSR_DR, 0);

	/* Below the trigger level (8): character timeout. */
	assert_int_equal(serial_receive(f->s, in, 3), 3);
	assert_int_equal(level(f), 1);
	assert_int_equal(in8(f, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_RX_TIMEOUT);
	assert_int_equal(level(f), 1); /* reading IIR does not ack RX */
	assert_true(in8(f, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(f, UART_RX), 'a');
	assert_int_equal(in8(f, UART_RX), 'b');
	assert_int_equal(level(f), 1);
	assert_int_equal(in8(f, UART_RX), 'c');
	assert_int_equal(level(f), 0);
	assert_int_equal(in8(f, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT);

	/* At the trigger level: "received data available". */
	assert_int_equal(serial_receive(f->s, in, 8), 8);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_RDI);
	for (int i = 0; i < 8; i++)
		assert_int_equal(in8(f, UART_RX), in[i]);
	assert_int_equal(level(f), 0);
	assert_int_equal(f->irq.raises, 2);
	assert_int_equal(f->irq.lowers, 2);

	/* With RDI disabled data is still readable, but no interrupt. */
	out8(f, UART_IER, 0);
	assert_int_equal(serial_receive(f->s, in, 1), 1);
	assert_int_equal(level(f), 0);
	assert_true(in8(f, UART_LSR) & UART_LSR_DR);
	out8(f, UART_IER, UART_IER_RDI);
	assert_int_equal(level(f), 1);
}

static void test_out2_and_loopback_gate_irq(void **state)
{
	struct fx *f = *state;

	out8(f, UART_MCR, 0);
	out8(f, UART_IER, UART_IER_THRI);
	/* Pending in IIR, but the PC's IRQ driver is off without OUT2. */
	assert_int_equal(level(f), 0);
	out8(f, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(level(f), 1);
	out8(f, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	assert_int_equal(level(f), 0);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
}

static void test_rx_fifo_full_partial_accept(void **state)
{
	struct fx *f = *state;
	uint8_t in[20];
	uint64_t v;
	int efd = serial_rx_space_fd(f->s);

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = 'A' + i;
	linux_startup(f, UART_IER_RDI);

	assert_int_equal(serial_receive(f->s, in, sizeof(in)), 16);
	assert_int_equal(serial_receive(f->s, in + 16, 4), 0);
	/* Nothing was lost, so no overrun is reported. */
	assert_int_equal(in8(f, UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_DR);
	assert_false(fd_readable(efd));
	for (int i = 0; i < 15; i++)
		assert_int_equal(in8(f, UART_RX), in[i]);
	assert_false(fd_readable(efd)); /* signalled when drained, not per byte */
	assert_int_equal(in8(f, UART_RX), in[15]);
	assert_true(fd_readable(efd));
	assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	assert_false(fd_readable(efd));

	assert_int_equal(serial_receive(f->s, in + 16, 4), 4);
	for (int i = 16; i < 20; i++)
		assert_int_equal(in8(f, UART_RX), in[i]);
	/* That receive was complete: no wake-up owed. */
	assert_false(fd_readable(efd));

	/* FIFOs off: a 16450 holds one byte. */
	out8(f, UART_FCR, 0);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_FIFO_ENABLED, 0);
	assert_int_equal(serial_receive(f->s, in, 2), 1);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_RDI);
	assert_int_equal(in8(f, UART_RX), in[0]);
	assert_true(fd_readable(efd));
}

static void test_loopback_overrun_sets_oe(void **state)
{
	struct fx *f = *state;
	uint8_t b = 'q';
	int efd = serial_rx_space_fd(f->s);

	linux_startup(f, UART_IER_RLSI | UART_IER_RDI | UART_IER_MSI);
	out8(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	(void)in8(f, UART_MSR); /* drop the deltas of entering loopback */

	/* Host input is not connected in loopback; it is held, not lost. */
	assert_int_equal(serial_receive(f->s, &b, 1), 0);

	for (int i = 0; i < 17; i++)
		out8(f, UART_TX, i);
	/* Line status outranks RX data. */
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_RLSI);
	assert_int_equal(in8(f, UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
	assert_int_equal(in8(f, UART_LSR) & UART_LSR_OE, 0); /* cleared by the read */
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_RDI);
	for (int i = 0; i < 16; i++) /* the 17th byte was dropped */
		assert_int_equal(in8(f, UART_RX), i);

	/* Leaving loopback tells the main loop to offer its input again. */
	out8(f, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_false(fd_readable(efd)); /* empty, but input still cut off */
	out8(f, UART_MCR, UART_MCR_OUT2);
	assert_true(fd_readable(efd));
	assert_int_equal(serial_receive(f->s, &b, 1), 1);
	assert_int_equal(in8(f, UART_RX), 'q');
}

static void test_modem_status(void **state)
{
	struct fx *f = *state;

	/* A connected line outside loopback. */
	assert_int_equal(in8(f, UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);

	out8(f, UART_IER, UART_IER_MSI);
	out8(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	/* DCD, DSR and CTS dropped, RI rose. */
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_MSI);
	assert_int_equal(in8(f, UART_MSR),
			 UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT);
	/* RI trailing edge. */
	out8(f, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	assert_int_equal(in8(f, UART_MSR), UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_TERI);
	assert_int_equal(in8(f, UART_MSR), UART_MSR_DSR);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	const uint8_t in[] = "xyz";

	linux_startup(f, UART_IER_RDI | UART_IER_THRI);
	out8(f, UART_SCR, 0x42);
	assert_int_equal(serial_receive(f->s, in, 3), 3);
	assert_int_equal(level(f), 1);

	serial_reset(f->s);
	assert_int_equal(level(f), 0);
	assert_int_equal(in8(f, UART_IER), 0);
	assert_int_equal(in8(f, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(in8(f, UART_LCR), 0);
	assert_int_equal(in8(f, UART_MCR), 0);
	assert_int_equal(in8(f, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(f, UART_SCR), 0x42);
}

static void test_wide_and_out_of_range_access(void **state)
{
	struct fx *f = *state;
	uint8_t d[4];

	out8(f, UART_MCR, UART_MCR_OUT2);
	/* A 16-bit read at MCR is MCR then LSR, as two ISA byte cycles. */
	serial_io(f->s, UART_MCR, d, 2, false);
	assert_int_equal(d[0], UART_MCR_OUT2);
	assert_int_equal(d[1], UART_LSR_THRE | UART_LSR_TEMT);
	/* Bytes past the 8 registers read as floating bus. */
	serial_io(f->s, UART_SCR, d, 4, false);
	assert_int_equal(d[1], 0xff);
	assert_int_equal(d[3], 0xff);
	/* A 16-bit write at LCR sets LCR and MCR. */
	d[0] = UART_LCR_WLEN8;
	d[1] = UART_MCR_DTR;
	serial_io(f->s, UART_LCR, d, 2, true);
	assert_int_equal(in8(f, UART_LCR), UART_LCR_WLEN8);
	assert_int_equal(in8(f, UART_MCR), UART_MCR_DTR);
}

static void test_output_error_is_recorded(void **state)
{
	struct fx *f = *state;

	signal(SIGPIPE, SIG_IGN);
	close(f->rd);
	f->rd = open("/dev/null", O_RDONLY);
	out8(f, UART_TX, 'z');
	assert_int_equal(serial_output_error(f->s), EPIPE);
	/* The guest goes on: THR is empty, nothing is stuck. */
	assert_true(in8(f, UART_LSR) & UART_LSR_TEMT);
}

/* Fill the pipe as a reader that stopped leaves it; returns the bytes. */
static size_t fill_pipe(struct fx *f)
{
	char fill[4096];
	size_t filled = 0;

	memset(fill, '.', sizeof(fill));
	for (;;) {
		ssize_t n = write(f->wr, fill, sizeof(fill));

		if (n <= 0)
			break;
		filled += n;
	}
	assert_int_equal(errno, EAGAIN);
	return filled;
}

/* serial8250_tx_chars on each THRE interrupt: up to 16 bytes, without
 * looking at LSR in between.  Returns the bytes written. */
static size_t linux_tx_burst(struct fx *f, uint8_t *next)
{
	size_t n = 0;

	if (!(in8(f, UART_LSR) & UART_LSR_THRE))
		return 0;
	for (; n < 16; n++)
		out8(f, UART_TX, (*next)++);
	return n;
}

/* Everything in the pipe, as a reader that came back reads it. */
static size_t read_all(struct fx *f, uint8_t *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(f->rd, buf + n, size - n);

		if (r <= 0 || n + (size_t)r == size)
			return n + (r > 0 ? (size_t)r : 0);
		n += (size_t)r;
	}
}

/* A reader that stopped: the guest's writes never wait, THRE and TEMT go
 * clear once the host side is full, nothing the guest was told was sent
 * is lost, and the main loop's drain brings THRE (and its interrupt) back
 * when the reader reads again. */
static void test_full_output_back_pressure(void **state)
{
	struct fx *f = *state;
	static uint8_t got[1 << 20];
	size_t filled = fill_pipe(f), sent = 0, n = 0;
	uint8_t next = 0, lsr;
	uint64_t v;

	linux_startup(f, UART_IER_THRI);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	/* bursts of 16 as long as THRE says so: a bounded number of them */
	for (size_t b; (b = linux_tx_burst(f, &next)) > 0;) {
		sent += b;
		assert_true(sent <= SERIAL_TX_BUF + 16);
	}
	lsr = in8(f, UART_LSR);
	assert_int_equal(lsr & (UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_OE), 0);
	assert_true(sent > SERIAL_TX_BUF - 16);
	/* no THRE interrupt while there is no room */
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT);
	assert_int_equal(level(f), 0);
	/* the main loop was told to wait for the fd */
	assert_int_equal(read(serial_tx_ready_fd(f->s), &v, sizeof(v)), (ssize_t)sizeof(v));
	assert_true(serial_tx_drain(f->s)); /* still full: nothing moves */

	/* the reader comes back: the main loop drains whenever it can */
	while (n < filled + sent) {
		n += read_all(f, got + n, sizeof(got) - n);
		serial_tx_drain(f->s);
	}
	assert_false(serial_tx_drain(f->s));
	assert_int_equal(n, filled + sent);
	for (size_t i = 0; i < sent; i++)
		assert_int_equal(got[filled + i], (uint8_t)i);
	assert_int_equal(serial_tx_lost(f->s), 0);
	assert_int_equal(serial_output_error(f->s), 0);
	/* THR empty again: LSR says so and the THRE interrupt is raised */
	assert_int_equal(in8(f, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(level(f), 1);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
}

/* Enabling THRI while the host side is full does not claim THR is empty;
 * a guest that writes anyway (ignoring THRE) loses only what does not
 * fit, and that is counted. */
static void test_thri_and_writes_ignoring_thre(void **state)
{
	struct fx *f = *state;
	uint8_t next = 0;

	fill_pipe(f);
	linux_startup(f, 0);
	for (int i = 0; i < SERIAL_TX_BUF + 10; i++)
		out8(f, UART_TX, next++);
	assert_int_equal(serial_tx_lost(f->s), 10);
	out8(f, UART_IER, UART_IER_THRI);
	assert_int_equal(in8(f, UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT);
	assert_int_equal(level(f), 0);
}

struct writer {
	struct fx *f;
	char ch;
};

static void *writer(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < 1000; i++) {
		while (!(in8(w->f, UART_LSR) & UART_LSR_THRE))
			;
		out8(w->f, UART_TX, w->ch);
	}
	return NULL;
}

static void test_concurrent_vcpus(void **state)
{
	struct fx *f = *state;
	struct writer a = {f, 'a'}, b = {f, 'b'};
	pthread_t ta, tb;
	char buf[4096];
	size_t n, na = 0, nb = 0;

	pthread_create(&ta, NULL, writer, &a);
	pthread_create(&tb, NULL, writer, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	n = drain_output(f, buf, sizeof(buf));
	assert_int_equal(n, 2000);
	for (size_t i = 0; i < n; i++) {
		na += buf[i] == 'a';
		nb += buf[i] == 'b';
	}
	assert_int_equal(na, 1000);
	assert_int_equal(nb, 1000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_output_reaches_fd),
	    T(test_linux_autoconfig_sees_16550a),
	    T(test_thre_interrupt),
	    T(test_rx_interrupt),
	    T(test_out2_and_loopback_gate_irq),
	    T(test_rx_fifo_full_partial_accept),
	    T(test_loopback_overrun_sets_oe),
	    T(test_modem_status),
	    T(test_reset),
	    T(test_wide_and_out_of_range_access),
	    T(test_output_error_is_recorded),
	    T(test_full_output_back_pressure),
	    T(test_thri_and_writes_ignoring_thre),
	    T(test_concurrent_vcpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
