# SPDX-License-Identifier: ISC
# One booted Debian machine for the system test: an overlay on the cached
# root (tests/system/root.sh), so that the root stays as it was made,
# booted by systemd-nspawn without a service manager on the host
# (--register=no --keep-unit) and without its network (--private-network:
# only its own loopback).  The host drives it with nsenter.
#
# Sourced by tests/system/system.sh: ct_boot ROOT starts it, ct CMD runs a
# command in it, ct_net CMD runs a host command in its network namespace
# only, ct_cleanup (on exit) stops it and removes what ct_boot made.

CT_NAME=wsld-system-test
CT_DIR=
CT_NSPAWN=
CT_LEADER=
CT_MOUNTED=
CT_CGROUPS=
CT_RUNDIR=

# Why this machine cannot boot a container, or nothing if it can try.
ct_cannot() {
	for tool in systemd-nspawn nsenter debootstrap; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "$tool is not installed (apt-get install systemd-container debootstrap)"
			return
		fi
	done
	if [ "$(id -u)" != 0 ]; then
		echo "not root: systemd-nspawn and debootstrap need root"
		return
	fi
	if ! unshare --mount --pid --fork --uts --ipc --net true 2>/dev/null; then
		echo "this machine refuses new mount, PID, UTS, IPC or network namespaces"
		return
	fi
	if [ ! -d /sys/fs/cgroup ] ||
	    [ -z "$(ls /sys/fs/cgroup 2>/dev/null)" ]; then
		echo "no cgroup file system at /sys/fs/cgroup"
	fi
}

# nspawn makes its cgroups "payload" and "supervisor" where it runs, and
# /run/systemd/nspawn; note those that do not exist yet, to remove them
# afterwards.
ct_note_cgroups() {
	_at=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		for g in payload supervisor; do
			if [ -d "$h" ] && [ ! -e "$h${_at%/}/$g" ]; then
				CT_CGROUPS="$CT_CGROUPS $h${_at%/}/$g"
			fi
		done
	done
	[ -e /run/systemd/nspawn ] || CT_RUNDIR=/run/systemd/nspawn
}

# ct_boot ROOT: boot an overlay of ROOT; fails, saying why, if it does not
# reach "running" (or "degraded", whose failed units it lists) in 120 s.
ct_boot() {
	CT_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/wsld-system.XXXXXX") || return 1
	mkdir "$CT_DIR/upper" "$CT_DIR/work" "$CT_DIR/root"
	if mount -t overlay overlay -o "lowerdir=$1,upperdir=$CT_DIR/upper,workdir=$CT_DIR/work" \
	    "$CT_DIR/root" 2>/dev/null; then
		CT_MOUNTED=$CT_DIR/root
	else
		# No overlayfs: a copy does as well, only slower.
		cp -a "$1/." "$CT_DIR/root/" || return 1
	fi
	ct_note_cgroups
	systemd-nspawn -q -D "$CT_DIR/root" -M "$CT_NAME" --register=no \
	    --keep-unit --private-network --console=read-only -b \
	    >"$CT_DIR/console.log" 2>&1 </dev/null &
	CT_NSPAWN=$!
	# The container's PID 1 is the child of nspawn that runs systemd in a
	# PID namespace of its own (its NSpid ends in 1).
	_i=0
	while [ -z "$CT_LEADER" ]; do
		for p in $(pgrep -P "$CT_NSPAWN"); do
			if awk '$1 == "NSpid:" && $NF == 1 { f = 1 } END { exit !f }' \
			    "/proc/$p/status" 2>/dev/null; then
				CT_LEADER=$p
			fi
		done
		_i=$((_i + 1))
		if ! kill -0 "$CT_NSPAWN" 2>/dev/null || [ $_i -gt 300 ]; then
			echo "systemd-nspawn did not start the machine's init:"
			tail -20 "$CT_DIR/console.log"
			return 1
		fi
		[ -n "$CT_LEADER" ] || sleep 0.1
	done
	# systemctl needs the manager's socket: it comes early in the boot.
	_i=0
	until ct test -S /run/systemd/private; do
		_i=$((_i + 1))
		if ! kill -0 "$CT_NSPAWN" 2>/dev/null || [ $_i -gt 600 ]; then
			echo "the machine's systemd made no /run/systemd/private:"
			tail -20 "$CT_DIR/console.log"
			return 1
		fi
		sleep 0.1
	done
	_state=$(ct timeout 120 systemctl is-system-running --wait 2>&1)
	case $_state in
	running) ;;
	degraded)
		echo "# the machine booted degraded:"
		ct systemctl --failed --no-legend | sed 's/^/# /' ;;
	*)
		echo "the machine did not finish booting (is-system-running: $_state):"
		tail -20 "$CT_DIR/console.log"
		return 1 ;;
	esac
}

# ct CMD...: CMD in the machine (all its namespaces, its root, a clean
# environment), as root.
ct() {
	nsenter -t "$CT_LEADER" -m -u -i -n -p -C -r -w -- \
	    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	    SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# ct_net CMD...: a host program (the test's probe) in the machine's network
# namespace: its loopback is the machine's.
ct_net() {
	nsenter -t "$CT_LEADER" -n -- "$@"
}

ct_cleanup() {
	if [ -n "$CT_NSPAWN" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
		# nspawn turns SIGTERM into a clean shutdown of the machine.
		kill -TERM "$CT_NSPAWN" 2>/dev/null
		_i=0
		while kill -0 "$CT_NSPAWN" 2>/dev/null && [ $_i -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$CT_NSPAWN" 2>/dev/null
		wait "$CT_NSPAWN" 2>/dev/null
	fi
	CT_NSPAWN=
	if [ -n "$CT_MOUNTED" ]; then
		umount "$CT_MOUNTED" 2>/dev/null || umount -l "$CT_MOUNTED"
		CT_MOUNTED=
	fi
	[ -n "$CT_DIR" ] && rm -rf "$CT_DIR"
	CT_DIR=
	# What nspawn leaves behind on a host without systemd: its empty
	# cgroups and the directory it could not remove from /run.
	for g in $CT_CGROUPS; do
		find "$g" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	CT_CGROUPS=
	rmdir "/run/systemd/nspawn/propagate/$CT_NAME" 2>/dev/null
	if [ -n "$CT_RUNDIR" ]; then
		find "$CT_RUNDIR" -depth -type d -exec rmdir {} + 2>/dev/null
		CT_RUNDIR=
	fi
}
