#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The install test, inside a booted Debian system (selftests/vm/run.sh
# --install; the image: selftests/vm/install-image.sh). The packages of
# `make deb` are installed the way an operator installs them, with apt from
# a local repository (the guest is offline; the repository also holds what
# they pull in and the headers of the suite's other kernel):
#  - DKMS builds meta.ko for the running kernel, signs it with the MOK key
#    (a throwaway one made here) and installs it;
#  - Debian's own ip, unmodified, creates, shows and changes pairs through
#    link_meta.so, autoloading the module; a pod passes traffic; BPF
#    programs attach with metactl and ip; a program builds against libmeta
#    with pkg-config; the CNI plugin ADDs and DELs a pod;
#  - installing another kernel's headers builds meta for it (autoinstall),
#    probed against those headers; kernels outside the supported range or
#    without BPF are refused;
#  - purging the packages removes the module, the plugin and the tools.
# shellcheck disable=SC2154 # setup_ns sets the namespace variables

test_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
disk=$(cd "$test_dir/../.." && pwd)
export BPF_DIR=/usr/lib/meta/bpf
# shellcheck source=../meta/lib.sh
source "$test_dir/../meta/lib.sh"

export DEBIAN_FRONTEND=noninteractive
kver=$(uname -r)
arch=$(uname -m)
pkgs=(meta-dkms meta-tools meta-cni meta-iproute2)
iplib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/ip
mok_cn="meta install test MOK"
log=/tmp/install-test.log

# run_logged DESC CMD...: check_ok for long-winded commands (apt, dkms):
# their output goes to $log, and only its tail into a failure report.
run_logged() {
	local desc=$1 rc=0 t0=$SECONDS
	shift
	echo "### $*" >> "$log"
	"$@" >> "$log" 2>&1 || rc=$?
	echo "# $desc: $((SECONDS - t0)) s"
	if [ "$rc" -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc" "expected: '$*' to succeed" "seen:     exit $rc; its output ends:" \
			"$(tail -n 25 "$log")"
	fi
	return "$rc"
}

# module_sig_verify KO CERT: the PKCS#7 signature appended to KO (.ko or
# .ko.xz) is valid for KO's content and made with CERT's (DER) key. The
# kernel appends: signature, struct module_signature (12 bytes, the
# signature's length big-endian in its last 4), "~Module signature
# appended~\n" (28 bytes).
module_sig_verify() {
	local ko=$1 cert=$2 t size siglen rc=0

	t=$(mktemp -d)
	case $ko in
	*.xz) xz -dc "$ko" > "$t/m.ko" ;;
	*) cp "$ko" "$t/m.ko" ;;
	esac
	size=$(stat -c %s "$t/m.ko")
	if [ "$(tail -c 28 "$t/m.ko" | head -c 27)" != '~Module signature appended~' ]; then
		echo "no signature trailer" >&2
		rm -rf "$t"
		return 1
	fi
	siglen=$(tail -c 32 "$t/m.ko" | head -c 4 | od -An -tu1 |
		 awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 40 - siglen)) "$t/m.ko" > "$t/body"
	tail -c $((siglen + 40)) "$t/m.ko" | head -c "$siglen" > "$t/sig"
	openssl x509 -inform DER -in "$cert" -out "$t/cert.pem"
	openssl cms -verify -binary -inform DER -in "$t/sig" -content "$t/body" \
		-certfile "$t/cert.pem" -nointern -noverify -out /dev/null 2>&1 || rc=$?
	rm -rf "$t"
	return "$rc"
}

# probe_flags KVER: the -DMETA_HAVE_* flags DKMS's build for KVER used.
probe_flags() {
	grep -o -- '-DMETA_HAVE_[A-Za-z0-9_]*' \
		"/var/lib/dkms/meta/$version/$1/$arch/log/make.log" 2>/dev/null | sort -u | xargs
}

# headers_common KVER: the -common tree Debian's headers for KVER include,
# kbuild's $(srctree) for out-of-tree builds.
headers_common() {
	sed -n 's|^include \(.*\)/Makefile$|\1|p' "/lib/modules/$1/build/Makefile" | head -n1
}

pod_ping() { ip netns exec "$pod" ping -c 1 -W 2 10.99.1.1; }

# --- a Debian system without meta --------------------------------------------
check_cond "the headers of the running kernel ($kver) are installed" \
	test -e "/lib/modules/$kver/build/Makefile"
