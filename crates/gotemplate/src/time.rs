//! Go's `time.Time` and `time.Duration` as Sprig's date functions use them: Go's layout-based
//! formatting and parsing (`2006-01-02 15:04:05`), `Duration.String()` and `ParseDuration`, and
//! time zones read from the system's zoneinfo files. The local zone is UTC, as in the
//! containers that run Argo CD.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::value::go_quote;

/// An instant with the zone it is shown in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// The zone's offset east of UTC, in seconds.
    pub offset: i32,
    /// The zone's abbreviation (`UTC`, `CET`; empty for a fixed offset from parsing).
    pub zone: String,
}

const NANOS: i64 = 1_000_000_000;
/// Unix seconds of Go's zero time, January 1, year 1, UTC.
const ZERO_SECS: i64 = -62_135_596_800;

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(m: u32, y: i64) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Broken-down fields of a time in its zone.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    yday: u32,
    wday: u32,
}

impl GoTime {
    /// The current time, in the local zone (UTC).
    pub fn now() -> GoTime {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        GoTime::utc(d.as_secs() as i64, d.subsec_nanos())
    }

    /// `time.Unix(secs, nanos)` in the local zone (UTC).
    pub fn utc(secs: i64, nanos: u32) -> GoTime {
        GoTime {
            secs,
            nanos,
            offset: 0,
            zone: "UTC".to_string(),
        }
    }

    /// Go's zero `time.Time`.
    pub fn zero() -> GoTime {
        GoTime::utc(ZERO_SECS, 0)
    }

    /// Whether this is Go's zero time.
    pub fn is_zero(&self) -> bool {
        self.secs == ZERO_SECS && self.nanos == 0
    }

    /// The same instant shown in zone `name` (`t.In(loc)`); `None` when the zone is unknown.
    pub fn in_zone(&self, name: &str) -> Option<GoTime> {
        let (offset, zone) = zone_at(name, self.secs)?;
        Some(GoTime {
            offset,
            zone,
            ..self.clone()
        })
    }

    /// `t.Add(d)` for a duration in nanoseconds.
    pub fn add_nanos(&self, d: i64) -> GoTime {
        let total =
            i128::from(self.secs) * i128::from(NANOS) + i128::from(self.nanos) + i128::from(d);
        let secs = total.div_euclid(i128::from(NANOS)) as i64;
        let nanos = total.rem_euclid(i128::from(NANOS)) as u32;
        GoTime {
            secs,
            nanos,
            ..self.clone()
        }
    }

