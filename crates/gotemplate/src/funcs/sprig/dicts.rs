//! Sprig's dict functions. Go maps are references, so `set`, `unset` and `merge` change the
//! map they are given, visibly through every variable that holds it. Go ranges over maps in a
//! random order; `keys` and `values` here return sorted keys (one of the orders Go may give).

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{s, strval};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::limits::LimitError;
use crate::value::{MAX_VALUE_DEPTH, MapRef, Value};

use Param::{Any, Map, Str};

fn map_of(v: &Value) -> Option<&MapRef> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "dict",
        Func::new(&[], Some(Any), |c, a| {
            let mut out = BTreeMap::new();
            for pair in a.chunks(2) {
                let key = strval(c, &pair[0])?;
                let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
                out.insert(key, value);
            }
            Ok(Value::map(out))
        }),
    );
    m.insert(
        "get",
        Func::new(&[Map, Str], None, |_, a| {
            Ok(map_of(&a[0])
                .and_then(|m| m.borrow().entries.get(s(&a[1])).cloned())
                .unwrap_or_else(|| Value::str("")))
        }),
    );
    m.insert(
        "set",
        Func::new(&[Map, Str, Any], None, |_, a| {
            if let Some(m) = map_of(&a[0]) {
                if m.borrow().is_nil {
                    return Err(FuncError::new("assignment to entry in nil map"));
                }
                m.borrow_mut()
                    .entries
                    .insert(s(&a[1]).to_string(), a[2].clone());
            }
            Ok(a[0].clone())
        }),
    );
    m.insert(
        "unset",
        Func::new(&[Map, Str], None, |_, a| {
            if let Some(m) = map_of(&a[0]) {
                m.borrow_mut().entries.remove(s(&a[1]));
            }
            Ok(a[0].clone())
        }),
    );
    m.insert(
        "hasKey",
        Func::new(&[Map, Str], None, |_, a| {
            Ok(Value::Bool(map_of(&a[0]).is_some_and(|m| {
                m.borrow().entries.contains_key(s(&a[1]))
            })))
        }),
    );
    m.insert(
        "pluck",
        Func::new(&[Str], Some(Map), |_, a| {
            let key = s(&a[0]);
            Ok(Value::list(
                a[1..]
                    .iter()
                    .filter_map(|d| map_of(d).and_then(|m| m.borrow().entries.get(key).cloned()))
                    .collect(),
            ))
        }),
    );
    m.insert(
        "keys",
        Func::new(&[], Some(Map), |c, a| {
            let mut keys = Vec::new();
            for d in &a {
                if let Some(m) = map_of(d) {
                    keys.extend(m.borrow().entries.keys().cloned());
                }
            }
            c.check_list(keys.len())?;
            Ok(Value::str_list(keys))
        }),
    );
    m.insert(
        "values",
        Func::new(&[Map], None, |_, a| {
            Ok(Value::list(
                map_of(&a[0])
                    .map(|m| m.borrow().entries.values().cloned().collect())
                    .unwrap_or_default(),
            ))
        }),
    );
    m.insert(
        "pick",
        Func::new(&[Map], Some(Str), |_, a| {
            let mut out = BTreeMap::new();
            if let Some(m) = map_of(&a[0]) {
                let m = m.borrow();
                for k in &a[1..] {
                    if let Some(v) = m.entries.get(s(k)) {
                        out.insert(s(k).to_string(), v.clone());
                    }
                }
            }
            Ok(Value::map(out))
        }),
    );
    m.insert(
        "omit",
        Func::new(&[Map], Some(Str), |_, a| {
            let drop: Vec<&str> = a[1..].iter().map(s).collect();
            let out = map_of(&a[0])
                .map(|m| {
                    m.borrow()
                        .entries
                        .iter()
                        .filter(|(k, _)| !drop.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Value::map(out))
        }),
    );
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        m.insert(
            name,
            Func::new(&[Map], Some(Map), move |c, a| merge_dicts(c, &a, overwrite)),
        );
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        m.insert(
            name,
            Func::new(&[Any], None, |_, a| {
                if a[0].is_nil() {
                    // copystructure asks the type of a nil interface, which panics.
                    return Err(FuncError::new(
                        "reflect: call of reflect.Value.Type on zero Value",
                    ));
                }
                a[0].deep_copy()
                    .map_err(|_| FuncError::limit(LimitError::ValueDepth(MAX_VALUE_DEPTH)))
            }),
        );
    }
    m.insert("dig", Func::new(&[], Some(Any), dig));
}

