//! Sprig's arithmetic: integer functions through `cast.ToInt64` returning `int64`, float
//! functions (`addf`, `divf`...) through exact decimal arithmetic as shopspring/decimal does
//! (so `addf 1.1 2.2` is `3.3`, not `3.3000000000000003`), and the conversions.

use super::{int, random_below, s, to_float64, to_int64};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::{Value, shortest_digits};

use Param::{Any, Float, Int, Str};

fn div_zero() -> FuncError {
    FuncError::new("runtime error: integer divide by zero")
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "add1",
        Func::new(&[Any], None, |_, a| {
            Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
        }),
    );
    m.insert(
        "add",
        Func::new(&[], Some(Any), |_, a| {
            Ok(Value::Int64(
                a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
            ))
        }),
    );
    m.insert(
        "sub",
        Func::new(&[Any, Any], None, |_, a| {
            Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
        }),
    );
    m.insert(
        "div",
        Func::new(&[Any, Any], None, |_, a| {
            let d = to_int64(&a[1]);
            if d == 0 {
                return Err(div_zero());
            }
            Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
        }),
    );
    m.insert(
        "mod",
        Func::new(&[Any, Any], None, |_, a| {
            let d = to_int64(&a[1]);
            if d == 0 {
                return Err(div_zero());
            }
            Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
        }),
    );
    m.insert(
        "mul",
        Func::new(&[Any], Some(Any), |_, a| {
            Ok(Value::Int64(
                a[1..]
                    .iter()
                    .fold(to_int64(&a[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
            ))
        }),
    );
    m.insert(
        "randInt",
        Func::new(&[Int, Int], None, |_, a| {
            let (min, max) = (int(&a[0]), int(&a[1]));
            let n = max.wrapping_sub(min);
            if n <= 0 {
                return Err(FuncError::new("invalid argument to Intn"));
            }
            Ok(Value::Int(random_below(n as u64) as i64 + min))
        }),
    );
    for name in ["biggest", "max"] {
        m.insert(
            name,
            Func::new(&[Any], Some(Any), |_, a| {
                Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0)))
            }),
        );
    }
    m.insert(
        "min",
        Func::new(&[Any], Some(Any), |_, a| {
            Ok(Value::Int64(a.iter().map(to_int64).min().unwrap_or(0)))
        }),
    );
    m.insert(
        "maxf",
        Func::new(&[Any], Some(Any), |_, a| {
            Ok(Value::Float(
                a[1..]
                    .iter()
                    .map(to_float64)
                    .fold(to_float64(&a[0]), go_max),
            ))
        }),
    );
    m.insert(
        "minf",
        Func::new(&[Any], Some(Any), |_, a| {
            Ok(Value::Float(
                a[1..]
                    .iter()
                    .map(to_float64)
                    .fold(to_float64(&a[0]), go_min),
            ))
        }),
    );
    m.insert(
        "ceil",
        Func::new(&[Any], None, |_, a| {
            Ok(Value::Float(to_float64(&a[0]).ceil()))
        }),
    );
    m.insert(
        "floor",
        Func::new(&[Any], None, |_, a| {
            Ok(Value::Float(to_float64(&a[0]).floor()))
        }),
    );
    m.insert(
        "round",
        Func::new(&[Any, Int], Some(Float), |_, a| {
            let round_on = match a.get(2) {
                Some(Value::Float(f)) => *f,
                _ => 0.5,
            };
            let val = to_float64(&a[0]);
            let pow = 10f64.powf(int(&a[1]) as f64);
            let digit = pow * val;
            let frac = digit - digit.trunc();
            let r = if frac >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        }),
    );
    m.insert(
        "add1f",
        Func::new(&[Any], None, |_, a| {
            Ok(Value::Float(decimal_op(&a[0], &[Value::Int(1)], Op::Add)?))
        }),
    );
    m.insert(
        "addf",
        Func::new(&[], Some(Any), |_, a| {
            Ok(Value::Float(decimal_op(&Value::Float(0.0), &a, Op::Add)?))
        }),
    );
    for (name, op) in [("subf", Op::Sub), ("mulf", Op::Mul), ("divf", Op::Div)] {
        m.insert(
            name,
            Func::new(&[Any], Some(Any), move |_, a| {
                Ok(Value::Float(decimal_op(&a[0], &a[1..], op)?))
            }),
        );
    }
    m.insert(
        "int64",
        Func::new(&[Any], None, |_, a| Ok(Value::Int64(to_int64(&a[0])))),
    );
    m.insert(
        "int",
        Func::new(&[Any], None, |_, a| Ok(Value::Int(to_int64(&a[0])))),
    );
    m.insert(
        "float64",
        Func::new(&[Any], None, |_, a| Ok(Value::Float(to_float64(&a[0])))),
    );
    m.insert(
        "atoi",
        Func::new(&[Str], None, |_, a| Ok(Value::Int(atoi(s(&a[0]))))),
    );
    m.insert(
        "toDecimal",
        Func::new(&[Any], None, |c: &mut Call<'_>, a| {
            let text = c.fmt_v(&a[0])?;
            Ok(Value::Int64(parse_octal(&text).unwrap_or(0)))
        }),
    );
}

