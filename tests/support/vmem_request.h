/* vmem_request.h - virtio-mem requests sent to the device model as a
 * guest's driver lays them out, for the tests that drive it directly.
 *
 * Owns: the test side of the request and response layout (a request is
 * le16 type, 6 bytes of padding, le64 addr, le16 nb_blocks; a response
 * le16 type, 6 bytes of padding, le16 state), so that the unit tests and
 * the memory test build requests one way.  Include it after cmocka.h.
 */
#ifndef KVMEM_TESTS_VMEM_REQUEST_H
#define KVMEM_TESTS_VMEM_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/le.h"
#include "virtio/mem.h"

/* Sends one request of type TYPE for nb blocks at addr to v; returns the
 * response's type, and in *state (when not NULL) a STATE answer. */
static inline int test_vmem_request(struct vmem *v, uint16_t type, uint64_t addr, uint16_t nb,
				    uint16_t *state)
{
	uint8_t req[VIRTIO_MEM_REQ_SIZE] = {0}, resp[VIRTIO_MEM_RESP_SIZE];
	size_t len = 0;
	struct kverr err;

	le_put16(req, type);
	le_put64(req + 8, addr);
	le_put16(req + 16, nb);
	assert_int_equal(vmem_handle_request(v, req, sizeof(req), sizeof(resp), resp, &len, &err),
			 0);
	assert_int_equal(len, VIRTIO_MEM_RESP_SIZE);
	if (state)
		*state = le_get16(resp + 8);
	return le_get16(resp);
}

#endif
