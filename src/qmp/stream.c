/* stream.c - JSON message boundaries in a QMP byte stream; see stream.h. */
#include "qmp/stream.h"

enum {
	ST_START,    /* between messages */
	ST_NESTED,   /* inside '{' or '[', outside strings */
	ST_STRING,   /* inside a string nested in a message */
	ST_TOP_STR,  /* a string at the top level */
	ST_SCALAR,   /* a number or literal at the top level */
	ST_RECOVERY, /* after a lexical error, skipping to a resync point */
};

void json_stream_init(struct json_stream *s, size_t limit)
{
	*s = (struct json_stream){.limit = limit, .state = ST_START};
}

void json_stream_fini(struct json_stream *s)
{
	buf_free(&s->msg);
}

bool json_stream_pending(const struct json_stream *s)
{
	return s->state != ST_START && s->state != ST_RECOVERY;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that are a lexical error outside strings. */
static bool is_bad(unsigned char c)
{
	return (c < 0x20 && !is_ws(c)) || c == 0xfe || c == 0xff;
}

static bool is_structural(unsigned char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':' || c == '"';
}

/* Where recovery stops skipping (QEMU's IN_RECOVERY). */
static bool is_resync(unsigned char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || (c < 0x20 && c != '\t') ||
	       c == 0xfe || c == 0xff;
}

/* Add c to the message; false once the message is over the limit. */
static bool grow(struct json_stream *s, unsigned char c)
{
	buf_append(&s->msg, &c, 1);
	return s->msg.len <= s->limit && !s->msg.failed;
}

static bool emit(struct json_stream *s, enum stream_event ev, stream_fn fn, void *opaque)
{
	bool go = fn(opaque, ev, s->msg.data ? s->msg.data : "", s->msg.len);

	buf_reset(&s->msg);
	s->depth = 0;
	s->escape = false;
	s->state = ev == STREAM_LEX_ERROR ? ST_RECOVERY : ST_START;
	return go;
}

bool json_stream_feed(struct json_stream *s, const char *data, size_t n, stream_fn fn, void *opaque)
{
	for (size_t i = 0; i < n; i++) {
		bool fits = true;
		unsigned char c = (unsigned char)data[i];

		switch (s->state) {
		case ST_RECOVERY:
			if (!is_resync(c))
				continue;
			s->state = ST_START;
			/* c starts afresh */
			__attribute__((fallthrough));
		case ST_START:
			if (is_ws(c))
				continue;
			fits = grow(s, c);
			if (is_bad(c)) {
				if (!emit(s, STREAM_LEX_ERROR, fn, opaque))
					return false;
				continue;
			}
			if (c == '{' || c == '[') {
				s->state = ST_NESTED;
				s->depth = 1;
			} else if (c == '"') {
				s->state = ST_TOP_STR;
			} else if (is_structural(c)) {
				if (!emit(s, STREAM_MESSAGE, fn, opaque))
					return false;
			} else {
				s->state = ST_SCALAR;
			}
			break;
		case ST_SCALAR:
			if (is_ws(c) || is_structural(c) || is_bad(c)) {
				if (!emit(s, STREAM_MESSAGE, fn, opaque))
					return false;
				i--; /* the delimiter belongs to what follows */
				continue;
			}
			fits = grow(s, c);
			break;
		case ST_NESTED:
			if (!(fits = grow(s, c)))
				break;
			if (is_bad(c)) {
				if (!emit(s, STREAM_LEX_ERROR, fn, opaque))
					return false;
				continue;
			}
			if (c == '"') {
				s->state = ST_STRING;
			} else if (c == '{' || c == '[') {
				s->depth++;
			} else if ((c == '}' || c == ']') && --s->depth == 0) {
				if (!emit(s, STREAM_MESSAGE, fn, opaque))
					return false;
				continue;
			}
			break;
		case ST_STRING:
		case ST_TOP_STR:
			if (!(fits = grow(s, c)))
				break;
			if (c < 0x20 || c == 0xfe || c == 0xff) {
				if (!emit(s, STREAM_LEX_ERROR, fn, opaque))
					return false;
				continue;
			}
			if (s->escape) {
				s->escape = false;
			} else if (c == '\\') {
				s->escape = true;
			} else if (c == '"') {
				if (s->state == ST_TOP_STR) {
					if (!emit(s, STREAM_MESSAGE, fn, opaque))
						return false;
					continue;
				}
				s->state = ST_NESTED;
			}
			break;
		}
		if (!fits) {
			fn(opaque, STREAM_TOO_LARGE, s->msg.data, s->msg.len);
			buf_reset(&s->msg);
			s->state = ST_START;
			s->depth = 0;
			return false;
		}
	}
	return true;
}
