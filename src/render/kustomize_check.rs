//! Keeping a kustomize build inside its repository.
//!
//! kustomize follows `resources: [../../elsewhere]` to any directory that holds a kustomization,
//! and its load restrictor only guards plain files. A repository under review must not make a
//! preview read the runner's files, so before kustomize runs, every local path that a
//! kustomization of the build names (resources, components, patches, generator files, Helm
//! chart homes and value files...) is checked to stay inside the repository, following nested
//! kustomizations. Remote references (URLs) are left to kustomize; `file://` ones are refused,
//! since they name local repositories.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::error::RenderError;

/// The names kustomize looks for, in its order.
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What a checked kustomization tree needs from outside the repository.
#[derive(Debug, Default)]
pub struct KustomizeScan {
    /// Remote references (URLs kustomize fetches), as `file: field entry "reference"`.
    pub remote: Vec<String>,
    /// `helmCharts` entries, which kustomize inflates with `helm` under `--enable-helm`.
    pub helm_charts: Vec<HelmChartEntry>,
}

/// One `helmCharts` entry of a kustomization.
#[derive(Debug)]
pub struct HelmChartEntry {
    /// The kustomization file, relative to the repository.
    pub file: String,
    /// Where kustomize keeps the chart: `helmGlobals.chartHome`, default `charts`, resolved.
    pub chart_home: PathBuf,
    /// `name`.
    pub name: String,
    /// `version`, if any.
    pub version: Option<String>,
    /// `repo`, if any (kustomize pulls the chart from it when it is not in `chart_home`).
    pub repo: Option<String>,
}

impl HelmChartEntry {
    /// Whether the chart is already in its chart home, where kustomize looks before pulling:
    /// `<home>/<name>-<version>/<name>` for a versioned entry, `<home>/<name>` otherwise.
    pub fn is_local(&self) -> bool {
        let versioned = self.version.as_ref().map(|v| {
            self.chart_home
                .join(format!("{}-{v}", self.name))
                .join(&self.name)
        });
        versioned
            .iter()
            .chain(std::iter::once(&self.chart_home.join(&self.name)))
            .any(|p| p.join("Chart.yaml").is_file())
    }
}

/// Checks the kustomization in `dir` and every kustomization it reaches; `root` is the
/// repository's directory on disk. `label` names the source in messages. Returns what the tree
/// would fetch or inflate, for `--offline` and `--enable-helm`.
pub fn check_kustomization_tree(
    root: &Path,
    dir: &Path,
    label: &str,
) -> Result<KustomizeScan, RenderError> {
    let root = root.canonicalize().map_err(|e| RenderError::Io {
        what: format!("kustomization {label}"),
        source: e,
    })?;
    let mut seen = HashSet::new();
    let mut scan = KustomizeScan::default();
    check_dir(&root, dir, &mut seen, &mut scan)?;
    Ok(scan)
}

fn check_dir(
    root: &Path,
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    scan: &mut KustomizeScan,
) -> Result<(), RenderError> {
    let Some(file) = KUSTOMIZATION_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    else {
        return Ok(());
    };
    let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
    if !seen.insert(canonical) {
        return Ok(());
    }
    let shown = display(root, &file);
    let text = std::fs::read_to_string(&file).map_err(|e| RenderError::Io {
        what: format!("kustomization {shown}"),
        source: e,
    })?;
    let k: Value = crate::yaml::parse_one(&text)
        .map_err(|e| RenderError::Unsupported(format!("{shown}: invalid YAML: {e}")))?;
    for (field, reference) in references(&k) {
        let Some(target) = local_target(root, dir, &reference, &shown, &field)? else {
            scan.remote
                .push(format!("{shown}: {field} entry {reference:?}"));
            continue;
        };
        if target.is_dir() {
            check_dir(root, &target, seen, scan)?;
        } else if !target.exists() && matches!(field.as_str(), "resources" | "bases" | "components")
        {
            // kustomize reads a base that is not on disk as a remote one
            // (`github.com/org/repo//path?ref=v1` has no scheme) and fetches it.
            scan.remote.push(format!(
                "{shown}: {field} entry {reference:?} (not in the repository)"
            ));
        }
    }
    let home = k
        .pointer("/helmGlobals/chartHome")
        .and_then(Value::as_str)
        .unwrap_or("charts");
    for item in k
        .get("helmCharts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |f: &str| item.get(f).and_then(Value::as_str).map(String::from);
        scan.helm_charts.push(HelmChartEntry {
            file: shown.clone(),
            chart_home: dir.join(home),
            name: text("name").unwrap_or_default(),
            version: text("version").filter(|v| !v.is_empty()),
            repo: text("repo").filter(|r| !r.is_empty()),
        });
    }
    Ok(())
}

