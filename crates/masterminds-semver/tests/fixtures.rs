//! Compares the crate with Go: `testdata/cases.json` holds what Masterminds/semver v3.4.0
//! answered for each version and constraint of `testdata/gen/main.go` (regenerate it with
//! `testdata/gen/regen.sh`).

use std::cmp::Ordering;

use masterminds_semver::{Constraints, Version};
use serde_json::Value as Json;

fn fixtures() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn texts(list: &Json) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

fn versions(list: &Json) -> Vec<Version> {
    texts(list)
        .into_iter()
        .map(|t| Version::parse(t).unwrap())
        .collect()
}

/// Each case of `list`: its text and Go's answer, the value under `key` or `error: ` and the
/// message.
fn cases<'a>(list: &'a Json, key: &'a str) -> impl Iterator<Item = (&'a str, String)> {
    list.as_array().unwrap().iter().map(move |case| {
        let go = match case["error"].as_str() {
            Some(e) => format!("error: {e}"),
            None => case[key].as_str().unwrap().to_string(),
        };
        (case["text"].as_str().unwrap(), go)
    })
}

/// Fails listing every row (what, Go's answer, ours) where the two differ.
fn assert_agree(rows: impl IntoIterator<Item = (String, String, String)>) {
    let failures: Vec<String> = rows
        .into_iter()
        .filter(|(_, go, ours)| go != ours)
        .map(|(what, go, ours)| format!("{what}: go {go:?}, ours {ours:?}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn versions_parse_as_in_go() {
    let file = fixtures();
    assert_agree(cases(&file["versions"], "canonical").map(|(text, go)| {
        let ours = match Version::parse(text) {
            Ok(v) => v.canonical(),
            Err(e) => format!("error: {e}"),
        };
        (format!("{text:?}"), go, ours)
    }));
}

#[test]
fn versions_order_as_in_go() {
    let file = fixtures();
    let ordered = versions(&file["ordered"]);
    assert_agree(ordered.iter().zip(texts(&file["order"])).map(|(a, row)| {
        let ours = ordered
            .iter()
            .map(|b| match a.cmp(b) {
                Ordering::Less => '<',
                Ordering::Equal => '=',
                Ordering::Greater => '>',
            })
            .collect();
        (a.to_string(), row.to_string(), ours)
    }));
}

#[test]
fn constraints_check_as_in_go() {
    let file = fixtures();
    let checked = versions(&file["checked"]);
    assert_agree(cases(&file["constraints"], "admits").map(|(text, go)| {
        let ours = match Constraints::parse(text) {
            Ok(c) => checked
                .iter()
                .map(|v| if c.check(v) { 'T' } else { 'F' })
                .collect(),
            Err(e) => format!("error: {e}"),
        };
        (format!("{text:?}"), go, ours)
    }));
}
