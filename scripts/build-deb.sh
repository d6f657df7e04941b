#!/bin/sh
# Build sbpd's Debian package: the binary (static-pie, cgo for go-sqlite3), its man pages
# and completions (sbpd gen-docs), then the .deb from packaging/nfpm.yaml with packaging/mkdeb (nfpm as a library). Prints
# the path of the package.
#
# Usage: scripts/build-deb.sh
#
#   VERSION=1.2.0   the Debian version (default: from `git describe --tags`,
#                   v1.2.0 -> 1.2.0, 1.2.0+3.g1a2b3c4 three commits later,
#                   0.0.0~git1a2b3c4 without a tag; .dirty for local changes)
#   OUT=dist        where the .deb goes (default dist)
#   GOARCH=arm64    cross-build (also set CC to a cross compiler: cgo);
#                   the package's architecture follows GOARCH
#
# Install it with `apt install ./dist/sbpd_VERSION_ARCH.deb`; see
# packaging/README.md.
set -eu
export GOTOOLCHAIN=go1.27.3 # the Go go.mod needs, fetched through the Go module proxy

cd "$(dirname "$0")/.."

OUT=${OUT:-dist}

# debian_version turns `git describe` output into a Debian version: it must
# start with a digit and hold only [A-Za-z0-9.+~-].
debian_version() {
	if desc=$(git describe --tags --dirty 2>/dev/null); then
		# v1.2.0-3-g1a2b3c4-dirty -> 1.2.0+3.g1a2b3c4.dirty; v1.2.0-rc1 ->
		# 1.2.0~rc1 (before 1.2.0)
		v=$(printf '%s\n' "$desc" | sed -e 's/^[vV]//' \
			-e 's/-\([0-9][0-9]*\)-g\([0-9a-f]*\)/+\1.g\2/' \
			-e 's/-dirty$/.dirty/' \
			-e 's/-\(rc\)/~\1/' -e 's/-\(beta\)/~\1/' -e 's/-\(alpha\)/~\1/' \
			-e 's/[^A-Za-z0-9.+~]/./g')
	elif rev=$(git rev-parse --short HEAD 2>/dev/null); then
		v="0.0.0~git$rev"
		if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
			v="$v.dirty"
		fi
	else
		v="0.0.0~dev"
	fi
	case $v in
	[0-9]*) ;;
	*) v="0.0.0~$v" ;; # a tag that is not a version (release-x): still sorts first
	esac
	printf '%s\n' "$v"
}

VERSION=${VERSION:-$(debian_version)}
case $VERSION in
[0-9]*) ;;
*)
	echo "build-deb.sh: VERSION=$VERSION: a Debian version must start with a digit" >&2
	exit 1
	;;
esac

GOARCH=${GOARCH:-$(go env GOARCH)}
case $GOARCH in
arm) ARCH=armhf ;;
386) ARCH=i386 ;;
*) ARCH=$GOARCH ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# A static-pie binary: cgo SQLite and glibc linked in, so the package
# installs on any kiosk (Debian 11, Ubuntu 20.04, Astra Linux SE 1.7 have an
# older glibc than the build machine's), and position independent (ASLR).
# netgo, osusergo: Go's own DNS resolver and user lookup, not glibc's NSS
# (which a static binary cannot load); sqlite_omit_load_extension: no
# dlopen. -z pack-relative-relocs: the relocations a static-pie applies to
# itself at start in the compact RELR form (33 KB instead of 2.5 MB, which
# every start read into memory: 2.5 MB less idle RSS, see BENCHMARKS.md).
# -s -w: no symbol table or DWARF (panics still have file:line);
# -trimpath: no build paths in the binary. packaging/mkdeb's test builds
# with the same flags (buildFlags).
CGO_ENABLED=1 GOOS=linux GOARCH=$GOARCH go build -trimpath -buildmode=pie \
	-tags 'netgo osusergo sqlite_omit_load_extension' \
	-ldflags "-s -w -X main.version=$VERSION -linkmode external -extldflags '-static-pie -Wl,-z,pack-relative-relocs'" \
	-o "$work/sbpd" ./cmd/sbpd

# Man pages and completions from the command tree, dated by the commit (a
# reproducible package), written by a build of this machine's with
# `sbpd gen-docs` (-tags gendocs: the packaged daemon carries no man page
# renderer).
GOARCH= CGO_ENABLED=1 go build -tags gendocs -trimpath -ldflags "-X main.version=$VERSION" -o "$work/sbpd-docs" ./cmd/sbpd
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
	"$work/sbpd-docs" gen-docs --man "$work/docs/man" --completions "$work/docs/completions"

# mkdeb runs on this machine (GOARCH is the target's, not its own); it is a
# module of its own (packaging/go.mod), so nfpm stays out of the daemon's.
case $OUT in /*) out=$OUT ;; *) out=$PWD/$OUT ;; esac
(cd packaging && GOARCH= GOOS= go run ./mkdeb -config nfpm.yaml \
	-version "$VERSION" -arch "$ARCH" -binary "$work/sbpd" -docs "$work/docs" -out "$out" \
	${MAINTAINER:+-maintainer "$MAINTAINER"})
