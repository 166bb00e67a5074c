# SPDX-License-Identifier: ISC
# The Debian 12 root the system test boots, made by debootstrap from the
# mirror this machine's apt sources name, and kept between runs outside
# the source tree, under a key that is a hash of everything it is made
# from: this file, the suite, the mirror and the packages.  A run never
# changes it (the test boots an overlay on top of it).
#
# Sourced by tests/system/system.sh.

ROOT_SUITE=bookworm
# A booting systemd and what the test runs in the machine; the package's
# own dependencies are added by the caller.
ROOT_PACKAGES="systemd systemd-sysv dbus"
ROOT_CACHE=${WSLD_SYSTEM_CACHE:-/var/cache/wsld-system-test}
ROOT_RECIPE=${top_srcdir:-.}/tests/system/root.sh

# The first plain archive (not security, updates or backports) of an
# enabled "deb" entry in /etc/apt/sources.list, sources.list.d/*.list
# (one-line format) or sources.list.d/*.sources (deb822).
root_mirror() {
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			    awk '$1 == "deb" { print $2, $3 }'
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled !~ /^no$/)
					for (i = 1; i <= nu; i++)
						for (j = 1; j <= ns; j++)
							print u[i], s[j]
				types = ""; enabled = ""; nu = 0; ns = 0
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key)
				if (key == "types") { $1 = ""; types = $0 }
				else if (key == "enabled") enabled = tolower($2)
				else if (key == "uris") nu = split(substr($0, index($0, ":") + 1), u, " ")
				else if (key == "suites") ns = split(substr($0, index($0, ":") + 1), s, " ")
			}
			END { flush() }' "$f"
		done
	} | awk '$2 !~ /-(security|updates|backports)$/ && $1 !~ /security/ &&
	    $1 ~ /^(https?|file):/ { print $1; exit }'
}

# root_key MIRROR PACKAGES...: what the root is made from, hashed.
root_key() {
	_mirror=$1
	shift
	{
		cat "$ROOT_RECIPE"
		echo "$ROOT_SUITE $_mirror"
		printf '%s\n' $ROOT_PACKAGES "$@" | sort -u
	} | sha256sum | cut -c1-16
}

# root_get PACKAGES...: ROOT_DIR, the directory of the root, made if
# missing (then ROOT_MADE=yes).  Fails, saying why on stderr, if it cannot
# be made.
ROOT_MADE=no
ROOT_DIR=
root_get() {
	_mirror=$(root_mirror)
	if [ -z "$_mirror" ]; then
		echo "no Debian mirror in /etc/apt/sources.list{,.d}" >&2
		return 1
	fi
	_key=$(root_key "$_mirror" "$@")
	_dir=$ROOT_CACHE/root-$_key
	mkdir -p "$ROOT_CACHE" || return 1
	# One maker at a time; the others wait for its root.
	exec 9>"$ROOT_CACHE/lock"
	flock 9
	# Made whole in $_dir.new, then renamed: $_dir is always complete.
	if [ ! -d "$_dir" ]; then
		rm -rf "$_dir" "$_dir.new"
		_inc=$(printf '%s\n' $ROOT_PACKAGES "$@" | sort -u | paste -sd, -)
		if ! debootstrap --variant=minbase --include="$_inc" \
		    "$ROOT_SUITE" "$_dir.new" "$_mirror" \
		    >"$ROOT_CACHE/debootstrap.log" 2>&1; then
			echo "debootstrap $ROOT_SUITE from $_mirror failed:" >&2
			tail -20 "$ROOT_CACHE/debootstrap.log" >&2
			rm -rf "$_dir.new"
			exec 9>&-
			return 1
		fi
		rm -rf "$_dir.new/var/cache/apt/archives"/*.deb
		mv "$_dir.new" "$_dir"
		ROOT_MADE=yes
		# Roots of other keys are stale: only one is kept.
		for old in "$ROOT_CACHE"/root-*; do
			[ "$old" = "$_dir" ] || rm -rf "$old"
		done
	fi
	exec 9>&-
	ROOT_DIR=$_dir
}
