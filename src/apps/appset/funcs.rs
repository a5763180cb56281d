//! The template functions Argo CD's ApplicationSet controller offers with `goTemplate: true`
//! (`applicationset/utils`): Sprig's generic map without `env`, `expandenv` and
//! `getHostByName` (which the gotemplate crate never provides), plus Argo CD's own
//! `normalize`, `slugify`, `toYaml`, `fromYaml`, `fromYamlArray` and `tpl`, registered here so
//! the interpreter crate knows nothing of Argo CD.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use gotemplate::{Call, Func, FuncError, FuncMap, Param, Value};

use super::params::sanitize_name;

/// Argo CD's function map, built once.
pub fn argo_funcs() -> &'static FuncMap {
    static FUNCS: OnceLock<FuncMap> = OnceLock::new();
    FUNCS.get_or_init(|| {
        let mut m = FuncMap::new();
        m.insert(
            "normalize",
            Func::new(&[Param::Str], None, |_, a| {
                Ok(Value::str(sanitize_name(a[0].as_str().unwrap_or(""))))
            }),
        );
        m.insert("slugify", Func::new(&[], Some(Param::Any), slugify));
        m.insert("toYaml", Func::new(&[Param::Any], None, to_yaml));
        m.insert(
            "fromYaml",
            Func::new(&[Param::Str], None, |_, a| {
                match first_yaml_doc(a[0].as_str().unwrap_or(""))? {
                    serde_json::Value::Null => Ok(Value::map(BTreeMap::new())),
                    v @ serde_json::Value::Object(_) => Ok(Value::from_json(&v)),
                    other => Err(FuncError::new(format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        json_kind(&other)
                    ))),
                }
            }),
        );
        m.insert(
            "fromYamlArray",
            Func::new(&[Param::Str], None, |_, a| {
                match first_yaml_doc(a[0].as_str().unwrap_or(""))? {
                    serde_json::Value::Null => Ok(Value::list(Vec::new())),
                    v @ serde_json::Value::Array(_) => Ok(Value::from_json(&v)),
                    other => Err(FuncError::new(format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                        json_kind(&other)
                    ))),
                }
            }),
        );
        m.insert("tpl", Func::new(&[Param::Str, Param::Any], None, tpl));
        m
    })
}

/// The first document of a YAML text (null when there is none), read like every other YAML in
/// this tool.
fn first_yaml_doc(text: &str) -> Result<serde_json::Value, FuncError> {
    let docs = crate::yaml::parse_documents(text)
        .map_err(|e| FuncError::new(format!("error converting YAML to JSON: {e}")))?;
    Ok(docs.into_iter().next().unwrap_or(serde_json::Value::Null))
}

/// The JSON type name Go's decoder uses in its errors.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Argo CD's `toYaml`: the value marshalled as YAML without the trailing newline.
fn to_yaml(c: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let json = c.to_json(&a[0])?;
    if json.is_null() {
        return Ok(Value::str("null"));
    }
    let text = crate::yaml::to_string(&json).map_err(|e| FuncError::new(e.to_string()))?;
    if text.len() > c.limits().max_string {
        return Err(c.too_long());
    }
    Ok(Value::str(text.strip_suffix('\n').unwrap_or(&text)))
}

