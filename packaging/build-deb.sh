#!/bin/sh
# Builds a self-contained gatehouse_<version>_amd64.deb (docs/operations.md, "Debian package"):
# dotnet publish (linux-x64, self-contained) + dpkg-deb. Usage:
#   packaging/build-deb.sh [OUTPUT_DIR]            (default: artifacts/ in the repository)
#   GATEHOUSE_PUBLISHED=DIR packaging/build-deb.sh  (package an existing publish output instead)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/artifacts}
# Maintainer: $DEBFULLNAME <$DEBEMAIL> (Debian's convention), else the author of the commit built.
maintainer="${DEBFULLNAME:-$(git -C "$repo" log -1 --format=%an)} <${DEBEMAIL:-$(git -C "$repo" log -1 --format=%ae)}>"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/src/Gatehouse.Cli/Gatehouse.Cli.csproj")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
lib=$root/usr/lib/gatehouse

if [ -n "${GATEHOUSE_PUBLISHED:-}" ]; then
    mkdir -p "$lib" && cp -r "$GATEHOUSE_PUBLISHED"/. "$lib"/
else
    dotnet publish "$repo/src/Gatehouse.Cli" -c Release -r linux-x64 --self-contained \
        -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v q -o "$lib"
fi
rm -f "$lib"/*.pdb "$lib"/*.xml

# Modes: directories 0755, files 0644, the executable 0755.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/gatehouse"
mkdir -p "$root/usr/bin"
ln -s ../lib/gatehouse/gatehouse "$root/usr/bin/gatehouse"

install -D -m 0644 "$repo/packaging/gatehouse.service" "$root/usr/lib/systemd/system/gatehouse.service"
install -D -m 0644 "$repo/packaging/gatehouse.socket" "$root/usr/lib/systemd/system/gatehouse.socket"
install -D -m 0644 "$repo/packaging/gatehouse-remctl.socket" "$root/usr/lib/systemd/system/gatehouse-remctl.socket"
install -D -m 0644 "$repo/packaging/gateway.json" "$root/etc/gatehouse/gateway.json"
doc=$root/usr/share/doc/gatehouse
install -D -m 0644 "$repo/README.md" "$doc/README.md"
install -m 0644 "$repo/docs/operations.md" "$doc/operations.md"
cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gatehouse

Files: *
Copyright: $(date -u +%Y) the Gatehouse authors
License: not-yet-stated
 The Gatehouse sources do not state a license yet.
 The .NET runtime bundled in /usr/lib/gatehouse is MIT-licensed (Microsoft, .NET Foundation).
COPYRIGHT
chmod 0644 "$doc/copyright"
cat > "$work/changelog" <<CHANGELOG
gatehouse ($version) unstable; urgency=medium

  * Built from the Gatehouse repository.

 -- $maintainer  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")
CHANGELOG
gzip -9n -c "$work/changelog" > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
# The .NET runtime's compression library carries its own zlib(-ng); it cannot use the system's.
install -d -m 0755 "$root/usr/share/lintian/overrides"
echo "gatehouse: embedded-library zlib [usr/lib/gatehouse/libSystem.IO.Compression.Native.so]" > "$root/usr/share/lintian/overrides/gatehouse"
chmod 0644 "$root/usr/share/lintian/overrides/gatehouse"

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: gatehouse
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $size
Depends: libc6, libgcc-s1, libstdc++6, zlib1g, libssl3 | libssl3t64, libgssapi-krb5-2, adduser
Section: net
Priority: optional
Description: authenticated remote commands and RPCs across a cluster
 A gateway daemon (TLS pinned by fingerprint, a multiplexed binary protocol),
 services that attach to it, remctl.conf exec commands, ZeroMQ daemons,
 remctl/Kerberos wire compatibility and a clush-like client, in one
 self-contained command: gatehouse. The unit gatehouse.service runs the
 gateway with /etc/gatehouse/gateway.json; it is not started on install.
CONTROL
echo /etc/gatehouse/gateway.json > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    # A system user for gateways run without exec commands (User=gatehouse in a drop-in).
    if ! getent passwd gatehouse >/dev/null; then
        adduser --system --group --quiet --home /var/lib/gatehouse --no-create-home gatehouse
    fi
    install -d -m 0700 /var/lib/gatehouse
    install -d -m 0750 /var/log/gatehouse
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload >/dev/null || true
    fi
fi
POSTINST
cat > "$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
fi
if [ "$1" = purge ]; then
    # The gateway's identity goes with the package only on purge.
    rm -rf /var/lib/gatehouse /var/log/gatehouse
    if getent passwd gatehouse >/dev/null && command -v deluser >/dev/null; then
        deluser --system --quiet gatehouse || true
    fi
fi
POSTRM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"

mkdir -p "$out"
deb=$out/gatehouse_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
