#!/bin/sh
# Installs the Debian packages mxhost builds, tests and benchmarks with,
# when any is missing. Safe to run again: does nothing when all are there.
set -eu

# Build: compiler, libraries. Test: cmocka, pytest, real peers (dig,
# nslookup, nsd, named-checkzone, postfix, swaks, dovecot), strace (the
# commit order test reads the system calls), groff-base (the man page
# test renders man/ with groff). Fuzz and sanitizers: clang with its
# runtime. Bench: dnsperf, postfix's smtp-source.
PACKAGES="
make gcc clang llvm libclang-rt-14-dev pkg-config clang-format
libevent-dev libssl-dev libinih-dev libcrypt-dev libcmocka-dev
python3 python3-pytest python3-dnspython
bind9-dnsutils bind9-utils nsd postfix swaks dovecot-imapd dovecot-pop3d dnsperf
iproute2 procps psmisc strace groff-base
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the tests write their own main.cf.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -q
# policy-rc.d keeps the packages' own daemons (nsd, postfix, dovecot) from
# starting on install: tests start their own copies on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends $missing
