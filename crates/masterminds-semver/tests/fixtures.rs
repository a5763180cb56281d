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

/// What Go recorded for a result: the value, or the error message prefixed with `error: `.
fn go_answer(case: &Json, value_key: &str) -> String {
    match case["error"].as_str() {
        Some(e) => format!("error: {e}"),
        None => case[value_key].as_str().unwrap().to_string(),
    }
}

#[test]
fn versions_parse_as_in_go() {
    let file = fixtures();
    let mut failures = Vec::new();
    for case in file["versions"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let ours = match Version::parse(text) {
            Ok(v) => v.canonical(),
            Err(e) => format!("error: {e}"),
        };
        let go = go_answer(case, "canonical");
        if ours != go {
            failures.push(format!("{text:?}: go {go:?}, ours {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn versions_order_as_in_go() {
    let file = fixtures();
    let ordered: Vec<Version> = texts(&file["ordered"])
        .into_iter()
        .map(|t| Version::parse(t).unwrap())
        .collect();
    let mut failures = Vec::new();
    for (a, row) in ordered.iter().zip(texts(&file["order"])) {
        let ours: String = ordered
            .iter()
            .map(|b| match a.cmp(b) {
                Ordering::Less => '<',
                Ordering::Equal => '=',
                Ordering::Greater => '>',
            })
            .collect();
        if ours != row {
            failures.push(format!("{a}: go {row}, ours {ours}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn constraints_check_as_in_go() {
    let file = fixtures();
    let checked: Vec<Version> = texts(&file["checked"])
        .into_iter()
        .map(|t| Version::parse(t).unwrap())
        .collect();
    let mut failures = Vec::new();
    for case in file["constraints"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let ours = match Constraints::parse(text) {
            Ok(c) => checked
                .iter()
                .map(|v| if c.check(v) { 'T' } else { 'F' })
                .collect(),
            Err(e) => format!("error: {e}"),
        };
        let go = go_answer(case, "admits");
        if ours != go {
            failures.push(format!("{text:?}: go {go:?}, ours {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
