module kgitops.invalid/krew-tool

go 1.26.8

require sigs.k8s.io/krew v0.5.0 // indirect
