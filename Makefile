# The same targets as the npm scripts, for people and tools that reach for make.
.PHONY: install start test test-faults lint format typecheck migrate bench bench-endpoints bench-operator bench-http2 synth kube-fake control-plane-up control-plane-down operator mutation mutation-api ci

install:
	npm ci

start:
	npm start

test:
	npm test

test-faults:
	npm run test:faults

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

bench-endpoints:
	npm run bench:endpoints

bench-operator:
	npm run bench:operator

bench-http2:
	npm run bench:http2

# Regenerates charts/dist/ (the CRD, the operator install, the example and its manifests).
synth:
	npm run synth

# The fake kube-apiserver on its own: make kube-fake PORT=8080
kube-fake:
	npm run kube-fake -w operator -- --port $(or $(PORT),0)

# The real control plane the operator's tests run against (built from Go modules on first use).
control-plane-up:
	npm run control-plane -- up

control-plane-down:
	npm run control-plane -- down

# The operator, against the cluster KUBECONFIG names: make operator (see the README's "Try it").
operator:
	npm start -w operator

# Mutation testing of the operator's decision modules (slow: not part of test or ci). It fails under
# the score in operator/stryker.config.json. Narrow it: make mutation MUTATE=src/queue/work-queue.ts
mutation:
	npm run mutation -w operator $(if $(MUTATE),-- --mutate $(MUTATE))

# The same for the API's rate-limit and password policies (api/stryker.config.json), a few minutes:
# make mutation-api MUTATE=src/rate-limits/login.ts
mutation-api:
	npm run mutation -w api $(if $(MUTATE),-- --mutate $(MUTATE))

ci:
	bash .ci/run
