# The one entry point: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app volunteer_app
STAMP  := $(VENV)/.installed

.PHONY: run test lint format seed migrate translations i18n-update bench bench-checkin bench-reports lighthouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs the package with the dev extras (tests, linters) once per change of pyproject.toml.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d volunteer_app/translations

migrate: translations
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

# gunicorn's master also runs the task consumer of background jobs (gunicorn_conf.on_starting)
# and stops it with itself.
run: seed
	@$(FLASK) urls --port $(PORT)
	RUN_JOBS_CONSUMER=1 $(BIN)/gunicorn -c python:volunteer_app.gunicorn_conf --bind 0.0.0.0:$(PORT) --workers 2 \
		--access-logfile - 'volunteer_app:create_app()'

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract messages and update both catalogs; then translate the new entries in the .po files.
i18n-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --width 100 -o volunteer_app/translations/messages.pot .
	$(BIN)/pybabel update -i volunteer_app/translations/messages.pot -d volunteer_app/translations --width 100
	$(BIN)/python -m volunteer_app.i18n_catalog fill-en
	$(BIN)/python -m volunteer_app.i18n_catalog check || true

# `make bench` runs both benchmarks of docs/benchmarks.md: the check-in bursts, then the
# report dashboards and exports when DATABASE_URL names a database filled by
# bench/generate.py. CHECKIN_ARGS and BENCH_ARGS pass options to each.
bench: bench-checkin
	@if [ -n "$(DATABASE_URL)" ]; then $(MAKE) --no-print-directory bench-reports; \
	else echo "reports: skipped (set DATABASE_URL to a database filled by bench/generate.py)"; fi

bench-reports: $(STAMP)
	$(BIN)/python bench/reports_bench.py $(BENCH_ARGS)

# Lighthouse (mobile) on four pages; needs `npm install lighthouse` in bench/.lighthouse
# (see docs/benchmarks.md). Records the scores in docs/benchmarks.md.
lighthouse: translations
	$(BIN)/python bench/lighthouse.py --write

# Check-in bursts under gunicorn on fresh SQLite and PostgreSQL databases, beside the
# /healthz floor (docs/benchmarks.md); e.g. CHECKIN_ARGS="-n 500 --db sqlite".
bench-checkin: translations
	$(BIN)/python bench/checkin_burst.py $(CHECKIN_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
