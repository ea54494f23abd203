/* threads.c - the vCPU threads' life: start, pause, resume, stop.
 *
 * A vCPU thread runs its loop while the VM runs; when the VM is paused it
 * parks in vcpu_thread_runnable(), outside KVM_RUN, and vm_threads_pause()
 * returns once every live thread has parked.  The KVM specifics (how a
 * thread is kicked out of KVM_RUN, the kvmclock) stay in vm.c and vcpu.c;
 * this part is shared with the KVM-less VM the monitor tests run
 * (tests/qmp/sim_vm.c), so they exercise the same pause logic.
 *
 * Everything below is under vm->run_lock; vm->pause and vm->stopping are
 * also read without it on the vCPU's fast path.
 */
#include "kvm/vm.h"

#include <unistd.h>

void vm_threads_init(struct vm *vm)
{
	pthread_mutex_init(&vm->run_lock, NULL);
	pthread_cond_init(&vm->run_cond, NULL);
}

void vm_threads_fini(struct vm *vm)
{
	pthread_mutex_destroy(&vm->run_lock);
	pthread_cond_destroy(&vm->run_cond);
}

int vm_threads_start(struct vm *vm, void *(*fn)(void *), bool paused, struct kverr *err)
{
	atomic_store(&vm->pause, paused);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int ret;

		pthread_mutex_lock(&vm->run_lock);
		vm->live_threads++; /* before the thread can leave its loop */
		pthread_mutex_unlock(&vm->run_lock);
		ret = thread_start(&vm->vcpu[i].thread, fn, &vm->vcpu[i]);
		if (ret) {
			pthread_mutex_lock(&vm->run_lock);
			vm->live_threads--;
			pthread_mutex_unlock(&vm->run_lock);
			return kverr_sys(err, -ret, "starting vCPU %u thread", i);
		}
		vm->vcpu[i].thread_started = true;
	}
	/* Wait until every thread has told its id (query-cpus-fast). */
	pthread_mutex_lock(&vm->run_lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		while (vm->vcpu[i].thread_started && !vm->vcpu[i].tid)
			pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	pthread_mutex_unlock(&vm->run_lock);
	return 0;
}

bool vm_threads_pause(struct vm *vm, void (*kick)(struct vcpu *))
{
	pthread_mutex_lock(&vm->run_lock);
	if (atomic_load(&vm->pause)) {
		pthread_mutex_unlock(&vm->run_lock);
		return false;
	}
	atomic_store(&vm->pause, true);
	for (unsigned i = 0; i < vm->nr_vcpus && kick; i++)
		if (vm->vcpu[i].thread_started)
			kick(&vm->vcpu[i]);
	/* A thread that left its loop (the guest powered off, say) never
	 * parks; it is no longer counted live. */
	while (vm->parked < vm->live_threads)
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	pthread_mutex_unlock(&vm->run_lock);
	return true;
}

void vm_threads_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	atomic_store(&vm->pause, false);
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}

void vm_threads_stop(struct vm *vm, void (*kick)(struct vcpu *))
{
	pthread_mutex_lock(&vm->run_lock);
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
	for (unsigned i = 0; i < vm->nr_vcpus && kick; i++)
		if (vm->vcpu[i].thread_started)
			kick(&vm->vcpu[i]);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpu[i].thread_started) {
			thread_join(&vm->vcpu[i].thread);
			vm->vcpu[i].thread_started = false;
		}
	}
}

void vcpu_thread_begin(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->run_lock);
	vcpu->tid = gettid();
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}

bool vcpu_thread_runnable(struct vcpu *vcpu, void (*on_wake)(struct vcpu *))
{
	struct vm *vm = vcpu->vm;
	bool go;

	if (!atomic_load(&vm->pause) && !atomic_load(&vm->stopping))
		return true;
	pthread_mutex_lock(&vm->run_lock);
	if (atomic_load(&vm->pause) && !atomic_load(&vm->stopping)) {
		vm->parked++;
		pthread_cond_broadcast(&vm->run_cond);
		while (atomic_load(&vm->pause) && !atomic_load(&vm->stopping))
			pthread_cond_wait(&vm->run_cond, &vm->run_lock);
		vm->parked--;
		/* Before `stopping` is read below: a stop that comes after
		 * on_wake still reaches the thread. */
		if (on_wake)
			on_wake(vcpu);
	}
	go = !atomic_load(&vm->stopping);
	pthread_mutex_unlock(&vm->run_lock);
	return go;
}

void vcpu_thread_end(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->run_lock);
	vm->live_threads--;
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}