    /// Nanoseconds from `other` to `self` (saturating like Go's `Sub`).
    pub fn sub(&self, other: &GoTime) -> i64 {
        let a = i128::from(self.secs) * i128::from(NANOS) + i128::from(self.nanos);
        let b = i128::from(other.secs) * i128::from(NANOS) + i128::from(other.nanos);
        (a - b).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    fn fields(&self) -> Fields {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        let yday = (days - days_from_civil(year, 1, 1)) as u32 + 1;
        Fields {
            year,
            month,
            day,
            hour: rem / 3600,
            min: rem % 3600 / 60,
            sec: rem % 60,
            yday,
            wday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// The year in the time's zone.
    pub fn year(&self) -> i64 {
        self.fields().year
    }

    /// The month's English name (Go's `time.Month.String()`).
    pub fn month_name(&self) -> &'static str {
        LONG_MONTHS[(self.fields().month - 1) as usize]
    }

    /// The weekday's English name.
    pub fn weekday_name(&self) -> &'static str {
        LONG_DAYS[self.fields().wday as usize]
    }

    /// Day of the month, hour, minute, second and day of the year, as Go's accessors give them.
    pub fn clock(&self) -> (u32, u32, u32, u32, u32) {
        let f = self.fields();
        (f.day, f.hour, f.min, f.sec, f.yday)
    }

    /// `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// `RFC3339Nano`, as `json.Marshal` writes times.
    pub fn rfc3339_nano(&self) -> String {
        self.format("2006-01-02T15:04:05.999999999Z07:00")
    }

    /// `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let f = self.fields();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, std, suffix) = next_std(rest);
            out.push_str(prefix);
            rest = suffix;
            let Some(std) = std else { break };
            self.append_std(&mut out, std, &f);
        }
        out
    }

    fn append_std(&self, out: &mut String, std: Std, f: &Fields) {
        let pad = |out: &mut String, v: i64, width: usize| {
            if v < 0 {
                out.push('-');
                out.push_str(&format!("{:0width$}", -v));
            } else {
                out.push_str(&format!("{v:0width$}"));
            }
        };
        match std {
            Std::Year => pad(out, f.year.rem_euclid(100), 2),
            Std::LongYear => pad(out, f.year, 4),
            Std::Month => out.push_str(&LONG_MONTHS[(f.month - 1) as usize][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[(f.month - 1) as usize]),
            Std::NumMonth => pad(out, i64::from(f.month), 0),
            Std::ZeroMonth => pad(out, i64::from(f.month), 2),
            Std::WeekDay => out.push_str(&LONG_DAYS[f.wday as usize][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[f.wday as usize]),
            Std::Day => pad(out, i64::from(f.day), 0),
            Std::UnderDay => out.push_str(&format!("{:>2}", f.day)),
            Std::ZeroDay => pad(out, i64::from(f.day), 2),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", f.yday)),
            Std::ZeroYearDay => pad(out, i64::from(f.yday), 3),
            Std::Hour => pad(out, i64::from(f.hour), 2),
            Std::Hour12 => pad(out, i64::from(hour12(f.hour)), 0),
            Std::ZeroHour12 => pad(out, i64::from(hour12(f.hour)), 2),
            Std::Minute => pad(out, i64::from(f.min), 0),
            Std::ZeroMinute => pad(out, i64::from(f.min), 2),
            Std::Second => pad(out, i64::from(f.sec), 0),
            Std::ZeroSecond => pad(out, i64::from(f.sec), 2),
            Std::PM => out.push_str(if f.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if f.hour >= 12 { "pm" } else { "am" }),
            Std::Tz => {
                if self.zone.is_empty() {
                    let zone = self.offset / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    pad(out, i64::from(zone.abs() / 60), 2);
                    pad(out, i64::from(zone.abs() % 60), 2);
                } else {
                    out.push_str(&self.zone);
                }
            }
            Std::NumTz {
                iso,
                colon,
                seconds,
                short,
            } => {
                if iso && self.offset == 0 {
                    out.push('Z');
                    return;
                }
                let z = self.offset.abs();
                out.push(if self.offset < 0 { '-' } else { '+' });
                pad(out, i64::from(z / 3600), 2);
                if !short {
                    if colon {
                        out.push(':');
                    }
                    pad(out, i64::from(z / 60 % 60), 2);
                }
                if seconds {
                    if colon {
                        out.push(':');
                    }
                    pad(out, i64::from(z % 60), 2);
                }
            }
            Std::Frac { digits, trim, sep } => {
                let frac = format!("{:09}", self.nanos);
                let mut part = &frac[..digits.min(9)];
                if trim {
                    part = part.trim_end_matches('0');
                    if part.is_empty() {
                        return;
                    }
                }
                out.push(sep);
                out.push_str(part);
                for _ in 9..digits {
                    out.push('0');
                }
            }
        }
    }
}

fn hour12(h: u32) -> u32 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

/// One element of a Go time layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    Year,
    LongYear,
    Month,
    LongMonth,
    NumMonth,
    ZeroMonth,
    WeekDay,
    LongWeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    PM,
    Pm,
    Tz,
    NumTz {
        iso: bool,
        colon: bool,
        seconds: bool,
        short: bool,
    },
    Frac {
        digits: usize,
        trim: bool,
        sep: char,
    },
}

