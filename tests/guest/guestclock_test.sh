#!/bin/sh
# guestclock_test.sh GUESTCLOCK - guestclock's timeout (-t) ends the whole
# VMM: a script as the VMM (libvirt-vmm.sh) whose children hold its output
# pipe, and even a child that left the process group, no longer keep
# guestclock waiting.  Before, a libvirt scenario that reached its timeout
# kept its L1 busy until the harness's watchdog gave the whole L1 up.
set -u
gc=$1
fail=0
# the status line without maxrss_kb, which varies
run() { "$gc" -t 2 sh -c "$1" 2>&1 | tail -n 1 | sed 's/ maxrss_kb=[0-9]*//'; }
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fail=1; }

t0=$(date +%s)
a=$(run 'echo KVMEM-GUEST-INIT; sleep 100 & sleep 100')
t=$(($(date +%s) - t0))
case $a in
"guestclock: init_ms="*" exit=137 timed_out=1") [ $t -lt 30 ] && ok "a child holding the pipe dies with the VMM ($t s)" ||
	bad "a child holding the pipe: $t s" ;;
*) bad "a child holding the pipe: '$a'" ;;
esac

t0=$(date +%s)
b=$(run 'setsid sleep 60 & sleep 100')
t=$(($(date +%s) - t0))
pkill -x -f "sleep 60" 2>/dev/null
[ "$b" = "guestclock: init_ms=-1 exit=137 timed_out=1" ] && [ $t -lt 30 ] &&
	ok "a child that left the process group is given up on ($t s)" ||
	bad "a child that left the process group: '$b' after $t s"

c=$(run 'echo KVMEM-GUEST-INIT; exit 3')
case $c in
"guestclock: init_ms="*" exit=3 timed_out=0") ok "an exit before the timeout is reported as it is" ;;
*) bad "an exit before the timeout: '$c'" ;;
esac
exit $fail
