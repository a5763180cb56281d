#!/usr/bin/env python3
"""Writes a generated app-of-apps repo: a root app over `apps/`, N Application manifests, and
per app a directory of M objects (ConfigMaps, Services, Deployments), then commits it.

usage: gen-tree.py DIR [APPS] [OBJECTS_PER_APP] [NAMESPACE_PREFIX]

The apps deploy into 50 namespaces NAMESPACE_PREFIX0..49 (default prefix `ns-`).
"""
import os
import subprocess
import sys

root = sys.argv[1]
apps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
per_app = int(sys.argv[3]) if len(sys.argv) > 3 else 20
ns_prefix = sys.argv[4] if len(sys.argv) > 4 else "ns-"
url = "https://git.example.com/bench/apps.git"

def app(name, path, ns):
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {url}
    targetRevision: main
    path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: {ns}
"""

def objects(i, count):
    docs = []
    for j in range(count):
        kind = j % 4
        name = f"obj-{i:04d}-{j:02d}"
        if kind == 0:
            docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}, team: team-{i % 17}}}
spec:
  replicas: 0  # no pods: the benchmarks measure API work, not the test cluster's fake node
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: main
        image: registry.example.com/svc-{i}:1.{j}.0
        ports: [{{containerPort: 8080}}]
        resources:
          requests: {{cpu: 10m, memory: 16Mi}}
""")
        elif kind == 1:
            docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
        else:
            docs.append(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  setting-a: "value {i} {j}"
  setting-b: "on"
  mode: "0644"
""")
    return "---\n".join(docs)

os.makedirs(os.path.join(root, "apps"), exist_ok=True)
with open(os.path.join(root, "root.yaml"), "w") as f:
    f.write(app("root", "apps", "argocd"))
for i in range(apps):
    name = f"app-{i:04d}"
    with open(os.path.join(root, "apps", f"{name}.yaml"), "w") as f:
        f.write(app(name, f"svc/{name}", f"{ns_prefix}{i % 50}"))
    d = os.path.join(root, "svc", name)
    os.makedirs(d, exist_ok=True)
    half = per_app // 2
    with open(os.path.join(d, "a.yaml"), "w") as f:
        f.write(objects(i, half))
    with open(os.path.join(d, "b.yaml"), "w") as f:
        f.write(objects(i + 100000, per_app - half))

def git(*args):
    subprocess.run(["git", *args], cwd=root, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "bench",
                        "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
                        "GIT_COMMITTER_EMAIL": "bench@example.com"})

git("init", "-q", "-b", "main")
git("remote", "add", "origin", url)
git("add", "-A")
git("commit", "-q", "-m", "generated tree")
