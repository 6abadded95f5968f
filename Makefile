# The same targets as the npm scripts, for people and tools that reach for make.
.PHONY: install start test lint format typecheck migrate bench ci

install:
	npm ci

start:
	npm start

test:
	npm test

lint:
	npm run lint

format:
	npm run format

typecheck:
	npm run typecheck

# make migrate ARGS=status
migrate:
	npm run migrate -- $(ARGS)

bench:
	npm run bench

ci:
	bash .ci/run
