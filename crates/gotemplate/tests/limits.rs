//! Every way a template could make the work grow is stopped by a limit, with an error that
//! names it, and quickly: these templates come from people the renderer does not trust.

use std::time::{Duration, Instant};

use gotemplate::{Env, FuncMap, LimitError, Limits, Template, Value};
use serde_json::json;

fn run_with(env: &Env, tmpl: &str) -> Result<String, gotemplate::Error> {
    let t = Template::parse(tmpl, env)?;
    t.execute(&Value::from_json(&json!({"s": "x"})), env, &env.budget())
}

/// Runs `tmpl` and returns the limit it hit, checking it took well under a second.
fn limit_of(tmpl: &str) -> LimitError {
    let env = Env::new(FuncMap::new());
    let start = Instant::now();
    let err = run_with(&env, tmpl).expect_err(tmpl);
    // Generous for a loaded CI machine and a debug build; unbounded work would take hours.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{tmpl} took {:?}",
        start.elapsed()
    );
    let limit = err.limit().cloned();
    assert!(
        err.to_string()
            .contains(&limit.clone().map(|l| l.to_string()).unwrap_or_default()),
        "{err}"
    );
    limit.unwrap_or_else(|| panic!("{tmpl}: not a limit error: {err}"))
}

#[test]
fn output_is_capped() {
    assert_eq!(
        limit_of(r#"{{range until 2000}}{{repeat 1000 "x"}}{{end}}"#),
        LimitError::Output(1 << 20)
    );
    assert_eq!(
        limit_of(r#"{{$s := repeat 900000 "x"}}{{$s}}{{$s}}"#),
        LimitError::Output(1 << 20)
    );
}

#[test]
fn printf_widths_and_precisions_are_capped() {
    assert_eq!(
        limit_of(r#"{{printf "%999999d" 1}}"#),
        LimitError::PrintfWidth {
            got: 999_999,
            limit: 10_000
        }
    );
    assert!(matches!(
        limit_of(r#"{{printf "%.*f" 100000 1.5}}"#),
        LimitError::PrintfWidth { .. }
    ));
    // Past a million Go itself refuses the width; no limit is needed to stay small.
    let env = Env::new(FuncMap::new());
    assert_eq!(
        run_with(&env, r#"{{printf "%999999999d" 1}}"#).unwrap(),
        "%!(NOVERB)%!(EXTRA int=1)"
    );
}

#[test]
fn strings_built_by_functions_are_capped_before_they_are_built() {
    for tmpl in [
        r#"{{repeat 999999999 "abc"}}"#,
        r#"{{indent 999999 (repeat 1000 "\n")}}"#,
        r#"{{replace "" (repeat 1000 "y") (repeat 100000 "x")}}"#,
        r#"{{regexReplaceAll "" (repeat 100000 "x") (repeat 100 "y")}}"#,
        r#"{{$l := list}}{{$s := repeat 100000 "x"}}{{range until 20}}{{$l = append $l $s}}{{end}}{{join "" $l}}"#,
        r#"{{$s := repeat 600000 "x"}}{{print $s $s}}"#,
        r#"{{$s := repeat 600000 "x"}}{{cat $s $s}}"#,
        r#"{{$s := repeat 600000 "x"}}{{list $s $s | toJson}}"#,
        r#"{{wrapWith 1 (repeat 100000 "-") (repeat 100 "x")}}"#,
        r#"{{randAlphaNum 999999999}}"#,
    ] {
        assert_eq!(limit_of(tmpl), LimitError::String(1 << 20), "{tmpl}");
    }
}

#[test]
fn lists_are_capped_before_they_are_built() {
    for tmpl in [
        "{{until 999999999}}",
        "{{untilStep 0 999999999999 1}}",
        "{{seq 999999999}}",
        r#"{{splitList "" (repeat 200000 "x")}}"#,
        r#"{{regexFindAll "x" (repeat 200000 "x") -1}}"#,
    ] {
        assert_eq!(limit_of(tmpl), LimitError::List(100_000), "{tmpl}");
    }
}

#[test]
fn range_iterations_are_capped() {
    assert_eq!(
        limit_of("{{range until 1000}}{{range until 1000}}{{end}}{{end}}"),
        LimitError::RangeIterations(100_000)
    );
    assert_eq!(
        limit_of("{{range 999999999999}}{{end}}"),
        LimitError::RangeIterations(100_000)
    );
}

#[test]
fn nesting_is_capped_when_parsing_and_running() {
    let deep_parens = format!("{{{{{}1{}}}}}", "(".repeat(500), ")".repeat(500));
    assert_eq!(limit_of(&deep_parens), LimitError::Depth(100));
    let deep_ifs = format!("{}x{}", "{{if 1}}".repeat(500), "{{end}}".repeat(500));
    assert_eq!(limit_of(&deep_ifs), LimitError::Depth(100));
    // Each template calls itself: the calls nest without bound.
    assert_eq!(
        limit_of(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#),
        LimitError::Depth(100)
    );
    // Within the parse limit in each template, but nested through calls.
    let mut t = String::new();
    for i in 0..60 {
        t.push_str(&format!(
            r#"{{{{define "t{i}"}}}}{{{{if 1}}}}{{{{template "t{}" .}}}}{{{{end}}}}{{{{end}}}}"#,
            i + 1
        ));
    }
    t.push_str(r#"{{define "t60"}}x{{end}}{{template "t0" .}}"#);
    assert_eq!(limit_of(&t), LimitError::Depth(100));
}

#[test]
fn a_map_that_contains_itself_cannot_be_printed_forever() {
    let err = limit_of(r#"{{$m := dict}}{{$_ := set $m "a" $m}}{{$_ := set $m "b" $m}}{{$m}}"#);
    assert_eq!(err, LimitError::ValueDepth(100));
    let env = Env::new(FuncMap::new());
    let err = run_with(
        &env,
        r#"{{$m := dict}}{{$_ := set $m "a" $m}}{{toJson $m}}|{{deepEqual $m $m}}"#,
    );
    // Go's encoder reports the cycle, which toJson turns into ""; the comparison stops at the
    // depth limit.
    assert_eq!(err.unwrap(), "|true");
}

#[test]
fn the_step_and_time_budget_is_shared_by_executions() {
    let limits = Limits {
        max_steps: 10_000,
        ..Limits::default()
    };
    let env = Env {
        limits: limits.clone(),
        ..Env::new(FuncMap::new())
    };
    let budget = env.budget();
    let t = Template::parse("{{range until 100}}{{.}}{{end}}", &env).unwrap();
    let mut runs = 0;
    let err = loop {
        match t.execute(&Value::Nil, &env, &budget) {
            Ok(_) => runs += 1,
            Err(e) => break e,
        }
        assert!(runs < 1000, "the budget never ran out");
    };
    assert!(runs > 10, "{runs}");
    assert_eq!(err.limit(), Some(&LimitError::Steps(10_000)));

    let env = Env {
        limits: Limits {
            max_time: Duration::from_millis(50),
            max_steps: u64::MAX,
            max_range_iterations: u64::MAX,
            ..Limits::default()
        },
        ..Env::new(FuncMap::new())
    };
    let start = Instant::now();
    let err = run_with(&env, "{{range 999999999999}}{{end}}").unwrap_err();
    assert_eq!(
        err.limit(),
        Some(&LimitError::Time(Duration::from_millis(50)))
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn total_bytes_are_capped_across_executions() {
    let env = Env {
        limits: Limits {
            max_total_bytes: 1 << 20,
            ..Limits::default()
        },
        ..Env::new(FuncMap::new())
    };
    let budget = env.budget();
    let t = Template::parse(r#"{{repeat 100000 "x"}}"#, &env).unwrap();
    let err = (0..100)
        .find_map(|_| t.execute(&Value::Nil, &env, &budget).err())
        .expect("the total never ran out");
    assert_eq!(err.limit(), Some(&LimitError::TotalBytes(1 << 20)));
}

#[test]
fn quadratic_functions_pay_for_their_work() {
    assert!(matches!(
        limit_of("{{uniq (until 100000) | len}}"),
        LimitError::Steps(_)
    ));
}
