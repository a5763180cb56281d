//! Go `text/template` semantics the interpreter must keep, case by case (the Go-generated
//! fixtures in `fixtures.rs` cover the function library; these pin the executor).

use gotemplate::{Env, FuncMap, MissingKey, Template, Value};
use serde_json::json;

fn render(tmpl: &str, data: serde_json::Value) -> Result<String, String> {
    render_opts(tmpl, data, MissingKey::Invalid)
}

fn render_opts(tmpl: &str, data: serde_json::Value, mk: MissingKey) -> Result<String, String> {
    let mut env = Env::new(FuncMap::new());
    env.missing_key = mk;
    let t = Template::parse(tmpl, &env).map_err(|e| e.to_string())?;
    t.execute(&Value::from_json(&data), &env, &env.budget())
        .map_err(|e| e.to_string())
}

fn parse_err(tmpl: &str) -> String {
    match Template::parse(tmpl, &Env::new(FuncMap::new())) {
        Ok(_) => panic!("{tmpl} parsed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn fields_pipelines_and_missing_keys() {
    let data = json!({"path": {"basename": "Web_App", "segments": ["apps", "web"]}, "n": 3});
    assert_eq!(
        render(
            "{{.path.basename | lower}}-{{index .path.segments 1}}",
            data.clone()
        )
        .unwrap(),
        "web_app-web"
    );
    assert_eq!(
        render("{{.nope}}|{{.nope.deeper}}", data.clone()).unwrap(),
        "<no value>|<no value>"
    );
    assert_eq!(render("{{.n}}", json!({"n": 1000000})).unwrap(), "1e+06");
}

#[test]
fn missingkey_error_fails_on_missing_keys() {
    let err = render_opts("{{.cluster}}", json!({"name": "a"}), MissingKey::Error).unwrap_err();
    assert!(
        err.contains("map has no entry for key \"cluster\""),
        "{err}"
    );
    assert_eq!(
        render_opts("{{.name}}", json!({"name": "a"}), MissingKey::Error).unwrap(),
        "a"
    );
}

#[test]
fn control_structures_and_variables() {
    let data =
        json!({"envs": ["dev", "prod"], "m": {"b": 2, "a": 1}, "flag": false, "w": {"x": "y"}});
    assert_eq!(
        render(
            "{{range $i, $e := .envs}}{{if $i}},{{end}}{{$i}}={{$e}}{{end}}",
            data.clone()
        )
        .unwrap(),
        "0=dev,1=prod"
    );
    assert_eq!(
        render("{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}", data.clone()).unwrap(),
        "a1b2"
    );
    assert_eq!(
        render(
            "{{if .flag}}T{{else if .envs}}E{{else}}F{{end}}",
            data.clone()
        )
        .unwrap(),
        "E"
    );
    assert_eq!(
        render(
            "{{with .w}}{{.x}}{{end}}{{with .none}}X{{else}}none{{end}}",
            data.clone()
        )
        .unwrap(),
        "ynone"
    );
    assert_eq!(
        render(
            "{{range .envs}}{{if eq . \"prod\"}}{{break}}{{end}}{{.}}{{end}}",
            data.clone()
        )
        .unwrap(),
        "dev"
    );
    assert_eq!(
        render(
            "{{$x := \"a\"}}{{if true}}{{$x = \"b\"}}{{end}}{{$x}}",
            data.clone()
        )
        .unwrap(),
        "b"
    );
    assert_eq!(
        render("{{range .none}}x{{else}}empty{{end}}", data).unwrap(),
        "empty"
    );
}

#[test]
fn builtins_follow_go() {
    let data = json!({"a": "x", "n": 2, "l": [1, 2, 3]});
    assert_eq!(
        render("{{and .a .n}} {{or .none \"d\"}} {{not .a}}", data.clone()).unwrap(),
        "2 d false"
    );
    assert_eq!(
        render("{{len .l}} {{len .a}}", data.clone()).unwrap(),
        "3 1"
    );
    assert_eq!(
        render("{{eq .a \"y\" \"x\"}} {{ne .a \"x\"}}", data.clone()).unwrap(),
        "true false"
    );
    assert_eq!(
        render("{{printf \"%s-%v\" .a .n}}", data.clone()).unwrap(),
        "x-2"
    );
    assert_eq!(
        render("{{lt 1 2}} {{ge .n 2.0}}", data.clone()).unwrap(),
        "true true"
    );
    // Go refuses to compare an int literal with a float64 parameter.
    let err = render("{{eq .n 2}}", data.clone()).unwrap_err();
    assert!(err.contains("incompatible types for comparison"), "{err}");
    assert_eq!(render("{{eq .missing \"x\"}}", data).unwrap(), "false");
}

#[test]
fn typed_arguments_are_checked_like_go() {
    let err = render("{{trunc .n .s}}", json!({"n": 2, "s": "abc"})).unwrap_err();
    assert!(err.contains("expected int; got float64"), "{err}");
    assert_eq!(render("{{trunc 2 .s}}", json!({"s": "abc"})).unwrap(), "ab");
    let err = render("{{lower .missing}}", json!({})).unwrap_err();
    assert!(err.contains("invalid value; expected string"), "{err}");
}

#[test]
fn sprig_string_functions() {
    let data = json!({"s": "  Hello World  ", "name": "My_App.v2", "csv": "a,b,c"});
    let cases = [
        ("{{.s | trim | lower}}", "hello world"),
        ("{{.s | trim | upper}}", "HELLO WORLD"),
        ("{{\"hello world\" | title}}", "Hello World"),
        ("{{trimPrefix \"My_\" .name}}", "App.v2"),
        ("{{trimSuffix \".v2\" .name}}", "My_App"),
        ("{{replace \"_\" \"-\" .name}}", "My-App.v2"),
        (
            "{{.name | quote}} {{.name | squote}}",
            "\"My_App.v2\" 'My_App.v2'",
        ),
        (
            "{{hasPrefix \"My\" .name}} {{hasSuffix \"v3\" .name}} {{contains \"App\" .name}}",
            "true false true",
        ),
        ("{{splitList \",\" .csv | join \"+\"}}", "a+b+c"),
        ("{{\"HTTPServer\" | kebabcase}}", "http-server"),
        (
            "{{regexReplaceAll \"([a-z]+)_([a-z]+)\" \"foo_bar\" \"${2}-$1\"}}",
            "bar-foo",
        ),
        ("{{trunc 4 \"abcdef\"}}", "abcd"),
        ("{{\"x\" | b64enc}} {{\"eA==\" | b64dec}}", "eA== x"),
        (
            "{{sha256sum \"abc\"}}",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("{{\"5\" | int | add 2}}", "7"),
        ("{{toString 1.5}}", "1.5"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(render(tmpl, data.clone()).unwrap(), want, "{tmpl}");
    }
}

#[test]
fn sprig_collection_and_default_functions() {
    let data = json!({"empty": "", "full": "v", "m": {"k": "v"}, "l": ["b", "a"]});
    let cases = [
        (
            "{{.empty | default \"d\"}} {{.full | default \"d\"}} {{.none | default \"d\"}}",
            "d v d",
        ),
        ("{{empty .empty}} {{empty .full}}", "true false"),
        ("{{coalesce .empty .none .full}}", "v"),
        ("{{ternary \"y\" \"n\" (eq .full \"v\")}}", "y"),
        ("{{list 1 \"a\" | toJson}}", "[1,\"a\"]"),
        (
            "{{$d := dict \"a\" 1 \"b\" \"x\"}}{{get $d \"b\"}}{{get $d \"z\"}}|{{hasKey $d \"a\"}}",
            "x|true",
        ),
        ("{{$_ := set .m \"n\" \"w\"}}{{.m.n}}", "w"),
        ("{{.m | toJson}}", "{\"k\":\"v\"}"),
        ("{{.l | sortAlpha | join \",\"}}", "a,b"),
        ("{{keys .m | join \",\"}}", "k"),
    ];
    for (tmpl, want) in cases {
        assert_eq!(render(tmpl, data.clone()).unwrap(), want, "{tmpl}");
    }
}

#[test]
fn parse_errors_are_reported() {
    assert_eq!(parse_err("{{if .a}}"), "template: :1: unexpected EOF");
    assert_eq!(parse_err("{{end}}"), "template: :1: unexpected {{end}}");
    assert_eq!(
        parse_err("{{ .a | \"x\" }}"),
        "template: :1: non executable command in pipeline stage 2"
    );
}

#[test]
fn options_are_validated() {
    assert_eq!(
        MissingKey::from_option("missingkey=error"),
        Ok(MissingKey::Error)
    );
    assert!(MissingKey::from_option("bogus").is_err());
}

fn argo_data() -> serde_json::Value {
    json!({
        "path": {"basename": "web", "segments": ["apps", "web"], "path": "apps/web"},
        "values": {"x": "vx", "nested": {"deep": "d"}},
        "env": "prod", "list": ["a", "b"], "n": 3, "name": "My App",
        "m": {"a": {"b": 1}, "l": ["x", "y"]}, "t": true, "null": null, "blank": ""
    })
}

fn check(cases: &[(&str, &str)]) {
    for (tmpl, want) in cases {
        assert_eq!(render(tmpl, argo_data()).unwrap(), *want, "{tmpl}");
    }
}

#[test]
fn argo_style_fields_defaults_and_control_flow() {
    check(&[
        ("{{.path.basename}}|{{index .path.segments 1}}", "web|web"),
        (
            "{{ .values.x | default \"y\" }}|{{ .values.z | default \"y\" }}|{{ .nope.z | default \"y\" }}",
            "vx|y|y",
        ),
        (
            "x\n  {{- if eq .env \"prod\" }}\n  P\n  {{- else }}\n  D\n  {{- end }}\ny",
            "x\n  P\ny",
        ),
        (
            "{{if .t -}}\n  a\n{{- end}}|{{ \"a\" }}{{- \"b\" -}} {{ \"c\" }}",
            "a|abc",
        ),
        (
            "{{ range $i, $e := .list }}{{$i}}:{{$e}},{{ end }}",
            "0:a,1:b,",
        ),
        (
            "{{ range $i, $e := .list }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $e }}{{ end }}",
            "b",
        ),
        (
            "{{ with .values.nested }}{{ .deep }}{{ end }}{{ with .values }}{{ .x }}{{ $.env }}{{ end }}",
            "dvxprod",
        ),
        (
            "{{ with .nope }}a{{ else with .values }}{{ .x }}{{ end }}",
            "vx",
        ),
        (
            "{{ $x := .values.x }}{{ range .list }}{{ $x }}{{ $.env }}{{ . }}{{ end }}",
            "vxprodavxprodb",
        ),
        (
            "{{ $i := 0 }}{{ range .list }}{{ $i = add $i 1 }}{{ end }}{{ $i }}",
            "2",
        ),
        (
            "{{ .m.a.b }}|{{ $.m.a.b }}|{{ (index .m \"a\").b }}",
            "1|1|1",
        ),
        (
            "{{ .null }}|{{ .nope }}|{{ index .m \"zz\" }}",
            "<no value>|<no value>|<no value>",
        ),
    ]);
    // Variables end with the control structure that declared them.
    assert!(
        parse_err("{{ range .list }}{{ $y := . }}{{ end }}{{ $y }}").contains("undefined variable")
    );
    let err = render("{{ .null.x }}", argo_data()).unwrap_err();
    assert!(
        err.contains("nil pointer evaluating interface {}.x"),
        "{err}"
    );
}

#[test]
fn and_or_return_the_deciding_operand_and_short_circuit() {
    check(&[
        (
            "{{and 1 0 2}}|{{and 1 2}}|{{or 0 \"\" \"x\"}}|{{or 0 \"\"}}",
            "0|2|x|",
        ),
        (
            "{{and .nope 1}}|{{or .nope .null}}",
            "<no value>|<no value>",
        ),
        // The second operand would fail if evaluated.
        (
            "{{and false (index .list 10)}}|{{or true (fail \"x\")}}",
            "false|true",
        ),
        (
            "{{ .t | and false }}|{{ .t | or false }}|{{ .nope | or \"d\" }}",
            "false|true|d",
        ),
        ("{{ if and .t (eq .env \"prod\") }}yes{{ end }}", "yes"),
    ]);
}

#[test]
fn comparisons_of_json_numbers_follow_go_basic_kinds() {
    check(&[
        (
            "{{eq .n 3.0}}|{{eq (len .list) 2}}|{{lt (len .list) 3}}",
            "true|true|true",
        ),
        (
            "{{ ne .env \"x\" }}|{{ le 2 2 }}|{{ gt 3.5 .n }}",
            "true|true|true",
        ),
        ("{{ eq .m .nope }}|{{ eq .nope .null }}", "false|true"),
    ]);
    // Numbers from JSON are float64; integer literals are int: Go refuses the comparison.
    for tmpl in ["{{eq .n 3}}", "{{lt .n 5}}"] {
        let err = render(tmpl, argo_data()).unwrap_err();
        assert!(
            err.contains("incompatible types for comparison: float64 and int"),
            "{err}"
        );
    }
    let err = render("{{ eq .list .list }}", argo_data()).unwrap_err();
    assert!(
        err.contains("non-comparable type [a b]: []interface {}"),
        "{err}"
    );
}

#[test]
fn literals_escapes_and_comments() {
    check(&[
        (
            "{{\"a\\tb\\\"c\\u00e9\\x41\\101\"}}|{{`a\\nb`}}",
            "a\tb\"céAA|a\\nb",
        ),
        (
            "{{ 3 }}|{{ 3.0 }}|{{ 1e3 }}|{{ -2 }}|{{ 'a' }}|{{ 0x10 }}",
            "3|3|1000|-2|97|16",
        ),
        ("a {{/* c */}} b {{- /* c */ -}} c", "a  bc"),
        ("{{/*/ c */}}x", "x"),
    ]);
}

#[test]
fn printf_and_sprig_functions_argo_users_write() {
    check(&[
        (
            "{{printf \"%s-%d\" .env 3}}|{{printf \"%s-%d\" .env .n}}|{{printf \"%s-%v\" .env .n}}",
            "prod-3|prod-%!d(float64=3)|prod-3",
        ),
        ("{{ printf \"%[1]s-%[1]s\" .env }}", "prod-prod"),
        (
            "{{ printf \"%s\" (lower .name) }}|{{ (index .path.segments 0) | upper }}",
            "my app|APPS",
        ),
        (
            "{{ quote .env }}|{{ quote .n }}|{{ quote .nope }}",
            "\"prod\"|\"3\"|",
        ),
        (
            "{{ upper .env }}|{{ lower .name }}|{{ trunc 2 .env }}|{{ replace \" \" \"-\" .name }}",
            "PROD|my app|pr|My-App",
        ),
        (
            "{{ splitList \"/\" .path.path | join \",\" }}|{{ hasPrefix \"apps\" .path.path }}|{{ trimSuffix \"/web\" .path.path }}",
            "apps,web|true|apps",
        ),
        (
            "{{ empty .blank }}|{{ empty .nope }}|{{ empty .null }}|{{ coalesce .nope .blank \"c\" }}|{{ ternary \"a\" \"b\" .t }}",
            "true|true|true|c|a",
        ),
        (
            "{{ $d := dict \"k\" \"v\" \"n\" 1 }}{{ get $d \"k\" }}|{{ hasKey $d \"n\" }}|{{ list 1 2 \"x\" }}|{{ .env | b64enc }}",
            "v|true|[1 2 x]|cHJvZA==",
        ),
    ]);
}
