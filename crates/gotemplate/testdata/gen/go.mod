module kubectl-gitops/gotemplate/testdata/gen

go 1.26

// Sprig and the libraries it calls, at the versions Argo CD v3.6.1's go.mod resolves them to,
// so the expected outputs are what an Argo CD ApplicationSet controller computes.
require (
	dario.cat/mergo v1.0.2 // indirect
	github.com/Masterminds/semver/v3 v3.4.0 // indirect
	github.com/Masterminds/sprig/v3 v3.3.0
	github.com/huandu/xstrings v1.5.0 // indirect
	github.com/spf13/cast v1.7.1 // indirect
)

require (
	github.com/Masterminds/goutils v1.1.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/mitchellh/copystructure v1.2.0 // indirect
	github.com/mitchellh/reflectwalk v1.0.2 // indirect
	github.com/shopspring/decimal v1.4.0 // indirect
	golang.org/x/crypto v0.26.0 // indirect
)
