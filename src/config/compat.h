/* compat.h - the options kvmem takes so that a program written for QEMU
 * (libvirt, first of all) can start it: the accelerator, the machine type
 * "none" (a QMP-only process without a VM), -nodefaults, -pidfile,
 * -daemonize, and the options that ask for nothing kvmem would do
 * differently (-no-user-config, -uuid, -display none, -rtc base=utc, ...).
 *
 * Owns: their syntax, QEMU 7.2's messages for them, and the refusal, with
 * a reason, of every value that would ask kvmem for something it does not
 * do (-display gtk, -rtc base=localtime, -overcommit mem-lock=on, ...).
 * docs/cli.md lists each option and why it changes nothing for kvmem.
 * Never: acts on them (main.c writes the pid file and daemonizes,
 * machine.c picks the accelerator); pure, as the rest of config.
 */
#ifndef KVMEM_CONFIG_COMPAT_H
#define KVMEM_CONFIG_COMPAT_H

#include <stdbool.h>

#include "util/err.h"

#define CONFIG_MAX_ACCELS 8

struct config_compat {
	bool machine_none; /* -machine none: QMP only, no VM */
	/* -accel NAME or -machine accel=A:B:C, in order of preference;
	 * none given means kvm.  Names are QEMU's (kvm, tcg, ...); which
	 * ones this kvmem has is the VM's business (kvm/vm.h). */
	const char *accel[CONFIG_MAX_ACCELS];
	unsigned nr_accels;
	const char *accel_opt; /* "-accel kvm" or "-machine accel=kvm:tcg", for messages */
	bool nodefaults;       /* -nodefaults: no default serial port */
	bool no_user_config;   /* accepted: kvmem reads no configuration file */
	const char *pidfile;   /* -pidfile PATH, NULL when absent */
	bool daemonize;	       /* -daemonize */
	bool dump_guest_core;  /* -machine dump-guest-core (default on) */
	bool dump_guest_core_given;
	bool msg_timestamp; /* -msg timestamp=on: main dates its messages */
	const char *uuid;   /* -uuid, checked; kvmem has no SMBIOS to show it */
	/* -object secret,id=ID,...: checked and kept by id only; kvmem has
	 * nothing that reads a secret (no disks, no TLS) */
	char *secret[CONFIG_MAX_ACCELS];
	unsigned nr_secrets;
	char *buf; /* private: storage for accel names */
};

struct config;

/* The option handlers (config.c's table calls them). */
int config_compat_accel(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_pidfile(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_uuid(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_display(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_rtc(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_boot(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_msg(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_overcommit(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_audiodev(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_cpu(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_sandbox(struct config *cfg, const char *arg, struct kverr *err);
int config_compat_no_acpi(struct config *cfg, const char *arg, struct kverr *err);

/* -machine: "pc", "pc-i440fx-7.2" (what query-machines reports) or
 * "none"; 0, or -EINVAL with QEMU's message. */
int config_compat_machine_type(struct config *cfg, const char *type, struct kverr *err);
/* -machine's other keys kvmem takes for QEMU: accel, usb, dump-guest-core.
 * Returns 1 when it handled key, 0 when key is not one of them, -EINVAL. */
int config_compat_machine_key(struct config *cfg, const char *key, const char *val, const char *arg,
			      struct kverr *err);

/* The properties -machine takes: at index idx, its name and QOM type;
 * 1, or 0 past the last (qom-list-properties of the machine types). */
int config_machine_props(const char **name, const char **qom, unsigned idx);

/* After the whole command line: -machine none against what needs a VM,
 * -daemonize against stdio, -accel against -machine accel=, and the
 * backends' dump default from dump-guest-core. */
int config_compat_finish(struct config *cfg, bool serial_given, struct kverr *err);

/* The accelerator names QEMU knows, for messages and checks. */
bool config_accel_known(const char *name);

void config_compat_free(struct config *cfg);

#endif
