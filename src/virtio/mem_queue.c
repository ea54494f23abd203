/* mem_queue.c - virtio-mem's request queue; see mem_queue.h. */
#include "virtio/mem_queue.h"

int vmem_serve_queue(struct vmem *v, struct vq *q, struct vq_elem *e, bool (*stopping)(void *ctx),
		     void *ctx, unsigned *pushed, struct kverr *err)
{
	*pushed = 0;
	while (!stopping || !stopping(ctx)) {
		uint8_t req[VIRTIO_MEM_REQ_SIZE], resp[VIRTIO_MEM_RESP_SIZE];
		size_t len = 0;
		long got;
		int ret = vq_pop(q, e, err);

		if (ret <= 0)
			return ret;
		got = vq_elem_read(q, e, 0, req, sizeof(req));
		if (got < 0)
			return kverr_set(err, EFAULT, "virtio-mem: request not in guest memory");
		ret = vmem_handle_request(v, req, (size_t)got, e->in_len, resp, &len, err);
		if (ret)
			return ret;
		if (vq_elem_write(q, e, 0, resp, len) != (long)len)
			return kverr_set(err, EFAULT, "virtio-mem: answer not in guest memory");
		ret = vq_push(q, e->head, (uint32_t)len, err);
		if (ret)
			return ret;
		(*pushed)++;
	}
	return 0;
}