/// Every (field, path) a kustomization names that kustomize would read from disk.
fn references(k: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    for field in [
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
    ] {
        for s in strings(k.get(field)) {
            out.push((field.to_string(), s));
        }
    }
    // Inline patches hold YAML text (with newlines), not paths.
    for s in strings(k.get("patchesStrategicMerge")) {
        if !s.contains('\n') {
            out.push(("patchesStrategicMerge".into(), s));
        }
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        for item in k.get(field).and_then(Value::as_array).into_iter().flatten() {
            for s in strings(item.get("path")) {
                out.push((format!("{field}[].path"), s));
            }
        }
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        for item in k.get(field).and_then(Value::as_array).into_iter().flatten() {
            for s in strings(item.get("files")) {
                // `key=path` or `path`.
                let path = s.split_once('=').map_or(s.as_str(), |(_, p)| p);
                out.push((format!("{field}[].files"), path.to_string()));
            }
            for sub in ["envs", "env"] {
                for s in strings(item.get(sub)) {
                    out.push((format!("{field}[].{sub}"), s));
                }
            }
        }
    }
    for s in strings(k.pointer("/openapi/path")) {
        out.push(("openapi.path".into(), s));
    }
    for sub in ["chartHome", "configHome"] {
        for s in strings(k.get("helmGlobals").and_then(|g| g.get(sub))) {
            out.push((format!("helmGlobals.{sub}"), s));
        }
    }
    for item in k
        .get("helmCharts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for sub in ["valuesFile", "additionalValuesFiles"] {
            for s in strings(item.get(sub)) {
                out.push((format!("helmCharts[].{sub}"), s));
            }
        }
    }
    out
}

/// Where a reference points on disk, or None for a remote one; an error when it leaves the
/// repository.
fn local_target(
    root: &Path,
    dir: &Path,
    reference: &str,
    file: &str,
    field: &str,
) -> Result<Option<PathBuf>, RenderError> {
    let refuse = |why: &str| {
        RenderError::Unsupported(format!(
            "{file}: {field} entry {reference:?} {why}; kustomize may only read files inside the repository"
        ))
    };
    let lower = reference.to_ascii_lowercase();
    if lower.starts_with("file:") {
        return Err(refuse("names a local repository"));
    }
    if reference.contains("://") || lower.starts_with("git@") || lower.starts_with("ssh:") {
        return Ok(None);
    }
    if Path::new(reference).is_absolute() {
        return Err(refuse("is an absolute path"));
    }
    // Lexically first: `..` past the root is refused whether or not it exists out there.
    let mut lexical = dir.to_path_buf();
    for c in Path::new(reference).components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::Normal(n) => lexical.push(n),
            _ => {}
        }
    }
    let dir_canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let lexical_canonical = {
        let mut p = dir_canonical.clone();
        for c in Path::new(reference).components() {
            match c {
                Component::ParentDir => {
                    p.pop();
                }
                Component::Normal(n) => p.push(n),
                _ => {}
            }
        }
        p
    };
    if !lexical_canonical.starts_with(root) {
        return Err(refuse("leaves the repository"));
    }
    // Then physically: a symlink (work trees may hold them) must not lead out either.
    if let Ok(real) = lexical.canonicalize()
        && !real.starts_with(root)
    {
        return Err(refuse("leads outside the repository through a symlink"));
    }
    Ok(Some(lexical))
}

