#!/bin/sh
# Installs what isms-agent needs to build and test on Debian 12, using
# apt-get (through sudo when not root).  Packages already installed are
# not touched, so this is quick and works offline on a prepared machine.
set -eu
pkgs="build-essential autoconf automake pkg-config
libevent-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libyaml-dev
libjansson-dev libcmocka-dev zlib1g-dev libdeflate-dev
jq sqlite3 dconf-cli lz4 mandoc curl bsdutils openssl libcap2-bin"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