/// Argo CD's `slugify [maxSize] [smartTruncate] name`: `normalize`, then gosimple/slug.
fn slugify(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let conversion = |arg: &Value, want: &str| {
        let got = if arg.is_nil() {
            "nil".to_string()
        } else {
            arg.type_name().to_string()
        };
        FuncError::new(format!(
            "interface conversion: interface {{}} is {got}, not {want}"
        ))
    };
    let mut max_len: i64 = 50;
    let mut smart = true;
    let mut name = String::new();
    let last = a.len().saturating_sub(1);
    for (i, arg) in a.iter().enumerate() {
        if i == last {
            name = arg
                .as_str()
                .ok_or_else(|| conversion(arg, "string"))?
                .to_string();
        } else if i == 0 {
            let Value::Int(n) = arg else {
                return Err(conversion(arg, "int"));
            };
            max_len = *n;
        } else if i == 1 {
            let Value::Bool(b) = arg else {
                return Err(conversion(arg, "bool"));
            };
            smart = *b;
        }
    }
    let mut slug = sanitize_name(&name);
    let max = max_len.max(0) as usize;
    if !smart && slug.len() >= max {
        slug.truncate(max);
    }
    let mut cleaned = String::with_capacity(slug.len());
    for ch in slug.chars() {
        let ch = if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
            ch
        } else {
            '-'
        };
        if ch == '-' && cleaned.ends_with('-') {
            continue;
        }
        cleaned.push(ch);
    }
    let mut slug = cleaned.trim_matches(['-', '_']).to_string();
    if max > 0 && smart && slug.len() > max {
        let cut = slug.as_bytes()[..=max].iter().rposition(|b| *b == b'-');
        slug.truncate(cut.unwrap_or(max));
    }
    Ok(Value::str(slug))
}

/// Argo CD's `tpl`: renders a string as a template with the same functions and options, one
/// nesting level deeper; `<no value>` becomes empty.
fn tpl(c: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let text = a[0].as_str().unwrap_or("");
    let quoted = gotemplate::go_quote(text);
    let out = c.execute_nested(text, &a[1]).map_err(|e| match e {
        gotemplate::Error::Parse { .. } => {
            FuncError::nested(format!("cannot parse template {quoted}: {e}"), &e)
        }
        _ => FuncError::nested(
            format!("error during tpl function execution for {quoted}: {e}"),
            &e,
        ),
    })?;
    Ok(Value::str(out.replace("<no value>", "")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gotemplate::{Env, Template};
    use serde_json::json;

    fn render(tmpl: &str, data: serde_json::Value) -> Result<String, gotemplate::Error> {
        let env = Env::new(argo_funcs().clone());
        let t = Template::parse(tmpl, &env)?;
        t.execute(&Value::from_json(&data), &env, &env.budget())
    }

    #[test]
    fn argo_functions_are_registered() {
        let data = json!({"name": "My_App.v2", "m": {"k": "v", "l": ["x", "y"]}});
        let cases = [
            ("{{.name | normalize}}", "my-app.v2"),
            ("{{.name | slugify}}", "my-app-v2"),
            ("{{slugify 5 false .name}}", "my-ap"),
            (
                "{{ slugify 20 true \"a very long name that keeps going on\" }}",
                "a-very-long-name",
            ),
            ("{{.m | toYaml}}", "k: v\nl:\n- x\n- \"y\""),
            ("{{(fromYaml \"a: 1\\nb: [x]\").b | first}}", "x"),
            ("{{fromYamlArray \"[1, 2]\" | len}}", "2"),
            ("{{tpl \"{{.name}}-x{{.nope}}\" .}}", "My_App.v2-x"),
        ];
        for (tmpl, want) in cases {
            assert_eq!(render(tmpl, data.clone()).unwrap(), want, "{tmpl}");
        }
    }

    #[test]
    fn removed_sprig_functions_are_not_defined() {
        for f in ["env", "expandenv", "getHostByName"] {
            let err = render(&format!("{{{{ {f} \"x\" }}}}"), json!({})).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("template: :1: function \"{f}\" not defined")
            );
        }
    }

    #[test]
    fn tpl_recursion_is_bounded() {
        let err = render("{{tpl .t .}}", json!({"t": "{{tpl .t .}}"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("template nested too deeply"), "{err}");
    }

    #[test]
    fn bad_yaml_and_wrong_shapes_fail_the_call() {
        let err = render("{{fromYaml \"[1]\"}}", json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot unmarshal array"), "{err}");
        let err = render("{{slugify 1.5 \"x\"}}", json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("interface {} is float64, not int"), "{err}");
    }
}
