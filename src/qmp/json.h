/* json.h - QMP's JSON text to jansson values and back, as QEMU 7.2 reads
 * and writes it.  Pure: no I/O.
 *
 * Owns: the grammar kvmem accepts on a QMP connection and the bytes it
 * sends.  jansson holds the values, but its own parser and printer follow
 * RFC 8259 to the letter where QEMU accepts more, so a client that works
 * with QEMU would be refused.  Here, as in QEMU (qobject/json-parser.c,
 * json-writer.c):
 *  - an integer is an int64 if it fits, else (without a sign) a uint64,
 *    else a double: an "id" of 18446744073709551615 comes back as it went.
 *    jansson has no uint64, so a value above INT64_MAX is boxed
 *    (qmp_json_uint): an object whose one key starts with the byte 0xFF,
 *    which no parsed key can hold.  Use qmp_json_is_uint and
 *    qmp_json_get_uint; only this module's printer knows the box, and
 *    json_deep_copy keeps it.
 *  - "\u0000" is valid.  As QEMU does, a string keeps U+0000 as the two
 *    bytes C0 80 (modified UTF-8), so every string stays a whole C string
 *    and the printer writes \u0000 again.  Object keys too.
 *  - errors carry QEMU's words ("JSON parse error, expecting value").
 *  - the printer is QEMU's: ", " and ": " between members, \uXXXX (upper
 *    case) for every character outside 0x20..0x7E, surrogate pairs above
 *    U+FFFF, U+FFFD for bytes that are not modified UTF-8, %.17g for
 *    doubles, uint64 digits exactly.
 * Never: decides what a message means (dispatch.c does).
 *
 * Known difference: a number beyond a double's range (1e400) is refused;
 * QEMU takes it as infinity and prints "inf", which is not JSON.
 */
#ifndef KVMEM_QMP_JSON_H
#define KVMEM_QMP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of arrays and objects accepted (QEMU's streamer: 1024). */
#define QMP_JSON_MAX_DEPTH 1024

/* Parse exactly one JSON value (blanks around it allowed) from text[0..len).
 * On error returns NULL and puts QEMU's message in why ("JSON parse error,
 * duplicate key", "JSON nesting depth limit exceeded"). */
json_t *qmp_json_parse(const char *text, size_t len, char *why, size_t why_size);

/* v as one line of QEMU's wire format (no line end); the caller frees it.
 * NULL when out of memory. */
char *qmp_json_print(const json_t *v, size_t *len);

/* An integer above INT64_MAX (below it, json_integer is the value). */
json_t *qmp_json_uint(uint64_t v);
bool qmp_json_is_uint(const json_t *v);
/* A JSON integer that fits uint64 (a non-negative json_integer or a boxed
 * one), as QAPI's 'size' and 'uint64' take it. */
bool qmp_json_get_uint(const json_t *v, uint64_t *out);
/* A JSON object, a boxed integer excluded. */
bool qmp_json_is_object(const json_t *v);

#endif