/// Go's `math.Max`: NaN wins, +0 beats -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// `strconv.Atoi`, 0 on error (as Sprig's `atoi` ignores it).
fn atoi(s: &str) -> i64 {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    s.parse::<i64>().unwrap_or(0)
}

/// `strconv.ParseInt(s, 8, 64)`.
fn parse_octal(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    i64::from_str_radix(s, 8).ok()
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// A decimal `mant × 10^exp`.
#[derive(Clone, Copy, Debug)]
struct Dec {
    mant: i128,
    exp: i32,
}

/// shopspring's `DivisionPrecision`.
const DIV_PRECISION: i32 = 16;

impl Dec {
    /// `decimal.NewFromFloat`: the float's shortest decimal representation.
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let (digits, dp) = shortest_digits(f);
        let mant: i128 = digits.parse().ok()?;
        let mant = if f < 0.0 { -mant } else { mant };
        Some(Dec {
            mant,
            exp: dp - digits.len() as i32,
        })
    }

    fn rescale(self, exp: i32) -> Option<i128> {
        let shift = u32::try_from(self.exp - exp).ok()?;
        self.mant.checked_mul(10i128.checked_pow(shift)?)
    }

    fn apply(self, o: Dec, op: Op) -> Option<Dec> {
        match op {
            Op::Add | Op::Sub => {
                let exp = self.exp.min(o.exp);
                let (a, b) = (self.rescale(exp)?, o.rescale(exp)?);
                let mant = match op {
                    Op::Add => a.checked_add(b)?,
                    _ => a.checked_sub(b)?,
                };
                Some(Dec { mant, exp })
            }
            Op::Mul => Some(Dec {
                mant: self.mant.checked_mul(o.mant)?,
                exp: self.exp.checked_add(o.exp)?,
            }),
            Op::Div => {
                // Rounded half away from zero to 16 decimal places, as DivRound does.
                let shift = self.exp - o.exp + DIV_PRECISION;
                let (num, den) = if shift >= 0 {
                    (
                        self.mant.checked_mul(10i128.checked_pow(shift as u32)?)?,
                        o.mant,
                    )
                } else {
                    (
                        self.mant,
                        o.mant.checked_mul(10i128.checked_pow((-shift) as u32)?)?,
                    )
                };
                let q = num / den;
                let r = num % den;
                let q = if r.unsigned_abs() * 2 >= den.unsigned_abs() {
                    if (num < 0) != (den < 0) { q - 1 } else { q + 1 }
                } else {
                    q
                };
                Some(Dec {
                    mant: q,
                    exp: -DIV_PRECISION,
                })
            }
        }
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }
}

/// Sprig's `execDecimalOp`; falls back to float arithmetic past i128's range.
fn decimal_op(first: &Value, rest: &[Value], op: Op) -> Result<f64, FuncError> {
    let mut f = to_float64(first);
    let mut acc = Dec::from_f64(f);
    for x in rest {
        let xf = to_float64(x);
        if matches!(op, Op::Div) && xf == 0.0 {
            return Err(FuncError::new("decimal division by 0"));
        }
        acc = match (acc, Dec::from_f64(xf)) {
            (Some(a), Some(b)) => a.apply(b, op),
            _ => None,
        };
        f = match op {
            Op::Add => f + xf,
            Op::Sub => f - xf,
            Op::Mul => f * xf,
            Op::Div => f / xf,
        };
        if let Some(a) = acc {
            f = a.to_f64();
        }
    }
    Ok(acc.map_or(f, Dec::to_f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_arithmetic_is_exact() {
        let f = |a: f64, b: f64, op| decimal_op(&Value::Float(a), &[Value::Float(b)], op).unwrap();
        assert_eq!(f(1.1, 2.2, Op::Add), 3.3);
        assert_eq!(f(0.3, 0.1, Op::Sub), 0.2);
        assert_eq!(f(1.1, 3.0, Op::Mul), 3.3);
        assert_eq!(f(10.0, 3.0, Op::Div), 3.333_333_333_333_333_5);
    }

    #[test]
    fn conversions_follow_strconv() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi(" 42"), 0);
        assert_eq!(parse_octal("777"), Some(511));
        assert_eq!(parse_octal("8"), None);
    }
}