/// Go's `nextStdChunk`: the literal text before the next layout element, the element, and
/// the rest.
fn next_std(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    let lower_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    let tz = |iso, colon, seconds, short| Std::NumTz {
        iso,
        colon,
        seconds,
        short,
    };
    for i in 0..b.len() {
        let found: Option<(Std, usize, usize)> = match b[i] {
            b'J' if at(i, "January") => Some((Std::LongMonth, i, i + 7)),
            b'J' if at(i, "Jan") && !lower_at(i + 3) => Some((Std::Month, i, i + 3)),
            b'M' if at(i, "Monday") => Some((Std::LongWeekDay, i, i + 6)),
            b'M' if at(i, "Mon") && !lower_at(i + 3) => Some((Std::WeekDay, i, i + 3)),
            b'M' if at(i, "MST") => Some((Std::Tz, i, i + 3)),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][(b[i + 1] - b'1') as usize];
                Some((std, i, i + 2))
            }
            b'0' if at(i, "002") => Some((Std::ZeroYearDay, i, i + 3)),
            b'1' if at(i, "15") => Some((Std::Hour, i, i + 2)),
            b'1' => Some((Std::NumMonth, i, i + 1)),
            b'2' if at(i, "2006") => Some((Std::LongYear, i, i + 4)),
            b'2' => Some((Std::Day, i, i + 1)),
            b'_' if at(i, "_2006") => Some((Std::LongYear, i + 1, i + 5)),
            b'_' if at(i, "_2") => Some((Std::UnderDay, i, i + 2)),
            b'_' if at(i, "__2") => Some((Std::UnderYearDay, i, i + 3)),
            b'3' => Some((Std::Hour12, i, i + 1)),
            b'4' => Some((Std::Minute, i, i + 1)),
            b'5' => Some((Std::Second, i, i + 1)),
            b'P' if at(i, "PM") => Some((Std::PM, i, i + 2)),
            b'p' if at(i, "pm") => Some((Std::Pm, i, i + 2)),
            b'-' if at(i, "-070000") => Some((tz(false, false, true, false), i, i + 7)),
            b'-' if at(i, "-07:00:00") => Some((tz(false, true, true, false), i, i + 9)),
            b'-' if at(i, "-0700") => Some((tz(false, false, false, false), i, i + 5)),
            b'-' if at(i, "-07:00") => Some((tz(false, true, false, false), i, i + 6)),
            b'-' if at(i, "-07") => Some((tz(false, false, false, true), i, i + 3)),
            b'Z' if at(i, "Z070000") => Some((tz(true, false, true, false), i, i + 7)),
            b'Z' if at(i, "Z07:00:00") => Some((tz(true, true, true, false), i, i + 9)),
            b'Z' if at(i, "Z0700") => Some((tz(true, false, false, false), i, i + 5)),
            b'Z' if at(i, "Z07:00") => Some((tz(true, true, false, false), i, i + 6)),
            b'Z' if at(i, "Z07") => Some((tz(true, false, false, true), i, i + 3)),
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while b.get(j) == Some(&ch) {
                    j += 1;
                }
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    Some((
                        Std::Frac {
                            digits: j - (i + 1),
                            trim: ch == b'9',
                            sep: c as char,
                        },
                        i,
                        j,
                    ))
                }
            }
            _ => None,
        };
        if let Some((std, start, end)) = found {
            return (&layout[..start], Some(std), &layout[end..]);
        }
    }
    (layout, None, "")
}

