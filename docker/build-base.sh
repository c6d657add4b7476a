#!/usr/bin/env bash
# Builds the Debian bookworm base image with debootstrap and `docker import`s it under the name the
# Dockerfile starts FROM. This exists because no container registry is reachable here: where one is,
# `docker build --build-arg BASE=debian:bookworm-slim` does the same job without this script.
#
#   sudo docker/build-base.sh [IMAGE]         default IMAGE: hotline-ivr/debian:bookworm
#   MIRROR=http://deb.debian.org/debian sudo docker/build-base.sh
#
# Needs root, debootstrap and a running dockerd. The mirror defaults to the first bookworm mirror in the
# host's APT sources (deb822 /etc/apt/sources.list.d/*.sources or one-line /etc/apt/sources.list).
# Takes a few minutes and ~200 MB of downloads; run it once and reuse the image.
set -euo pipefail

IMAGE="${1:-hotline-ivr/debian:bookworm}"
SUITE=bookworm
WORK="${WORK:-/var/tmp/hotline-ivr-base}"

host_mirror() {
    # deb822 first (Debian 12 default), then the one-line format; prints every match, first wins.
    local sources=(/etc/apt/sources.list.d/*.sources)
    [ -e "${sources[0]}" ] && awk -v suite="$SUITE" '
        FNR == 1 || /^$/ { uris = ""; ok = 0 }
        /^URIs:/ { uris = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
        uris != "" && ok { print uris; uris = "" }
    ' "${sources[@]}"
    [ -e /etc/apt/sources.list ] && awk -v suite="$SUITE" '
        $1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == suite) print $i }
    ' /etc/apt/sources.list
    return 0
}

MIRROR="${MIRROR:-$(host_mirror | sed -n 1p)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
# The security archive sits next to the main one on Debian's own mirrors.
SECURITY_MIRROR="${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"

[ "$(id -u)" -eq 0 ] || { echo "build-base.sh: run as root (debootstrap needs it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-base.sh: apt-get install debootstrap" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-base.sh: dockerd is not running" >&2; exit 1; }

echo "build-base.sh: $SUITE from $MIRROR (security: $SECURITY_MIRROR) -> $IMAGE"
rm -rf "$WORK"
mkdir -p "$WORK"
ROOTFS="$WORK/rootfs"

# minbase: essential packages + apt only; the service Dockerfile installs what it needs on top.
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$ROOTFS" "$MIRROR"

cat > "$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
# The same slimming the official debian:*-slim images do: no docs, man pages or locales from later
# apt-get installs, and no downloaded .debs kept.
cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat > "$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'APT::Install-Recommends "false";' > "$ROOTFS/etc/apt/apt.conf.d/docker-no-recommends"

chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/* \
    "$ROOTFS"/tmp/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
# A container gets its hostname and resolver from the runtime.
: > "$ROOTFS/etc/hostname"
: > "$ROOTFS/etc/resolv.conf"

tar --numeric-owner --xattrs -C "$ROOTFS" -c . \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $SUITE $MIRROR" \
        - "$IMAGE"
rm -rf "$WORK"
docker image ls "$IMAGE"
