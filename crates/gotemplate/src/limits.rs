//! Bounds on the work one template may cause. Templates often come from people who may not be
//! trusted with the machine that renders them (anyone who can open a pull request, when CI
//! renders it), so every way to make output, memory, recursion or time grow is capped, and
//! hitting a cap is an ordinary error that names the limit.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

/// The caps. The defaults sit far above what real templates need (an Argo CD ApplicationSet
/// field is a few hundred bytes and ranges over tens of items).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one execution may write.
    pub max_output: usize,
    /// Bytes of any one string a function builds or returns.
    pub max_string: usize,
    /// Elements of any one list a function builds (`until`, `untilStep`, `splitList`...).
    pub max_list: usize,
    /// `printf` width and precision.
    pub max_printf_width: usize,
    /// `range` iterations in one execution, all loops together.
    pub max_range_iterations: u64,
    /// Nesting of control structures and parentheses, and of `template`/`tpl` calls.
    pub max_depth: usize,
    /// Evaluation steps (nodes walked, commands run) for one [`Budget`].
    pub max_steps: u64,
    /// Wall-clock time for one [`Budget`].
    pub max_time: Duration,
    /// Bytes of output and of strings built by functions, all executions of one [`Budget`]
    /// together: the per-execution caps alone would let thousands of executions add up.
    pub max_total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_output: 1 << 20,
            max_string: 1 << 20,
            max_list: 100_000,
            max_printf_width: 10_000,
            max_range_iterations: 100_000,
            max_depth: 100,
            max_steps: 10_000_000,
            max_time: Duration::from_secs(10),
            max_total_bytes: 256 << 20,
        }
    }
}

/// Which limit was hit, with its value, for an error message in the user's terms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// [`Limits::max_output`].
    #[error("template output too large (limit {})", bytes(*.0))]
    Output(usize),
    /// [`Limits::max_string`].
    #[error("string value too large (limit {})", bytes(*.0))]
    String(usize),
    /// [`Limits::max_list`].
    #[error("list too long (limit {0} elements)")]
    List(usize),
    /// [`Limits::max_printf_width`].
    #[error("printf width or precision {got} too large (limit {limit})")]
    PrintfWidth {
        /// What the format asked for.
        got: u64,
        /// The limit.
        limit: usize,
    },
    /// [`Limits::max_range_iterations`].
    #[error("too many range iterations (limit {0})")]
    RangeIterations(u64),
    /// [`Limits::max_depth`].
    #[error("template nested too deeply (limit {0} levels)")]
    Depth(usize),
    /// [`Limits::max_steps`].
    #[error("template evaluation too long (limit {0} steps)")]
    Steps(u64),
    /// [`Limits::max_time`].
    #[error("template evaluation took too long (limit {})", seconds(*.0))]
    Time(Duration),
    /// [`Limits::max_total_bytes`].
    #[error("templates produced too much text in total (limit {})", bytes(*.0))]
    TotalBytes(usize),
    /// A value contains itself or nests deeper than the interpreter follows.
    #[error("value nested too deeply (limit {0} levels)")]
    ValueDepth(usize),
}

fn bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// How many steps pass between two looks at the clock (reading it costs more than a step).
const CLOCK_EVERY: u32 = 1024;

/// The step and time allowance shared by every execution it is passed to, so that a caller
/// can bound the whole of a job (e.g. every template of one Argo CD ApplicationSet) and not
/// just each execution. Time counts only while executions run (and while a caller says it
/// works, with [`Budget::timed`]): a caller that waits for a network between two executions
/// does not use up its templates' time.
pub struct Budget {
    bytes_left: Cell<usize>,
    max_bytes: usize,
    steps_left: Cell<u64>,
    max_steps: u64,
    max_time: Duration,
    /// Time used by finished runs.
    used: Cell<Duration>,
    /// When the outermost running execution started, while one runs.
    running_since: Cell<Option<Instant>>,
    /// Nested runs (a template calling `tpl`) in progress.
    running: Cell<u32>,
    until_clock: Cell<u32>,
}