/// `time.ParseInLocation(layout, value, time.Local)` with the local zone UTC; the error is
/// worded as Go's `*time.ParseError`.
pub fn parse(layout: &str, value: &str) -> Result<GoTime, String> {
    let orig_value = value;
    let err_elem = |value_elem: &str, layout_elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_quote(orig_value),
            go_quote(layout),
            go_quote(value_elem),
            go_quote(layout_elem)
        )
    };
    let range_err =
        |what: &str| format!("parsing time {}: {what} out of range", go_quote(orig_value));
    let (mut year, mut month, mut day) = (1i64, 1u32, 1u32);
    let (mut hour, mut min, mut sec, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut zone_name: Option<String> = None;
    let mut yday: Option<u32> = None;
    let mut layout_rest = layout;
    let mut value = value;
    loop {
        let (prefix, std, suffix) = next_std(layout_rest);
        let std_str = &layout_rest[prefix.len()..layout_rest.len() - suffix.len()];
        value = skip(value, prefix).ok_or_else(|| err_elem(value, prefix))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(format!(
                    "parsing time {}: extra text: {}",
                    go_quote(orig_value),
                    go_quote(value)
                ));
            }
            break;
        };
        layout_rest = suffix;
        let hold = value;
        let bad = || err_elem(hold, std_str);
        match std {
            Std::Year => {
                let (n, rest) = fixed_digits(value, 2).ok_or_else(bad)?;
                year = if n >= 69 { 1900 + n } else { 2000 + n };
                value = rest;
            }
            Std::LongYear => {
                let (n, rest) = fixed_digits(value, 4).ok_or_else(bad)?;
                year = n;
                value = rest;
            }
            Std::Month | Std::LongMonth => {
                let (i, rest) =
                    lookup_name(value, &LONG_MONTHS, std == Std::Month).ok_or_else(bad)?;
                month = i as u32 + 1;
                value = rest;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, rest) =
                    lookup_name(value, &LONG_DAYS, std == Std::WeekDay).ok_or_else(bad)?;
                value = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (n, rest) = get_num(value, std == Std::ZeroMonth).ok_or_else(bad)?;
                if !(1..=12).contains(&n) {
                    return Err(range_err("month"));
                }
                month = n as u32;
                value = rest;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                let mut v = value;
                if std == Std::UnderDay && v.starts_with(' ') {
                    v = &v[1..];
                }
                let (n, rest) = get_num(v, std == Std::ZeroDay).ok_or_else(bad)?;
                day = n as u32;
                value = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let v = if std == Std::UnderYearDay {
                    value.trim_start_matches(' ')
                } else {
                    value
                };
                let (n, rest) = get_num3(v, std == Std::ZeroYearDay).ok_or_else(bad)?;
                yday = Some(n as u32);
                value = rest;
            }
            Std::Hour => {
                let (n, rest) = get_num(value, false).ok_or_else(bad)?;
                if n >= 24 {
                    return Err(range_err("hour"));
                }
                hour = n as u32;
                value = rest;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (n, rest) = get_num(value, std == Std::ZeroHour12).ok_or_else(bad)?;
                if n > 12 {
                    return Err(range_err("hour"));
                }
                hour = n as u32;
                value = rest;
            }
            Std::Minute | Std::ZeroMinute => {
                let (n, rest) = get_num(value, std == Std::ZeroMinute).ok_or_else(bad)?;
                if n >= 60 {
                    return Err(range_err("minute"));
                }
                min = n as u32;
                value = rest;
            }
            Std::Second | Std::ZeroSecond => {
                let (n, rest) = get_num(value, std == Std::ZeroSecond).ok_or_else(bad)?;
                if n >= 60 {
                    return Err(range_err("second"));
                }
                sec = n as u32;
                value = rest;
                // A fraction in the value that the layout does not mention is still read.
                let next_is_frac = matches!(next_std(layout_rest), ("", Some(Std::Frac { .. }), _));
                if !next_is_frac
                    && value.len() >= 2
                    && matches!(value.as_bytes()[0], b'.' | b',')
                    && value.as_bytes()[1].is_ascii_digit()
                {
                    let n = value[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nanos = frac_nanos(&value[1..=n]);
                    value = &value[1 + n..];
                }
            }
            Std::PM | Std::Pm => {
                // Case matters: `PM` reads only PM/AM, `pm` only pm/am.
                let v = value.get(..2).ok_or_else(bad)?;
                pm = match (std, v) {
                    (Std::PM, "PM") | (Std::Pm, "pm") => Some(true),
                    (Std::PM, "AM") | (Std::Pm, "am") => Some(false),
                    _ => return Err(bad()),
                };
                value = &value[2..];
            }
            Std::NumTz {
                iso,
                colon,
                seconds,
                short,
            } => {
                if iso && value.starts_with('Z') {
                    value = &value[1..];
                    offset = Some(0);
                    zone_name = Some("UTC".to_string());
                    continue;
                }
                let (off, rest) = parse_offset(value, colon, seconds, short).ok_or_else(bad)?;
                offset = Some(off);
                value = rest;
            }
            Std::Tz => {
                if value.starts_with("UTC") {
                    zone_name = Some("UTC".to_string());
                    offset = Some(0);
                    value = &value[3..];
                    continue;
                }
                let n = value.bytes().take_while(u8::is_ascii_uppercase).count();
                if !(3..=5).contains(&n) {
                    return Err(bad());
                }
                zone_name = Some(value[..n].to_string());
                value = &value[n..];
            }
            Std::Frac { digits, trim, .. } => {
                if trim {
                    if value.len() < 2
                        || !matches!(value.as_bytes()[0], b'.' | b',')
                        || !value.as_bytes()[1].is_ascii_digit()
                    {
                        continue;
                    }
                    let n = value[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nanos = frac_nanos(&value[1..=n]);
                    value = &value[1 + n..];
                } else {
                    let ndigit = 1 + digits;
                    if value.len() < ndigit
                        || !matches!(value.as_bytes()[0], b'.' | b',')
                        || !value.as_bytes()[1..ndigit].iter().all(u8::is_ascii_digit)
                    {
                        return Err(bad());
                    }
                    nanos = frac_nanos(&value[1..ndigit]);
                    value = &value[ndigit..];
                }
            }
        }
    }
    if let Some(is_pm) = pm {
        if is_pm && hour < 12 {
            hour += 12;
        } else if !is_pm && hour == 12 {
            hour = 0;
        }
    }
    if let Some(yd) = yday {
        if yd < 1 || yd > if is_leap(year) { 366 } else { 365 } {
            return Err(range_err("day-of-year"));
        }
        let days = days_from_civil(year, 1, 1) + i64::from(yd) - 1;
        let (_, m, d) = civil_from_days(days);
        month = m;
        day = d;
    }
    if day < 1 || day > days_in(month, year) {
        return Err(range_err("day"));
    }
    let local = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec);
    let off = offset.unwrap_or(0);
    let zone = match (&zone_name, offset) {
        (Some(z), _) => z.clone(),
        // An offset equal to the local zone's (UTC) is shown as the local zone.
        (None, Some(0)) | (None, None) => "UTC".to_string(),
        (None, Some(_)) => String::new(),
    };
    Ok(GoTime {
        secs: local - i64::from(off),
        nanos,
        offset: off,
        zone,
    })
}

