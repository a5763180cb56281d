//! Sprig's list functions (`list`, `append`, `first`, `uniq`, `slice`, `until`...). Each
//! builds its result from any Go slice and returns `[]interface{}`, as Sprig's reflection does;
//! the `must` variants return the error that the plain ones panic with.

use super::{NIL_DEREF, empty, int, to_int64};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::{Elem, Value};

use Param::{Any, Int};

/// The elements of a slice argument, or Sprig's error for anything else (`what` names the
/// operation as Sprig's message does).
fn items<'v>(v: &'v Value, what: &str) -> Result<&'v [Value], FuncError> {
    match v {
        Value::List(l) => Ok(&l.items),
        Value::Missing | Value::Nil => Err(FuncError::new(NIL_DEREF)),
        other => Err(FuncError::new(format!("{what} {}", other.kind_name()))),
    }
}

/// Registers `name` and `mustName` for an operation whose Go versions differ only in
/// panicking or returning the error (the message is the same).
fn both(
    m: &mut FuncMap,
    name: &str,
    params: &[Param],
    f: fn(&mut Call<'_>, Vec<Value>) -> Result<Value, FuncError>,
) {
    m.insert(name, Func::new(params, None, f));
    let mut must = String::from("must");
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        must.extend(first.to_uppercase());
        must.push_str(chars.as_str());
    }
    m.insert(&must, Func::new(params, None, f));
}

