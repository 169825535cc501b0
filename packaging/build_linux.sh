#!/usr/bin/env bash
# Build the Linux artifacts from a clean checkout, in one command:
#   packaging/build_linux.sh          (or: make package)
# Produces, under dist/:
#   workbench/                               the one-folder frozen app (PyInstaller)
#   workbench-<version>-linux-<arch>.tar.gz  that folder, for any distribution (run workbench/workbench)
#   workbench_<version>_<debarch>.deb        Debian package (dpkg-deb): /opt/workbench, /usr/bin/workbench,
#                                            a .desktop entry and the icons
# Checks on the way: no CUDA libraries in the build, `workbench --version`, the frozen app's
# `--self-test` (headless), and the .deb's metadata. Prints the sizes and the build time.
# Environment: SKIP_SETUP=1 skips scripts/setup.sh (venv already set up); SKIP_SELFTEST=1 skips the self-test.
set -euo pipefail
cd "$(dirname "$0")/.."
t_start=$(date +%s)
[ "${SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh
PY=.venv/bin/python
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check "pyinstaller>=6.5"
VERSION=$("$PY" -c "import workbench; print(workbench.__version__)")
ARCH=$(uname -m)
DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

# A CPU-only build must not carry CUDA libraries: refuse a CUDA torch up front (its libraries are
# GBs, and torch cannot load without them once they are left out).
if [ "${ALLOW_CUDA:-0}" != 1 ] && "$PY" -c "import torch, sys; sys.exit(0 if torch.version.cuda else 1)"; then
  echo "error: this venv has the CUDA build of torch; build from a venv with the CPU wheel" >&2
  echo "       (.venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu)," >&2
  echo "       or set ALLOW_CUDA=1 to build a GPU variant on purpose." >&2
  exit 1
fi

echo "== building the user guide into resources/guide (shipped with the app)" >&2
"$PY" -m workbench.userguide --strict
echo "== freezing with PyInstaller (a few minutes)" >&2
rm -rf dist/workbench build/pyinstaller
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/workbench.spec
t_frozen=$(date +%s)

cuda=$(find dist/workbench \( -iname 'libcudnn*' -o -iname 'libcublas*' -o -iname 'libnccl*' -o -iname 'libcudart*' \
        -o -iname 'libnvrtc*' -o -iname 'libcufft*' -o -iname 'libcusparse*' -o -iname 'libtorch_cuda*' \) | head -5)
if [ -n "$cuda" ] && [ "${ALLOW_CUDA:-0}" != 1 ]; then
  echo "error: CUDA libraries in a CPU-only build:" >&2; echo "$cuda" >&2; exit 1
fi

echo "== checking the frozen app" >&2
got=$(dist/workbench/workbench --version)
[ "$got" = "workbench $VERSION" ] || { echo "error: --version printed '$got'" >&2; exit 1; }
if [ "${SKIP_SELFTEST:-0}" != 1 ]; then
  QT_QPA_PLATFORM=offscreen dist/workbench/workbench --self-test
fi

echo "== tar.gz" >&2
tarball="dist/workbench-$VERSION-linux-$ARCH.tar.gz"
tar -C dist -czf "$tarball" workbench

echo "== .deb" >&2
pkg=build/deb/workbench
rm -rf build/deb
mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" "$pkg/usr/share/doc/workbench"
cp -a dist/workbench "$pkg/opt/workbench"
ln -s /opt/workbench/workbench "$pkg/usr/bin/workbench"
install -m 644 packaging/debian/workbench.desktop "$pkg/usr/share/applications/workbench.desktop"
for s in 16 32 48 64 128 256 512; do
  install -D -m 644 "resources/icons/workbench-$s.png" "$pkg/usr/share/icons/hicolor/${s}x${s}/apps/workbench.png"
done
install -D -m 644 resources/icons/workbench.svg "$pkg/usr/share/icons/hicolor/scalable/apps/workbench.svg"
[ -f README.md ] && install -m 644 README.md "$pkg/usr/share/doc/workbench/README.md"
install -m 644 packaging/debian/copyright "$pkg/usr/share/doc/workbench/copyright"
# Files under /opt belong to root and are world-readable; the app writes nothing there.
chmod -R u+rwX,go+rX,go-w "$pkg"
size_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$DEBARCH/" -e "s/@SIZE@/$size_kb/" packaging/debian/control.in > "$pkg/DEBIAN/control"
install -m 755 packaging/debian/postinst packaging/debian/postrm "$pkg/DEBIAN/"
deb="dist/workbench_${VERSION}_${DEBARCH}.deb"
# gzip: every dpkg reads it, and xz took >10 min for the ~1 GB tree on our 2-core machines.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$pkg" "$deb" >/dev/null
dpkg-deb --info "$deb" >/dev/null  # the archive reads back
if command -v desktop-file-validate >/dev/null; then desktop-file-validate packaging/debian/workbench.desktop; fi
rm -rf build/deb

t_end=$(date +%s)
echo
echo "built workbench $VERSION in $((t_end - t_start)) s (PyInstaller $((t_frozen - t_start)) s):"
du -sh dist/workbench "$tarball" "$deb"