check_fail "without the packages there is no meta module" "not found" modprobe -n meta
check_fail "without link_meta.so Debian's ip does not know meta's options" \
	"Garbage instead of arguments" ip link add m0 type meta mode l2 peer name m1
check_eq "and nothing was created" 0 "$(count_links "" meta)"

# A throwaway machine owner key where DKMS looks for it on Debian.
openssl req -new -x509 -nodes -days 1 -subj "/CN=$mok_cn/" -newkey rsa:2048 \
	-keyout /var/lib/dkms/mok.key -outform DER -out /var/lib/dkms/mok.pub \
	>> "$log" 2>&1

# --- install ------------------------------------------------------------------
echo "deb [trusted=yes] file:$disk/repo ./" > /etc/apt/sources.list.d/meta-local.list
run_logged "apt-get update (the local repository)" apt-get -q update || true
run_logged "apt-get install ${pkgs[*]}" apt-get -q -y install "${pkgs[@]}" || exit 1
version=$(dpkg-query -W -f='${Version}' meta-dkms)
st=$(dpkg-query -W -f='${db:Status-Status}' containernetworking-plugins 2>/dev/null || true)
check_eq "the CNI plugin's Recommends came along (host-local IPAM)" installed "$st"
[ "$st" = installed ] ||
	grep -A2 -e '^Recommended packages' -e '^The following NEW' "$log" | sed 's/^/#   apt: /'

check_cond "ip is Debian's, unmodified (dpkg --verify iproute2)" \
	test -z "$(dpkg --verify iproute2 2>&1)"
check_cond "manual pages: metactl(8), ip-link-meta(8)" \
	test -s /usr/share/man/man8/metactl.8.gz -a -s /usr/share/man/man8/ip-link-meta.8.gz

# --- DKMS: built, signed and installed for the running kernel -----------------
check_eq "dkms status: built and installed for the running kernel" \
	"meta/$version, $kver, $arch: installed" "$(dkms status -m meta -k "$kver" 2>/dev/null)"
mod=$(modinfo -n meta 2>/dev/null || true)
check_cond "modprobe finds meta in updates/dkms ($mod)" \
	test "${mod#/lib/modules/"$kver"/updates/dkms/meta.ko}" != "$mod"
check_eq "its vermagic is the running kernel's" "$kver" "$(modinfo -F vermagic meta | cut -d' ' -f1)"
check_eq "its version is the package's" "$version" "$(modinfo -F version meta)"
check_eq "modinfo shows the MOK as signer" "$mok_cn" "$(modinfo -F signer meta)"
serial=$(openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -serial | cut -d= -f2)
check_eq "modinfo's sig_key is the MOK certificate's serial" "${serial^^}" \
	"$(modinfo -F sig_key meta | tr -d ':\n' | tr a-f A-F)"
check_ok "the signature verifies against the MOK certificate (openssl cms)" \
	module_sig_verify "$mod" /var/lib/dkms/mok.pub
cp "$mod" /tmp/tampered.ko.xz
xz -dc /tmp/tampered.ko.xz > /tmp/tampered.ko 2>/dev/null || cp "$mod" /tmp/tampered.ko
printf 'X' | dd of=/tmp/tampered.ko bs=1 seek=4096 conv=notrunc 2>/dev/null
check_fail "and fails for a modified copy (the check can fail)" "verification failure|bad signature" \
	module_sig_verify /tmp/tampered.ko /var/lib/dkms/mok.pub
common=$(headers_common "$kver")
check_eq "Kbuild probed the running kernel's headers ($common)" \
	"$(sh "/usr/src/meta-$version/driver/compat/probe.sh" "$common" | xargs -n1 | sort -u | xargs)" \
	"$(probe_flags "$kver")"

# --- Debian's ip with link_meta.so ----------------------------------------------
check_eq "link_meta.so belongs to meta-iproute2" "meta-iproute2: $iplib/link_meta.so" \
	"$(dpkg -S "$iplib/link_meta.so" 2>&1)"
check_cond "meta is not loaded before first use" bash -c "! grep -q '^meta ' /proc/modules"
setup_ns pod
# ip link add h0 type meta mode l3 scrub none peer name p0 netns POD, then
# addresses, up.
pair_up "$pod" h0 p0 10.99.1.1 10.99.1.2 mode l3 scrub none
check_cond "ip link add ... type meta autoloaded meta" grep -q '^meta ' /proc/modules
check_eq "the loaded module is the DKMS build" "$version" "$(cat /sys/module/meta/version)"
check_cond "ip -d link show: meta mode l3 type primary, both policies forward, scrub none" \
	grep -q "meta mode l3 type primary policy forward peer policy forward scrub none peer scrub default" \
	<<<"$(ip -d link show h0)"
