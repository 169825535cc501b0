#!/usr/bin/env bash
# Build the Linux artifacts from a clean checkout, in one command:
#   packaging/build_linux.sh          (or: make package)
# Produces, under dist/:
#   workbench/                               the one-folder frozen app (PyInstaller)
#   workbench-<version>-linux-<arch>.tar.gz  that folder, for any distribution
#   workbench_<version>_<debarch>.deb        Debian package: /opt/workbench, /usr/bin/workbench,
#                                            a .desktop entry and the icon
# Then runs the frozen app's self-test and prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/setup.sh
PY=.venv/bin/python
$PY -m pip install -q --disable-pip-version-check "pyinstaller>=6.5"
VERSION=$($PY -c "import workbench; print(workbench.__version__)")
ARCH=$(uname -m)
DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

rm -rf dist/workbench build/pyinstaller
$PY -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/workbench.spec

# A CPU-only build must not carry CUDA libraries.
cuda=$(find dist/workbench \( -iname 'libcudnn*' -o -iname 'libcublas*' -o -iname 'libnccl*' -o -iname 'libcudart*' -o -iname 'libnvrtc*' \) | head -3)
if [ -n "$cuda" ] && ! $PY -c "import torch,sys; sys.exit(0 if torch.version.cuda else 1)"; then
  echo "error: CUDA libraries in a CPU-only build: $cuda" >&2; exit 1
fi

echo "self-test of the frozen app:" >&2
QT_QPA_PLATFORM=offscreen dist/workbench/workbench --self-test

tarball="dist/workbench-$VERSION-linux-$ARCH.tar.gz"
tar -C dist -czf "$tarball" workbench

pkg=build/deb/workbench
rm -rf build/deb && mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
  "$pkg/usr/share/icons/hicolor/256x256/apps" "$pkg/usr/share/icons/hicolor/scalable/apps" "$pkg/usr/share/doc/workbench"
cp -a dist/workbench "$pkg/opt/workbench"
ln -s /opt/workbench/workbench "$pkg/usr/bin/workbench"
install -m 644 packaging/debian/workbench.desktop "$pkg/usr/share/applications/workbench.desktop"
install -m 644 resources/icons/workbench-256.png "$pkg/usr/share/icons/hicolor/256x256/apps/workbench.png"
install -m 644 resources/icons/workbench.svg "$pkg/usr/share/icons/hicolor/scalable/apps/workbench.svg"
install -m 644 README.md "$pkg/usr/share/doc/workbench/README.md"
size_kb=$(du -sk "$pkg" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$DEBARCH/" -e "s/@SIZE@/$size_kb/" packaging/debian/control.in > "$pkg/DEBIAN/control"
deb="dist/workbench_${VERSION}_${DEBARCH}.deb"
dpkg-deb --root-owner-group -Zxz -z3 --build "$pkg" "$deb" >/dev/null
command -v desktop-file-validate >/dev/null && desktop-file-validate packaging/debian/workbench.desktop || true

echo
echo "artifacts:"
du -sh dist/workbench "$tarball" "$deb"