/// Sprig's `merge`/`mergeOverwrite`: mergo merges each later dict into the first, in place.
fn merge_dicts(c: &Call<'_>, a: &[Value], overwrite: bool) -> Result<Value, FuncError> {
    let Some(dst) = map_of(&a[0]) else {
        return Ok(a[0].clone());
    };
    for src in &a[1..] {
        if let Some(src) = map_of(src) {
            if Rc::ptr_eq(dst, src) {
                continue;
            }
            let src = src.borrow().entries.clone();
            merge_into(c, dst, &src, overwrite, 0)?;
        }
    }
    Ok(a[0].clone())
}

/// mergo's map merge: nested maps merge key by key; other values fill keys that are missing or
/// hold an empty value, or replace them all when overwriting (a nil source value only then).
fn merge_into(
    c: &Call<'_>,
    dst: &MapRef,
    src: &BTreeMap<String, Value>,
    overwrite: bool,
    depth: usize,
) -> Result<(), FuncError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(FuncError::limit(LimitError::ValueDepth(MAX_VALUE_DEPTH)));
    }
    c.spend(src.len() as u64)?;
    for (k, sv) in src {
        if sv.is_nil() {
            if overwrite {
                dst.borrow_mut().entries.insert(k.clone(), Value::Nil);
            }
            continue;
        }
        let dv = dst.borrow().entries.get(k).cloned();
        if let (Some(Value::Map(d)), Value::Map(sm)) = (&dv, sv)
            && !Rc::ptr_eq(d, sm)
        {
            let inner = sm.borrow().entries.clone();
            merge_into(c, d, &inner, overwrite, depth + 1)?;
        }
        if let Some(d) = &dv
            && d.truth()
            && (matches!(sv, Value::List(_)) || matches!((d, sv), (Value::Map(_), Value::Map(_))))
        {
            if overwrite && matches!(sv, Value::List(_)) {
                dst.borrow_mut().entries.insert(k.clone(), sv.clone());
            }
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(|d| !d.truth()) {
            dst.borrow_mut().entries.insert(k.clone(), sv.clone());
        }
    }
    Ok(())
}

/// Sprig's `dig KEY... DEFAULT DICT`.
fn dig(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    if a.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let conv = |v: &Value, want: &str| -> FuncError {
        let got = if v.is_nil() {
            "nil".to_string()
        } else {
            v.type_name().to_string()
        };
        FuncError::new(format!(
            "interface conversion: interface {{}} is {got}, not {want}"
        ))
    };
    let dict = &a[a.len() - 1];
    let default = &a[a.len() - 2];
    let Value::Map(mut cur) = dict.clone() else {
        return Err(conv(dict, "map[string]interface {}"));
    };
    if cur.borrow().elem != crate::value::Elem::Any {
        return Err(conv(dict, "map[string]interface {}"));
    }
    let keys = &a[..a.len() - 2];
    let mut names = Vec::with_capacity(keys.len());
    for k in keys {
        match k {
            Value::Str(s) => names.push(s.clone()),
            other => return Err(conv(other, "string")),
        }
    }
    for (i, k) in names.iter().enumerate() {
        let step = cur.borrow().entries.get(&**k).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i == names.len() - 1 {
            return Ok(step);
        }
        match step {
            Value::Map(m) if m.borrow().elem == crate::value::Elem::Any => cur = m,
            other => return Err(conv(&other, "map[string]interface {}")),
        }
    }
    Ok(default.clone())
}