/// Go's `skip`: removes `prefix` from `value`, a run of spaces matching any run of spaces.
fn skip<'v>(mut value: &'v str, prefix: &str) -> Option<&'v str> {
    let mut p = prefix;
    while !p.is_empty() {
        if p.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            p = p.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        let c = p.chars().next()?;
        if !value.starts_with(c) {
            return None;
        }
        p = &p[c.len_utf8()..];
        value = &value[c.len_utf8()..];
    }
    Some(value)
}

fn fixed_digits(v: &str, n: usize) -> Option<(i64, &str)> {
    let d = v.get(..n)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((d.parse().ok()?, &v[n..]))
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn get_num(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = v.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if !b.get(1).is_some_and(u8::is_ascii_digit) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &v[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &v[2..],
    ))
}

/// Go's `getnum3`: one to three digits (exactly three when `fixed`).
fn get_num3(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let n = v.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    Some((v[..n].parse().ok()?, &v[n..]))
}

fn lookup_name<'v>(v: &'v str, names: &[&str], short: bool) -> Option<(usize, &'v str)> {
    for (i, name) in names.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if let Some(head) = v.get(..name.len())
            && head.eq_ignore_ascii_case(name)
        {
            return Some((i, &v[name.len()..]));
        }
    }
    None
}

fn frac_nanos(digits: &str) -> u32 {
    let mut s: String = digits.chars().take(9).collect();
    while s.len() < 9 {
        s.push('0');
    }
    s.parse().unwrap_or(0)
}