check_eq "ip -d link show in the pod: the peer end" peer "$(link_attr "$pod" p0 type)"
check_ok "ip link set ... type meta peer blackhole" ip link set h0 type meta peer blackhole
check_eq "ip -d link show: peer policy blackhole" blackhole "$(link_attr "" h0 peer_policy)"
check_fail "blackholed: the pod cannot reach the host" "100% packet loss" pod_ping
check_fail "the pod cannot lift it (settings only through the primary)" \
	"only be changed through the primary" ip -n "$pod" link set p0 type meta forward
check_ok "ip link set ... type meta peer forward" ip link set h0 type meta peer forward
check_ok "forwarding: the pod reaches the host" pod_ping
check_ok "the host reaches the pod" ping -c 1 -W 2 10.99.1.2

# --- BPF programs from /usr/lib/meta/bpf ----------------------------------------
id=$(metactl attach h0 "$BPF_DIR/drop.bpf.o" --dir peer 2>&1) || true
check_cond "metactl attaches drop.bpf.o to the pod's egress (id '$id')" grep -qx '[0-9]*' <<<"$id"
check_eq "metactl list shows it" "$id" "$(progs "" h0 peer)"
check_fail "the program drops the pod's traffic" "100% packet loss" pod_ping
check_cond "ethtool -S counts the drop verdicts" test "$(ethstat "" h0 peer_drop)" -ge 1
check_ok "metactl detach" metactl detach h0 --dir peer --id "$id"
check_ok "ip link set ... type meta bpf (the plugin's loader)" \
	ip link set h0 type meta bpf "$BPF_DIR/drop.bpf.o" sec tc dir peer
id=$(progs "" h0 peer)
check_cond "ip -d link show lists it (peer_progs $id)" grep -q "peer_progs $id " <<<"$(ip -d link show h0) "
check_fail "it drops" "100% packet loss" pod_ping
check_ok "ip link set ... type meta detach dir peer all" ip link set h0 type meta detach dir peer all
check_ok "traffic flows again" pod_ping

# --- libmeta: header, pkg-config file, shared library ----------------------------
cat > /tmp/query.c <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <libmeta.h>

int main(int argc, char **argv)
{
	struct meta_link_info info;
	struct meta_nl *nl;
	int err;

	if (argc != 2)
		return 2;
	err = meta_nl_open(&nl);
	if (!err)
		err = meta_link_query(nl, argv[1], &info);
	if (err) {
		fprintf(stderr, "%s\n", meta_last_error());
		return 1;
	}
	printf("%s %d\n", info.primary ? "primary" : "peer", info.ifindex);
	meta_nl_close(nl);
	return 0;
}
EOF
check_eq "pkg-config --cflags --libs libmeta" "-I/usr/include/meta -lmeta" \
	"$(pkg-config --cflags --libs libmeta 2>&1 | xargs)"
# shellcheck disable=SC2046 # pkg-config prints several words
check_ok "a program builds against libmeta with pkg-config" \
	gcc -Wall -Wextra -o /tmp/query /tmp/query.c $(pkg-config --cflags --libs libmeta)
check_eq "and runs with the shared library" "primary $(ifindex "" h0)" "$(/tmp/query h0 2>&1)"
check_cond "linked dynamically to libmeta.so.0" grep -q 'libmeta.so.0 =>' <<<"$(ldd /tmp/query)"

# --- the CNI plugin from /usr/lib/cni with Debian's host-local --------------------
setup_ns cpod
conf=$(jq -c '.plugins[0] + {cniVersion: .cniVersion, name: .name}' \
	/usr/share/doc/meta-cni/examples/10-meta.conflist)
cni_env=(CNI_PATH=/usr/lib/cni CNI_CONTAINERID=install-test CNI_NETNS="/run/netns/$cpod" CNI_IFNAME=eth0)
res=$(env "${cni_env[@]}" CNI_COMMAND=ADD /usr/lib/cni/meta <<<"$conf" 2>>"$log") || true
addr=$(jq -r '.ips[0].address // empty' <<<"$res" 2>/dev/null)
check_cond "CNI ADD with the packaged example (10-meta.conflist) gives an address ($addr)" \
	grep -q '^10\.244\.1\.[0-9]*/24$' <<<"$addr"
