/* serial.h - 16550A UART (COM1) as Linux's 8250 driver probes and drives it.
 *
 * Owns: the UART registers, its 16-byte RX FIFO, the level of its IRQ line,
 * the host-side buffer of transmitted bytes and the moment each is written
 * to the output fd.
 * Never: waits.  Neither a vCPU writing THR nor the main loop blocks on the
 * output fd; reads the input fd itself (the main loop does and pushes
 * bytes in with serial_receive), closes the output fd, prints or exits.
 *
 * Register with bus_register(pio, IOMAP_COM1_BASE, IOMAP_COM1_LEN,
 * serial_io, s, "com1", err); the IRQ line given at create is normally
 * IOMAP_COM1_IRQ.  Wider accesses are split into byte accesses, as the ISA
 * bus does for an 8-bit device.
 *
 * Model choices a guest can observe:
 *  - Transmission is as fast as the host side takes it.  A THR byte goes
 *    to a SERIAL_TX_BUF-byte host-side buffer, which is written to the
 *    output fd with non-blocking writes.  LSR.THRE reads 1 (THR and TX
 *    FIFO empty) while the buffer has room for a whole FIFO load (16
 *    bytes, what Linux's 8250 driver writes per THRE), LSR.TEMT while the
 *    buffer is empty.  When the host side stops taking output (a reader
 *    that stopped, `kvmem | less` paused) both stay clear: the guest's
 *    driver waits, as for a real line, and nothing it was told was sent
 *    is dropped.  A byte written while the buffer is completely full (the
 *    guest ignored THRE) is lost, as on hardware, and counted
 *    (serial_tx_lost).  A THR write leaves a THRE interrupt pending (if
 *    IER.THRI) when THRE still reads 1, otherwise once room returns.
 *    THRE pending is also raised when IER.THRI goes 0 -> 1 with THRE set,
 *    and cleared when the guest reads IIR reporting it.
 *  - RX data raises IIR "RX data" (0x04) once the FIFO holds at least the
 *    FCR trigger level and "character timeout" (0x0c) below it, without
 *    waiting four character times: input arrives in bursts anyway.
 *  - As on PC boards, MCR.OUT2 gates the IRQ output and loopback mode
 *    (MCR.LOOP) disconnects it; IIR still reports the pending cause.
 *    Linux sets OUT2 when it opens the port.
 *  - In loopback, THR bytes go to the RX FIFO (not to the output fd) and
 *    MCR DTR/RTS/OUT1/OUT2 appear as MSR DSR/CTS/RI/DCD.  Outside loopback
 *    the modem inputs read DCD|DSR|CTS (a connected line).
 *  - LSR.OE is set only when a byte is really lost: a loopback byte that
 *    finds the RX FIFO full.  serial_receive never drops input.
 *
 * Locking: every entry point takes the device mutex.  The irq_line callback
 * is called with it held, and only when the level changes; it must not call
 * back into this device.
 */
#ifndef KVMEM_HW_SERIAL_H
#define KVMEM_HW_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/bus.h"
#include "util/err.h"

struct serial;

/* Host-side transmit buffer, in bytes. */
#define SERIAL_TX_BUF 4096

/* out_fd receives every byte the guest transmits; pass -1 to discard
 * output.  It must not block: O_NONBLOCK (a socket is written with
 * MSG_DONTWAIT instead, its flags untouched) or a regular file.  The fd
 * stays the caller's.  *irq is copied. */
int serial_create(struct serial **out, int out_fd, const struct irq_line *irq, struct kverr *err);
void serial_destroy(struct serial *s);
/* Another output fd (the same rules), before the guest runs: the
 * isa-serial device connects COM1 to its chardev this way. */
void serial_set_output(struct serial *s, int out_fd);

/* bus_access_fn for the 8 UART registers. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

/* Offers host input to the guest: copies as many bytes as fit in the RX
 * FIFO, raises the RX interrupt and returns how many were taken (0 while
 * the FIFO is full or the UART is in loopback).  The caller keeps the rest
 * and waits for serial_rx_space_fd before offering it again. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/* An eventfd (non-blocking) that becomes readable when the guest has
 * drained the RX FIFO (outside loopback) after a serial_receive that could
 * not take everything; it never fires otherwise, so the main loop can keep
 * it in its epoll set.  On wake-up: read it (8 bytes) to clear it, then
 * offer the held input again.  Owned by the device. */
int serial_rx_space_fd(const struct serial *s);

/* An eventfd (non-blocking, owned by the device) that becomes readable when
 * out_fd stopped taking output (EAGAIN) with bytes buffered.  On wake-up:
 * read it (8 bytes), watch out_fd for EPOLLOUT and call serial_tx_drain
 * each time it is writable, until it returns false.  Until then no vCPU
 * writes to out_fd, so the order of the bytes is kept. */
int serial_tx_ready_fd(const struct serial *s);
/* Write what out_fd takes now (never waits); raises the THRE interrupt
 * when room returns.  Returns true while bytes remain buffered. */
bool serial_tx_drain(struct serial *s);
/* Bytes the guest wrote while the buffer was full (it ignored THRE). */
unsigned long serial_tx_lost(struct serial *s);

/* errno of the first failed write to out_fd (0 if none), EAGAIN aside.
 * After a failure (the reader is gone) what was buffered is dropped and
 * later output is still attempted, and dropped while it fails. */
int serial_output_error(struct serial *s);

/* Back to the power-on state (master reset): IER, IIR, FCR, LCR, MCR, LSR,
 * MSR deltas and both FIFOs; the divisor latch and SCR keep their values. */
void serial_reset(struct serial *s);

#endif
