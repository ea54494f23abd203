#!/bin/sh
# run-vms.sh - the L1 side of tests/guest/stress/tf-stress (busybox sh).
#
#   run-vms.sh VMS_FILE SECONDS SIZE_BYTES TOOLS_DIR
#
# VMS_FILE has one line per VM: NAME and a script that execs the VMM's
# whole command line (kernel, initrd, QMP socket /tmp/tf-NAME.sock,
# -no-reboot).  Every VM is
# driven at the same time, in this same L1, for SECONDS: boot, then cycles
# of virtio-mem grow (requested-size SIZE) and shrink (0) while the guest
# keeps memcheck patterns in memory.  A VMM that exits by itself (a triple
# fault or a panic: -no-reboot makes both an exit) is counted, its console's
# tail printed, and it is started again until the time is up.
# Lines: "tf NAME ..." (events), "tf-summary NAME ..." (one per VM, at the end).
VMS=$1
SECS=$2
SIZE=$3
export PATH="$4:$PATH" # kvmemctl; guestclock is in /bin
now() { cut -d. -f1 /proc/uptime; }
END=$(($(now) + SECS))

drive() {
	name=$1
	shift
	sock=/tmp/tf-$name.sock
	boots=0 deaths=0 cycles=0 bootfail=0
	while [ $(now) -lt $((END - 60)) ]; do
		boots=$((boots + 1))
		con=/tmp/tf-$name.$boots.console
		rm -f "$sock"
		guestclock -t $((END - $(now) + 30)) -o "$con" "$@" >"$con.out" 2>&1 &
		clock=$!
		phase=boot
		i=0
		while ! grep -q BENCH-READY "$con" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 2400 ] || [ ! -e /proc/$clock ]; then break; fi
			sleep 0.1
		done
		if ! grep -q BENCH-READY "$con" 2>/dev/null; then
			[ -e /proc/$clock ] && kill $clock
			wait $clock
			bootfail=$((bootfail + 1))
			echo "tf $name boot $boots never reached BENCH-READY"
			tail -n 25 "$con" | sed "s/^/tf $name console| /"
			continue
		fi
		mem() {
			m=$(grep "^memtotal " "$con" | tail -1 | cut -d' ' -f2)
			echo "${m:-0}"
		}
		sleep 2
		base=$(mem)
		echo "tf $name boot $boots ready at $(now) s, MemTotal $base kB"
		# the VMM's events (SHUTDOWN says why a VMM ended), on its second socket
		kvmemctl -s /tmp/tf-$name.ev.sock events >/tmp/tf-$name.$boots.events 2>&1 &
		events=$!
		while [ -e /proc/$clock ] && [ $(now) -lt $((END - 30)) ]; do
			phase=grow
			t0=$(now)
			want=$((base + SIZE / 1024 * 99 / 100))
			KVMEMCTL_SOCKET=$sock kvmemctl --timeout 20 qom-set path=/machine/peripheral/vm0 \
				property=requested-size value=$SIZE >/dev/null 2>&1 || break
			while [ -e /proc/$clock ] && [ "$(mem)" -lt $want ] && [ $(now) -lt $END ]; do
				sleep 0.2
			done
			[ -e /proc/$clock ] || break
			[ $(now) -lt $END ] || break
			t1=$(now)
			sleep 8 # the guest starts and fills its second pattern
			phase=shrink
			t2=$(now)
			back=$((base + SIZE / 1024 / 100))
			KVMEMCTL_SOCKET=$sock kvmemctl --timeout 20 qom-set path=/machine/peripheral/vm0 \
				property=requested-size value=0 >/dev/null 2>&1 || break
			while [ -e /proc/$clock ] && [ "$(mem)" -gt $back ] && [ $(now) -lt $END ]; do
				sleep 0.2
			done
			[ -e /proc/$clock ] || break
			[ $(now) -lt $END ] || break
			cycles=$((cycles + 1))
			echo "tf $name cycle $cycles (boot $boots) grow $((t1 - t0)) s shrink $(($(now) - t2)) s"
			sleep 2
		done
		if [ -e /proc/$clock ]; then
			KVMEMCTL_SOCKET=$sock kvmemctl --timeout 20 quit >/dev/null 2>&1
			wait $clock
			kill $events 2>/dev/null
			continue
		fi
		wait $clock
		sleep 1
		kill $events 2>/dev/null
		deaths=$((deaths + 1))
		why=exited
		grep -q "triple fault" "$con" && why="triple fault (kvmem says so)"
		grep -q -i "kernel panic" "$con" && why="kernel panic"
		grep -q "BUG:\|Oops" "$con" && why="$why, kernel BUG/Oops first"
		echo "tf $name DIED boot $boots at $(now) s during $phase (cycle $((cycles + 1))): $why"
		tail -n 40 "$con" | sed "s/^/tf $name console| /"
		grep -h '^SHUTDOWN\|^RESET' /tmp/tf-$name.$boots.events 2>/dev/null | sed "s/^/tf $name event| /"
		grep '^guestclock:' "$con.out" | sed "s/^/tf $name /"
	done
	bad=$(cat /tmp/tf-$name.*.console | grep -c "memcheck .* BAD")
	passes=$(cat /tmp/tf-$name.*.console | grep -c "memcheck .* ok")
	cat /tmp/tf-$name.*.console | grep "memcheck .* BAD\|badpage" | head -20 |
		sed "s/^/tf $name /"
	echo "tf-summary $name boots=$boots deaths=$deaths bootfail=$bootfail cycles=$cycles memcheck_passes=$passes memcheck_bad=$bad"
}

pids=""
while read -r name cmd; do
	[ -n "$name" ] || continue
	drive "$name" sh $cmd &
	pids="$pids $!"
	sleep 3
done <"$VMS"
for p in $pids; do wait $p; done
echo "tf all done at $(now) s"
