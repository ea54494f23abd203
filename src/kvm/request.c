/* request.c - what the guest asks of the machine (power off, reset,
 * crash), handed from a vCPU thread to the main loop: the strongest request
 * wins and the VM's eventfd wakes the loop.  Apart from vm.c so that a VM
 * without KVM (tests/qmp/sim_vm.c) shares it. */
#include <unistd.h>

#include "kvm/vm.h"

void vm_request(struct vm *vm, enum vm_request req)
{
	int cur = atomic_load(&vm->request);
	uint64_t one = 1;

	while ((int)req > cur && !atomic_compare_exchange_weak(&vm->request, &cur, (int)req))
		;
	if (write(vm->event_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: the main loop is already woken */
	}
}

enum vm_request vm_take_request(struct vm *vm)
{
	uint64_t v;

	if (read(vm->event_fd, &v, sizeof(v)) < 0) {
		/* nothing pending (EAGAIN) */
	}
	return (enum vm_request)atomic_exchange(&vm->request, VM_REQ_NONE);
}
