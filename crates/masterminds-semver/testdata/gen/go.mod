module kubectl-gitops/masterminds-semver/testdata/gen

go 1.26

// The version Argo CD v3.6.1's go.mod resolves (and Sprig's semver functions there use).
require github.com/Masterminds/semver/v3 v3.4.0
