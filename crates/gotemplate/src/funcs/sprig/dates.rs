//! Sprig's date functions over Go's `time` semantics. JSON numbers are float64, which
//! `date` does not accept as a Unix time (Sprig falls back to "now" for them, and so does this).

use std::rc::Rc;

use super::s;
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::time::{GoTime, duration_string, parse, parse_duration};
use crate::value::Value;

use Param::{Any, Str, Time};

const SECOND: i64 = 1_000_000_000;

/// The time Sprig's `dateInZone` makes of its argument: a time, an `int`/`int64` Unix time,
/// or now for anything else.
fn time_of(v: &Value) -> GoTime {
    match v {
        Value::Time(t) => (**t).clone(),
        Value::Int(i) | Value::Int64(i) => GoTime::utc(*i, 0),
        _ => GoTime::now(),
    }
}

/// `t.In(LoadLocation(zone))`, UTC when the zone is unknown (as Sprig does).
fn in_zone(t: &GoTime, zone: &str) -> GoTime {
    t.in_zone(zone)
        .or_else(|| t.in_zone("UTC"))
        .unwrap_or_else(|| t.clone())
}

fn time_value(t: GoTime) -> Value {
    Value::Time(Rc::new(t))
}

/// Go's `Duration.Round(m)`: half away from zero.
fn round_duration(d: i64, m: i64) -> i64 {
    let r = d % m;
    if d < 0 {
        let r = -r;
        if r + r < m { d + r } else { d - m + r }
    } else if r + r < m {
        d - r
    } else {
        d + m - r
    }
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "now",
        Func::new(&[], None, |_, _| Ok(time_value(GoTime::now()))),
    );
    m.insert(
        "date",
        Func::new(&[Str, Any], None, |_, a| {
            Ok(Value::str(
                in_zone(&time_of(&a[1]), "Local").format(s(&a[0])),
            ))
        }),
    );
    for name in ["dateInZone", "date_in_zone"] {
        m.insert(
            name,
            Func::new(&[Str, Any, Str], None, |_, a| {
                Ok(Value::str(
                    in_zone(&time_of(&a[1]), s(&a[2])).format(s(&a[0])),
                ))
            }),
        );
    }
    m.insert(
        "htmlDate",
        Func::new(&[Any], None, |_, a| {
            Ok(Value::str(
                in_zone(&time_of(&a[0]), "Local").format("2006-01-02"),
            ))
        }),
    );
    m.insert(
        "htmlDateInZone",
        Func::new(&[Any, Str], None, |_, a| {
            Ok(Value::str(
                in_zone(&time_of(&a[0]), s(&a[1])).format("2006-01-02"),
            ))
        }),
    );
    for name in ["dateModify", "date_modify"] {
        m.insert(
            name,
            Func::new(&[Str, Time], None, |_, a| {
                let Value::Time(t) = &a[1] else {
                    return Ok(a[1].clone());
                };
                Ok(match parse_duration(s(&a[0])) {
                    Ok(d) => time_value(t.add_nanos(d)),
                    Err(_) => a[1].clone(),
                })
            }),
        );
    }
    for name in ["mustDateModify", "must_date_modify"] {
        m.insert(
            name,
            Func::new(&[Str, Time], None, |_, a| {
                let Value::Time(t) = &a[1] else {
                    return Ok(a[1].clone());
                };
                let d = parse_duration(s(&a[0])).map_err(FuncError::new)?;
                Ok(time_value(t.add_nanos(d)))
            }),
        );
    }
    m.insert(
        "ago",
        Func::new(&[Any], None, |_, a| {
            let t = time_of(&a[0]);
            let since = GoTime::now().sub(&t);
            Ok(Value::str(duration_string(round_duration(since, SECOND))))
        }),
    );
    m.insert(
        "duration",
        Func::new(&[Any], None, |_, a| {
            let n = match &a[0] {
                Value::Str(st) => st.parse::<i64>().unwrap_or(0),
                Value::Int64(i) => *i,
                _ => 0,
            };
            Ok(Value::str(duration_string(n.wrapping_mul(SECOND))))
        }),
    );
    m.insert("durationRound", Func::new(&[Any], None, duration_round));
    m.insert(
        "toDate",
        Func::new(&[Str, Str], None, |_, a| {
            Ok(time_value(
                parse(s(&a[0]), s(&a[1])).unwrap_or_else(|_| GoTime::zero()),
            ))
        }),
    );
    m.insert(
        "mustToDate",
        Func::new(&[Str, Str], None, |_, a| {
            parse(s(&a[0]), s(&a[1]))
                .map(time_value)
                .map_err(FuncError::new)
        }),
    );
    m.insert(
        "unixEpoch",
        Func::new(&[Time], None, |_, a| match &a[0] {
            Value::Time(t) => Ok(Value::str(t.secs.to_string())),
            _ => Ok(Value::str("")),
        }),
    );
}

/// Sprig's `durationRound`: the duration in its largest whole unit (`2h`, `3mo`, `1y`).
fn duration_round(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let d: i64 = match &a[0] {
        Value::Str(st) => parse_duration(st).unwrap_or(0),
        Value::Int64(i) => *i,
        Value::Time(t) => GoTime::now().sub(t),
        _ => 0,
    };
    let u = d.unsigned_abs();
    let hour = 3_600 * SECOND as u64;
    let units: [(u64, &str); 6] = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60 * SECOND as u64, "m"),
        (SECOND as u64, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return Ok(Value::str(format!("{}{name}", u / size)));
        }
    }
    Ok(Value::str("0s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_half_away_from_zero() {
        assert_eq!(round_duration(1_500_000_000, SECOND), 2 * SECOND);
        assert_eq!(round_duration(1_499_999_999, SECOND), SECOND);
        assert_eq!(round_duration(-1_500_000_000, SECOND), -2 * SECOND);
    }
}