fn parse_offset(v: &str, colon: bool, seconds: bool, short: bool) -> Option<(i32, &str)> {
    let b = v.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut i = 1;
    let two = |i: &mut usize| -> Option<i32> {
        let d = v.get(*i..*i + 2)?;
        if !d.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *i += 2;
        d.parse().ok()
    };
    let hh = two(&mut i)?;
    let mut mm = 0;
    let mut ss = 0;
    if !short {
        if colon {
            if b.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
        }
        mm = two(&mut i)?;
        if seconds {
            if colon {
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
            }
            ss = two(&mut i)?;
        }
    }
    Some((sign * (hh * 3600 + mm * 60 + ss), &v[i..]))
}

/// `time.Duration.String()` of `d` nanoseconds.
pub fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".to_string();
        }
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let (frac, int) = frac_part(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = frac_part(u, 9);
        u = secs;
        let s = u % 60;
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{s}{frac}s"));
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `fmtFrac`: the fraction of `v` below 10^prec as `.ddd` without trailing zeros, and
/// the integer part.
fn frac_part(v: u64, prec: u32) -> (String, u64) {
    let p = 10u64.pow(prec);
    let frac = v % p;
    if frac == 0 {
        return (String::new(), v / p);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / p)
}

/// `time.ParseDuration`, with Go's error messages.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = s;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let n_int = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part: u128 = if n_int > 0 {
            s[..n_int].parse().map_err(|_| invalid())?
        } else {
            0
        };
        if int_part > 1 << 63 {
            return Err(invalid());
        }
        s = &s[n_int..];
        let mut frac = "";
        if s.starts_with('.') {
            s = &s[1..];
            let n = s.bytes().take_while(u8::is_ascii_digit).count();
            frac = &s[..n];
            s = &s[n..];
        }
        if n_int == 0 && frac.is_empty() {
            return Err(invalid());
        }
        let n_unit = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if n_unit == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_str = &s[..n_unit];
        s = &s[n_unit..];
        let unit: u128 = match unit_str {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit_str),
                    go_quote(orig)
                ));
            }
        };
        let mut v = int_part * unit;
        if !frac.is_empty() {
            let digits: String = frac.chars().take(18).collect();
            let f: f64 = format!("0.{digits}").parse().unwrap_or(0.0);
            v += (f * unit as f64) as u128;
        }
        total += v;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > (1 << 63) - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// The offset and abbreviation of zone `name` at Unix time `secs`: `UTC`, `Local` (UTC) and
/// the empty name without files, others from the system's zoneinfo. `None` when unknown.
pub fn zone_at(name: &str, secs: i64) -> Option<(i32, String)> {
    match name {
        "" | "UTC" | "Local" => return Some((0, "UTC".to_string())),
        _ => {}
    }
    // Go refuses names that could escape the zoneinfo directory.
    if name.starts_with('/') || name.contains("..") || name.contains('\\') {
        return None;
    }
    let dirs = [
        "/usr/share/zoneinfo",
        "/usr/share/lib/zoneinfo",
        "/usr/lib/locale/TZ",
    ];
    let data = dirs
        .iter()
        .find_map(|d| std::fs::read(format!("{d}/{name}")).ok())?;
    tzif_lookup(&data, secs)
}

