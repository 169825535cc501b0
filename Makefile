# Quick start:  make run   (set up everything, start the app)
#               make test  (set up everything, run the whole test suite)
.PHONY: setup run test test-slow bench screenshots package
setup:
	@scripts/setup.sh
run: setup
	.venv/bin/workbench
test: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q
test-slow: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -m slow
package:
	packaging/build_linux.sh
bench: setup
	.venv/bin/python -m pip install -q -e ".[bench]"
	@for b in benchmarks/*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done
screenshots: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
