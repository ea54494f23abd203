/* sim_balloon.h - kvmem-sim's simulated guest drives a virtio balloon
 * (KVMEM_SIM_BALLOON=1; sim_balloon.c says how). */
#ifndef KVMEM_SIM_BALLOON_H
#define KVMEM_SIM_BALLOON_H

struct vm;

/* vCPU 0, once a tick: find and start the device the first time, then
 * refill statistics and follow the balloon's target. */
void sim_balloon_poll(struct vm *vm);

#endif