check_eq "the pod's eth0 is the meta peer with that address" "peer ${addr}" \
	"$(link_attr "$cpod" eth0 type) $(ip -n "$cpod" -o -4 addr show dev eth0 | awk '{ print $4 }')"
check_ok "the host reaches the CNI pod" ping -c 1 -W 2 "${addr%/*}"
check_ok "CNI DEL" env "${cni_env[@]}" CNI_COMMAND=DEL /usr/lib/cni/meta <<<"$conf"
check_eq "DEL removed the pod's device" "" "$(ip -n "$cpod" -o link show dev eth0 2>/dev/null)"

# --- another kernel: its headers package triggers DKMS -----------------------------
while read -r k2 hdrpkg; do
	[ -n "$k2" ] || continue
	run_logged "apt-get install $hdrpkg" \
		apt-get -q -y --no-install-recommends install "$hdrpkg" || true
	check_eq "dkms autoinstall built and installed meta for $k2" \
		"meta/$version, $k2, $arch: installed" "$(dkms status -m meta -k "$k2" 2>/dev/null)"
	mod2=$(ls "/lib/modules/$k2/updates/dkms/"meta.ko* 2>/dev/null | head -n1)
	check_eq "its module is built for $k2" "$k2" \
		"$(modinfo -F vermagic "$mod2" 2>/dev/null | cut -d' ' -f1)"
	check_eq "and signed with the MOK" "$mok_cn" "$(modinfo -F signer "$mod2" 2>/dev/null)"
	common=$(headers_common "$k2")
	check_eq "Kbuild probed $k2's headers for that build" \
		"$(sh "/usr/src/meta-$version/driver/compat/probe.sh" "$common" | xargs -n1 | sort -u | xargs)" \
		"$(probe_flags "$k2")"
	check_cond "which differ from the running kernel's" \
		test "$(probe_flags "$k2")" != "$(probe_flags "$kver")"
done < "$disk/second-kernels"
[ -s "$disk/second-kernels" ] ||
	skip "another kernel's headers trigger DKMS" "no other kernel of this suite in selftests/vm/kernels"

# --- kernels DKMS must leave alone ---------------------------------------------------
for k in 4.19.0-27-amd64 7.3.0-1-amd64; do
	check_fail "dkms refuses $k (BUILD_EXCLUSIVE_KERNEL, 5.10 to 7.2)" "BUILD_EXCLUSIVE" \
		dkms build -m meta -v "$version" -k "$k"
done
# A kernel of the range whose configuration lacks BPF: DKMS reads its .config.
fake=6.1.0-0-nobpf
mkdir -p "/lib/modules/$fake/build"
grep -v '^CONFIG_BPF_SYSCALL=' "/lib/modules/$kver/build/.config" > "/lib/modules/$fake/build/.config"
check_fail "dkms refuses a kernel without CONFIG_BPF_SYSCALL (BUILD_EXCLUSIVE_CONFIG)" "BUILD_EXCLUSIVE" \
	dkms build -m meta -v "$version" -k "$fake"
rm -rf "/lib/modules/$fake" "/var/lib/dkms/meta/$version/$fake"

# --- removal --------------------------------------------------------------------
ip link del h0
check_ok "rmmod meta once the pairs are gone" rmmod meta
run_logged "apt-get purge ${pkgs[*]}" apt-get -q -y purge "${pkgs[@]}" || true
check_eq "dkms knows no meta any more" "" "$(dkms status -m meta 2>&1)"
check_eq "no meta.ko left under /lib/modules" "" \
	"$(find /lib/modules -name 'meta.ko*' 2>/dev/null)"
check_fail "modprobe no longer finds meta" "not found" modprobe -n meta
check_eq "no sources left in /usr/src" "" "$(ls -d /usr/src/meta-* 2>/dev/null)"
check_cond "link_meta.so is gone" test ! -e "$iplib/link_meta.so"
check_cond "the CNI plugin is gone" test ! -e /usr/lib/cni/meta
check_cond "metactl and libmeta are gone" test ! -e /usr/sbin/metactl -a ! -e /usr/lib/x86_64-linux-gnu/libmeta.so.0
check_fail "ip link add ... type meta mode l2 fails again (no plugin)" \
	"Garbage instead of arguments" ip link add m0 type meta mode l2 peer name m1
check_fail "even without meta's options: the kernel has no meta any more" \
	"Unknown device type" ip link add m0 type meta