/// Reads a TZif file (RFC 8536) and finds the zone in force at `secs`. Instants after the last
/// transition keep its zone (the file's footer rule is not evaluated).
fn tzif_lookup(data: &[u8], secs: i64) -> Option<(i32, String)> {
    if data.get(..4)? != b"TZif" {
        return None;
    }
    let be32 = |b: &[u8], i: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?))
    };
    let header = |b: &[u8]| -> Option<[usize; 6]> {
        let mut h = [0usize; 6];
        for (k, slot) in h.iter_mut().enumerate() {
            *slot = be32(b, 20 + 4 * k)? as usize;
        }
        Some(h)
    };
    let version = *data.get(4)?;
    let h1 = header(data)?;
    let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = h1;
    let v1_len = timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
    let (block, h, tsize) = if version >= b'2' {
        let b = data.get(44 + v1_len..)?;
        (b, header(b)?, 8)
    } else {
        (data, h1, 4)
    };
    let [_, _, _, timecnt, typecnt, charcnt] = h;
    let mut p = 44;
    let mut times = Vec::with_capacity(timecnt);
    for i in 0..timecnt {
        let at = p + i * tsize;
        let t = if tsize == 8 {
            i64::from_be_bytes(block.get(at..at + 8)?.try_into().ok()?)
        } else {
            i64::from(be32(block, at)? as i32)
        };
        times.push(t);
    }
    p += timecnt * tsize;
    let idx = block.get(p..p + timecnt)?.to_vec();
    p += timecnt;
    let types_at = p;
    p += typecnt * 6;
    let chars = block.get(p..p + charcnt)?;
    let ttype = |i: usize| -> Option<(i32, String)> {
        let at = types_at + i * 6;
        let off = be32(block, at)? as i32;
        let abbr_at = *block.get(at + 5)? as usize;
        let abbr: String = chars
            .get(abbr_at..)?
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as char)
            .collect();
        Some((off, abbr))
    };
    if typecnt == 0 {
        return None;
    }
    let pos = times.partition_point(|t| *t <= secs);
    if pos == 0 {
        return ttype(0);
    }
    ttype(*idx.get(pos - 1)? as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn formats_follow_go_layouts() {
        let t = GoTime::utc(1_136_239_445, 123_000_000); // 2006-01-02T22:04:05.123Z
        assert_eq!(t.format("2006-01-02 15:04:05"), "2006-01-02 22:04:05");
        assert_eq!(
            t.format("Mon Jan _2 3:04PM .000 .999"),
            "Mon Jan  2 10:04PM .123 .123"
        );
        assert_eq!(t.go_string(), "2006-01-02 22:04:05.123 +0000 UTC");
        assert_eq!(t.rfc3339_nano(), "2006-01-02T22:04:05.123Z");
        assert_eq!(GoTime::zero().go_string(), "0001-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn parses_go_layouts() {
        let t = parse("2006-01-02", "2017-12-31").unwrap();
        assert_eq!(t.go_string(), "2017-12-31 00:00:00 +0000 UTC");
        let t = parse("2006-01-02T15:04:05Z07:00", "2020-02-29T10:00:00+02:00").unwrap();
        assert_eq!(t.go_string(), "2020-02-29 10:00:00 +0200 +0200");
        assert_eq!(
            parse("2006-01-02", "2017-13-01").unwrap_err(),
            "parsing time \"2017-13-01\": month out of range"
        );
        assert_eq!(
            parse("2006-01-02", "x").unwrap_err(),
            "parsing time \"x\" as \"2006-01-02\": cannot parse \"x\" as \"2006\""
        );
    }

    #[test]
    fn durations_print_and_parse_like_go() {
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(95 * NANOS), "1m35s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(-3_723_500_000_000), "-1h2m3.5s");
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400 * NANOS);
        assert_eq!(parse_duration("-1.5h").unwrap(), -5_400 * NANOS);
        assert_eq!(
            parse_duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_duration("1").unwrap_err(),
            "time: missing unit in duration \"1\""
        );
    }

    #[test]
    fn zones_come_from_zoneinfo_when_present() {
        assert_eq!(zone_at("UTC", 0), Some((0, "UTC".into())));
        assert_eq!(zone_at("../etc/passwd", 0), None);
        if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
            // 2024-07-01 is in daylight saving time.
            assert_eq!(
                zone_at("America/New_York", 1_719_835_200),
                Some((-14_400, "EDT".into()))
            );
        }
    }
}