pub(super) fn register(m: &mut FuncMap) {
    for name in ["list", "tuple"] {
        m.insert(
            name,
            Func::new(&[], Some(Any), |c, a| {
                c.check_list(a.len())?;
                Ok(Value::list(a))
            }),
        );
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        m.insert(
            name,
            Func::new(&[Any, Any], None, |c, a| {
                let l = items(&a[0], "Cannot push on type")?;
                c.check_list(l.len() + 1)?;
                let mut out = l.to_vec();
                out.push(a[1].clone());
                Ok(Value::list(out))
            }),
        );
    }
    both(m, "prepend", &[Any, Any], |c, a| {
        let l = items(&a[0], "Cannot prepend on type")?;
        c.check_list(l.len() + 1)?;
        let mut out = Vec::with_capacity(l.len() + 1);
        out.push(a[1].clone());
        out.extend_from_slice(l);
        Ok(Value::list(out))
    });
    both(m, "first", &[Any], |_, a| {
        Ok(items(&a[0], "Cannot find first on type")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    both(m, "last", &[Any], |_, a| {
        Ok(items(&a[0], "Cannot find last on type")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    both(m, "rest", &[Any], |_, a| {
        let l = items(&a[0], "Cannot find rest on type")?;
        Ok(Value::list(l.iter().skip(1).cloned().collect()))
    });
    both(m, "initial", &[Any], |_, a| {
        let l = items(&a[0], "Cannot find initial on type")?;
        Ok(Value::list(l[..l.len().saturating_sub(1)].to_vec()))
    });
    both(m, "reverse", &[Any], |_, a| {
        let l = items(&a[0], "Cannot find reverse on type")?;
        Ok(Value::list(l.iter().rev().cloned().collect()))
    });
    both(m, "compact", &[Any], |_, a| {
        let l = items(&a[0], "Cannot compact on type")?;
        Ok(Value::list(
            l.iter().filter(|v| !empty(v)).cloned().collect(),
        ))
    });
    both(m, "uniq", &[Any], |c, a| {
        let l = items(&a[0], "Cannot find uniq on type")?;
        // Comparing every pair is quadratic: pay for it.
        c.spend((l.len() as u64).saturating_mul(l.len() as u64) / 16)?;
        let mut out: Vec<Value> = Vec::new();
        for v in l {
            if !out.iter().any(|o| o.deep_equal(v)) {
                out.push(v.clone());
            }
        }
        Ok(Value::list(out))
    });
    for name in ["without", "mustWithout"] {
        m.insert(
            name,
            Func::new(&[Any], Some(Any), |c, a| {
                let l = items(&a[0], "Cannot find without on type")?;
                let omit = &a[1..];
                c.spend((l.len() as u64).saturating_mul(omit.len() as u64) / 16)?;
                Ok(Value::list(
                    l.iter()
                        .filter(|v| !omit.iter().any(|o| o.deep_equal(v)))
                        .cloned()
                        .collect(),
                ))
            }),
        );
    }
    both(m, "has", &[Any, Any], |c, a| {
        if a[1].is_nil() {
            return Ok(Value::Bool(false));
        }
        let l = items(&a[1], "Cannot find has on type")?;
        c.spend(l.len() as u64 / 16)?;
        Ok(Value::Bool(l.iter().any(|v| v.deep_equal(&a[0]))))
    });
    for name in ["slice", "mustSlice"] {
        m.insert(name, Func::new(&[Any], Some(Any), sprig_slice));
    }
    m.insert(
        "concat",
        Func::new(&[], Some(Any), |c, a| {
            let mut total = 0;
            for v in &a {
                total += items(v, "Cannot concat type")
                    .map_err(|e| {
                        if e.message() == NIL_DEREF {
                            e
                        } else {
                            FuncError::new(format!("{} as list", e.message()))
                        }
                    })?
                    .len();
            }
            c.check_list(total)?;
            let mut out = Vec::with_capacity(total);
            for v in &a {
                if let Value::List(l) = v {
                    out.extend(l.items.iter().cloned());
                }
            }
            Ok(Value::list(out))
        }),
    );
    both(m, "chunk", &[Int, Any], |_, a| {
        let size = int(&a[0]);
        let l = items(&a[1], "Cannot chunk type")?;
        if size <= 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        let chunks: Vec<Value> = l
            .chunks(size as usize)
            .map(|ch| Value::list(ch.to_vec()))
            .collect();
        Ok(Value::typed_list(Elem::Any, chunks))
    });
    m.insert(
        "until",
        Func::new(&[Int], None, |c, a| {
            let n = int(&a[0]);
            let step = if n < 0 { -1 } else { 1 };
            until_step(c, 0, n, step)
        }),
    );
    m.insert(
        "untilStep",
        Func::new(&[Int, Int, Int], None, |c, a| {
            until_step(c, int(&a[0]), int(&a[1]), int(&a[2]))
        }),
    );
    m.insert(
        "seq",
        Func::new(&[], Some(Int), |c, a| {
            let p: Vec<i64> = a.iter().map(int).collect();
            let (start, end, step) = match p.as_slice() {
                [] => return Ok(Value::str("")),
                [end] => {
                    let inc = if *end < 1 { -1 } else { 1 };
                    (1, end + inc, inc)
                }
                [start, end] => {
                    let inc = if end < start { -1 } else { 1 };
                    (*start, end + inc, inc)
                }
                [start, step, end] => {
                    let inc = if end < start { -1 } else { 1 };
                    if end < start && *step > 0 {
                        return Ok(Value::str(""));
                    }
                    (*start, end + inc, *step)
                }
                _ => return Ok(Value::str("")),
            };
            let nums = step_values(c, start, end, step)?;
            let parts: Vec<String> = nums.iter().map(i64::to_string).collect();
            Ok(Value::str(parts.join(" ")))
        }),
    );
}

/// How many values `untilStep(start, stop, step)` makes, without making them.
fn step_count(start: i64, stop: i64, step: i64) -> u64 {
    if stop < start {
        if step >= 0 {
            return 0;
        }
        ((i128::from(start) - i128::from(stop) - 1) / -i128::from(step) + 1) as u64
    } else {
        if step <= 0 || stop == start {
            return 0;
        }
        ((i128::from(stop) - i128::from(start) - 1) / i128::from(step) + 1) as u64
    }
}

fn step_values(c: &Call<'_>, start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let n = step_count(start, stop, step);
    c.check_list(usize::try_from(n).unwrap_or(usize::MAX))?;
    Ok((0..n as i64).map(|i| start + i * step).collect())
}

fn until_step(c: &Call<'_>, start: i64, stop: i64, step: i64) -> Result<Value, FuncError> {
    let v = step_values(c, start, stop, step)?;
    Ok(Value::typed_list(
        Elem::Int,
        v.into_iter().map(Value::Int).collect(),
    ))
}

/// Sprig's `slice`: `list[start:end]` with `cast.ToInt` indexes, `nil` for an empty list.
fn sprig_slice(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let l = match &a[0] {
        Value::List(l) => l,
        Value::Missing | Value::Nil => return Err(FuncError::new(NIL_DEREF)),
        other => {
            return Err(FuncError::new(format!(
                "list should be type of slice or array but {}",
                other.kind_name()
            )));
        }
    };
    let len = l.items.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_int64);
    let end = if a.len() < 3 { len } else { to_int64(&a[2]) };
    if start < 0 || end < start || end > len {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    Ok(Value::typed_list(
        l.elem,
        l.items[start as usize..end as usize].to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_counts_match_go_loops() {
        assert_eq!(step_count(0, 5, 1), 5);
        assert_eq!(step_count(0, 5, 2), 3);
        assert_eq!(step_count(5, 0, -2), 3);
        assert_eq!(step_count(0, -3, 1), 0);
        assert_eq!(step_count(0, i64::MAX, 1), i64::MAX as u64);
    }
}