fn display(root: &Path, file: &Path) -> String {
    let canonical = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    canonical
        .strip_prefix(root)
        .unwrap_or(&canonical)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn bases_inside_pass_and_outside_fail() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        write(
            outer.path(),
            "outside/kustomization.yaml",
            "resources: [cm.yaml]\n",
        );
        write(&root, "base/kustomization.yaml", "resources: [cm.yaml]\n");
        write(
            &root,
            "app/kustomization.yaml",
            "resources:\n- ../base\n- https://github.com/org/repo//x?ref=v1\npatches:\n- path: p.yaml\n",
        );
        check_kustomization_tree(&root, &root.join("app"), "app").unwrap();

        write(
            &root,
            "evil/kustomization.yaml",
            "resources:\n- ../base\n- ../../outside\n",
        );
        let e = check_kustomization_tree(&root, &root.join("evil"), "evil")
            .unwrap_err()
            .to_string();
        assert!(e.contains("leaves the repository"), "{e}");
        assert!(e.contains("evil/kustomization.yaml"), "{e}");

        // A nested base that escapes is found too.
        write(&root, "mid/kustomization.yaml", "resources: [../evil]\n");
        assert!(check_kustomization_tree(&root, &root.join("mid"), "mid").is_err());
    }

    #[test]
    fn generator_files_absolute_paths_and_file_urls_are_refused() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        for (k, what) in [
            (
                "configMapGenerator:\n- name: x\n  files: [key=../../etc/passwd]\n",
                "leaves",
            ),
            ("resources: [/etc]\n", "absolute"),
            ("resources: ['file:///srv/other//x']\n", "local repository"),
            (
                "helmCharts:\n- name: c\n  valuesFile: ../../v.yaml\n",
                "leaves",
            ),
        ] {
            write(&root, "k/kustomization.yaml", k);
            let e = check_kustomization_tree(&root, &root.join("k"), "k")
                .unwrap_err()
                .to_string();
            assert!(e.contains(what), "{k}: {e}");
        }
    }

    #[test]
    fn remote_bases_and_helm_charts_are_reported() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        write(
            &root,
            "k/kustomization.yaml",
            "resources:\n- https://example.com/org/repo//base?ref=v1\n- github.com/org/repo/base?ref=v2\n- cm.yaml\nhelmCharts:\n- {name: demo, repo: https://charts.example.com, version: 1.0.0}\n",
        );
        write(&root, "k/cm.yaml", "{}\n");
        let scan = check_kustomization_tree(&root, &root.join("k"), "k").unwrap();
        assert_eq!(scan.remote.len(), 2, "{:?}", scan.remote);
        assert_eq!(scan.helm_charts.len(), 1);
        assert!(!scan.helm_charts[0].is_local());
        write(&root, "k/charts/demo-1.0.0/demo/Chart.yaml", "name: demo\n");
        let scan = check_kustomization_tree(&root, &root.join("k"), "k").unwrap();
        assert!(scan.helm_charts[0].is_local());
    }

    #[test]
    fn symlinks_out_of_the_repository_are_refused() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        write(
            outer.path(),
            "outside/kustomization.yaml",
            "resources: []\n",
        );
        write(&root, "k/kustomization.yaml", "resources: [../link]\n");
        std::os::unix::fs::symlink(outer.path().join("outside"), root.join("link")).unwrap();
        let e = check_kustomization_tree(&root, &root.join("k"), "k")
            .unwrap_err()
            .to_string();
        assert!(e.contains("symlink"), "{e}");
    }
}
