#!/bin/sh
# The Debian 11 (bullseye) install test: sbpd's package on an older glibc
# than the build machine's.
#
# It debootstraps a minimal bullseye root (cached in .cache/bullseye/root,
# built once) from the Debian archive this machine's apt uses (read from
# /etc/apt/sources.list and /etc/apt/sources.list.d/ at run time), copies
# it, installs the .deb in the copy with dpkg (chroot), and runs there:
#   sbpd version; sbpd doctor; sbpd sandbox and sbpd serve (as the user
#   sbpd, with the packaged configuration filled in) and one payment
#   through the till API, paid in the sandbox.
# The till API is called with this machine's curl (the root has none): the
# chroot shares the network.
#
# Usage: scripts/bullseye-test.sh [package.deb]   (as root)
#   without a package it builds one with scripts/build-deb.sh
#   MIRROR=URL   the Debian archive (default: the machine's apt's)
#   PORT=28765   the till API's port in the root (the sandbox: PORT+1)
set -eu
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
start=$(date +%s)

fail() {
	echo "bullseye-test: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || fail "run it as root (debootstrap, chroot, dpkg)"
for tool in debootstrap chroot curl; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (apt-get install $tool)"
done

# apt_mirror prints the first Debian archive (not the security one) that
# apt's sources name: one-line "deb URI suite ..." or deb822 "URIs: URI".
apt_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n -e 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
			-e 's/^[[:space:]]*URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
	done | grep -E '^(https?|file)://' | grep -E '/debian/?$' | head -n 1 | sed 's:/$::'
}
MIRROR=${MIRROR:-$(apt_mirror)}
[ -n "$MIRROR" ] || fail "no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/: give MIRROR=URL"

cache=$PWD/.cache/bullseye
if [ ! -f "$cache/root/.sbpd-complete" ]; then
	echo "== debootstrap bullseye (minbase) from $MIRROR into $cache/root (once)"
	rm -rf "$cache/root.partial"
	mkdir -p "$cache"
	if ! debootstrap --variant=minbase bullseye "$cache/root.partial" "$MIRROR" >"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log" >&2
		fail "debootstrap failed: does $MIRROR have bullseye (dists/bullseye)? log: $cache/debootstrap.log"
	fi
	rm -rf "$cache/root"
	mv "$cache/root.partial" "$cache/root"
	echo "$MIRROR" >"$cache/root/.sbpd-complete"
fi

work=$(mktemp -d)
root=$work/root
sandbox_pid=
serve_pid=
cleanup() {
	for pid in $serve_pid $sandbox_pid; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

deb=${1:-}
if [ -z "$deb" ]; then
	deb=$(OUT=$work/dist scripts/build-deb.sh)
fi
[ -f "$deb" ] || fail "$deb: no such package"

echo "== a copy of the cached root"
cp -a "$cache/root" "$root"
in_root() { chroot "$root" "$@"; }
echo "in the root: Debian $(cat "$root/etc/debian_version"), $(in_root ldd --version 2>&1 | head -n 1)"
echo "this machine: Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), $(ldd --version 2>&1 | head -n 1)"

echo "== dpkg -i $(basename "$deb")"
cp "$deb" "$root/tmp/sbpd.deb"
in_root dpkg -i /tmp/sbpd.deb
in_root dpkg-query -W -f='${Package} ${Version} ${Status} Depends: ${Depends}\n' sbpd
echo "enabled: multi-user.target.wants/sbpd.service -> $(readlink "$root/etc/systemd/system/multi-user.target.wants/sbpd.service" || echo 'MISSING')"
in_root sh -c 'ls -l /usr/bin/sbpd /etc/sbpd/ && id sbpd'

echo "== sbpd version"
in_root sbpd version

PORT=${PORT:-28765}
SANDBOX=$((PORT + 1))
merchant=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | sed 's/\(........\)\(....\)\(....\)\(....\)\(.*\)/\1-\2-\3-\4-\5/')
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# The packaged configuration filled in as the operator would (the file's
# owner and mode stay the package's: written in place).
yaml=$root/etc/sbpd/sbpd.yaml
sed -e "s|^listen: 127.0.0.1:8765|listen: 127.0.0.1:$PORT|" \
	-e "s|base_url: https://paymaster.ru|base_url: http://127.0.0.1:$SANDBOX|" \
	-e "s|merchant_id: \"\"|merchant_id: $merchant|" "$yaml" >"$work/sbpd.yaml"
cat "$work/sbpd.yaml" >"$yaml"
sed "s|^SBPD_PAYMASTER_TOKEN=.*|SBPD_PAYMASTER_TOKEN=$token|" "$root/etc/sbpd/sbpd.env" >"$work/sbpd.env"
cat "$work/sbpd.env" >"$root/etc/sbpd/sbpd.env"
chroot --userspec=sbpd:sbpd "$root" sbpd settings set till.id K07

echo "== sbpd sandbox and sbpd serve (user sbpd)"
api=http://127.0.0.1:$PORT
for url in "$api/healthz" "http://127.0.0.1:$SANDBOX/"; do
	if curl -s -o /dev/null "$url"; then
		fail "something already answers on $url: give another PORT="
	fi
done
# chroot execs sbpd: $! is the daemon's pid, for the cleanup to stop it.
chroot "$root" sbpd sandbox --listen "127.0.0.1:$SANDBOX" --merchant-id "$merchant" --token "$token" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
chroot --userspec=sbpd:sbpd "$root" sbpd serve --config /etc/sbpd/sbpd.yaml >"$work/serve.log" 2>&1 &
serve_pid=$!
i=0
until curl -sf "$api/healthz" >"$work/healthz" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$serve_pid" 2>/dev/null; then
		cat "$work/serve.log" "$work/sandbox.log" >&2
		fail "sbpd serve did not get ready on $api"
	fi
	sleep 0.1
done
echo "healthz: $(cat "$work/healthz")"

echo "== sbpd doctor"
chroot --userspec=sbpd:sbpd "$root" sbpd doctor

echo "== one payment: start, pay in the sandbox, paid"
json='Content-Type: application/json'
created=$(curl -sf -X POST -H "$json" "$api/api/v1/payments" -d '{"check_id":"000153","amount":25990}')
echo "started: $created"
id=$(printf '%s' "$created" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
pm=$(printf '%s' "$created" | sed -n 's/.*"paymaster_id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] && [ -n "$pm" ] || fail "no payment id or PayMaster id in: $created"
curl -sf -X POST -H "$json" "http://127.0.0.1:$SANDBOX/sandbox/payments/$pm/pay" >/dev/null
i=0
while :; do
	payment=$(curl -sf "$api/api/v1/payments/$id")
	case $payment in *'"state":"paid"'*) break ;; esac
	i=$((i + 1))
	[ $i -le 200 ] || fail "payment $id not paid: $payment"
	sleep 0.1
done
echo "paid: $payment"

echo "== bullseye install test passed in $(($(date +%s) - start)) s"