impl Budget {
    /// A budget of `limits.max_steps` steps and `limits.max_time` of running time.
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            bytes_left: Cell::new(limits.max_total_bytes),
            max_bytes: limits.max_total_bytes,
            steps_left: Cell::new(limits.max_steps),
            max_steps: limits.max_steps,
            max_time: limits.max_time,
            used: Cell::new(Duration::ZERO),
            running_since: Cell::new(None),
            running: Cell::new(0),
            until_clock: Cell::new(CLOCK_EVERY),
        }
    }

    /// Runs `f` with the clock running (executions do this themselves).
    pub fn timed<T>(&self, f: impl FnOnce() -> T) -> T {
        let depth = self.running.get();
        if depth == 0 {
            self.running_since.set(Some(Instant::now()));
        }
        self.running.set(depth + 1);
        let out = f();
        self.running.set(depth);
        if depth == 0
            && let Some(since) = self.running_since.take()
        {
            self.used.set(self.used.get() + since.elapsed());
        }
        out
    }

    /// Running time used so far.
    pub fn time_used(&self) -> Duration {
        self.used.get()
            + self
                .running_since
                .get()
                .map_or(Duration::ZERO, |since| since.elapsed())
    }

    /// Spends `n` steps; fails when the steps or the time run out.
    pub fn spend(&self, n: u64) -> Result<(), LimitError> {
        let left = self.steps_left.get();
        if left < n {
            self.steps_left.set(0);
            return Err(LimitError::Steps(self.max_steps));
        }
        self.steps_left.set(left - n);
        let clock = self.until_clock.get();
        if clock == 0 {
            self.until_clock.set(CLOCK_EVERY);
            return self.check_time();
        }
        self.until_clock.set(clock - 1);
        Ok(())
    }

    /// Counts `n` bytes of output or built strings against the total.
    pub fn spend_bytes(&self, n: usize) -> Result<(), LimitError> {
        let left = self.bytes_left.get();
        if left < n {
            self.bytes_left.set(0);
            return Err(LimitError::TotalBytes(self.max_bytes));
        }
        self.bytes_left.set(left - n);
        Ok(())
    }

    /// Fails if the running time is used up.
    pub fn check_time(&self) -> Result<(), LimitError> {
        if self.time_used() > self.max_time {
            // Stay failed: later calls must not succeed on a fresh clock count.
            self.steps_left.set(0);
            return Err(LimitError::Time(self.max_time));
        }
        Ok(())
    }

    /// Steps spent so far.
    pub fn steps_used(&self) -> u64 {
        self.max_steps - self.steps_left.get()
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("steps_left", &self.steps_left.get())
            .field("max_steps", &self.max_steps)
            .field("max_time", &self.max_time)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_in_plain_units() {
        assert_eq!(
            LimitError::Output(1 << 20).to_string(),
            "template output too large (limit 1 MiB)"
        );
        assert_eq!(
            LimitError::String(64 << 10).to_string(),
            "string value too large (limit 64 KiB)"
        );
        assert_eq!(
            LimitError::Time(Duration::from_secs(10)).to_string(),
            "template evaluation took too long (limit 10s)"
        );
    }

    #[test]
    fn a_budget_runs_out_and_stays_out() {
        let limits = Limits {
            max_steps: 10,
            ..Limits::default()
        };
        let b = Budget::new(&limits);
        assert!(b.spend(6).is_ok());
        assert_eq!(b.spend(6), Err(LimitError::Steps(10)));
        assert_eq!(b.spend(1), Err(LimitError::Steps(10)));
    }

    #[test]
    fn a_budget_watches_the_clock_only_while_running() {
        let limits = Limits {
            max_time: Duration::from_millis(20),
            ..Limits::default()
        };
        let b = Budget::new(&limits);
        // Waiting outside a run costs nothing.
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.check_time(), Ok(()));
        let failed = b.timed(|| {
            std::thread::sleep(Duration::from_millis(40));
            (0..=CLOCK_EVERY).map(|_| b.spend(1)).find(Result::is_err)
        });
        assert_eq!(
            failed,
            Some(Err(LimitError::Time(Duration::from_millis(20))))
        );
        assert!(b.check_time().is_err());
    }
}
