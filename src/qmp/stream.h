/* stream.h - cuts a QMP byte stream into JSON messages.  Pure.
 *
 * QMP messages are JSON texts sent one after another with no framing; a
 * server finds where one ends the way QEMU's json-streamer does, by
 * counting brackets outside strings.  This module only finds the
 * boundaries: each candidate message goes to json.c as a whole, which
 * parses (and rejects) it.  So nothing here decides what valid JSON is.
 *
 *  - A message starting with '{' or '[' ends where its brackets balance
 *    ('{]' is a message too: json.c refuses it).
 *  - At the top level a string ends at its closing quote, and a number or
 *    literal at the next whitespace or structural character; each is a
 *    message (QMP answers "must be a JSON object").  A lone '}', ']', ','
 *    or ':' is a one-byte message.
 *  - Lexical errors, as in QEMU and qmp-spec "Forcing the JSON parser
 *    into known-good state": an ASCII control character other than
 *    whitespace outside strings, any control character inside a string,
 *    and the bytes 0xFE and 0xFF (never in UTF-8).  The message so far is
 *    dropped and reported as an error; input is then skipped up to the
 *    next bracket, brace, control character or 0xFE/0xFF, from where
 *    parsing starts again.  A client sends such a byte to resynchronise.
 *  - A message longer than the limit is reported as too large; the caller
 *    is expected to close the connection (kvmem does).
 */
#ifndef KVMEM_QMP_STREAM_H
#define KVMEM_QMP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum stream_event {
	STREAM_MESSAGE,	  /* data, len: one candidate JSON text */
	STREAM_LEX_ERROR, /* data, len: the bytes dropped, ending with the bad byte */
	STREAM_TOO_LARGE, /* the message being read passed the limit; stop feeding */
};

/* Return false to stop feeding (the connection is going away). */
typedef bool (*stream_fn)(void *opaque, enum stream_event ev, const char *data, size_t len);

struct json_stream {
	struct buf msg; /* bytes of the message being read */
	size_t limit;	/* most bytes one message may have */
	int state;	/* private */
	unsigned long depth;
	bool escape;
};

void json_stream_init(struct json_stream *s, size_t limit);
void json_stream_fini(struct json_stream *s);

/* Feed n bytes; fn is called for each message or error found, in order.
 * Returns false if fn asked to stop or the message became too large
 * (after STREAM_TOO_LARGE). */
bool json_stream_feed(struct json_stream *s, const char *data, size_t n, stream_fn fn,
		      void *opaque);

/* True while part of a message is buffered (the peer stopped mid-message). */
bool json_stream_pending(const struct json_stream *s);

#endif
