# Two commands for a fresh machine:
#   make run    install everything and open the dashboard on the bundled sample sessions
#   make test   install everything and run the test suite
UV := python3 -m uv

.PHONY: run test bootstrap browser lint

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	@$(UV) sync --frozen --quiet

run: bootstrap
	$(UV) run --frozen leanline dashboard

browser:
	@bash scripts/install-browser.sh

lint: bootstrap
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy

test: bootstrap browser lint
	$(UV) run --frozen pytest
