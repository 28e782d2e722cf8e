//! The exit statuses, one meaning each (documented in the README).

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Everything ran and nothing broke (0).
    Ok,
    /// A bound was reached before the run could say (an event or time
    /// bound, a budget): nothing broke, but not everything ran (3).
    Inconclusive,
    /// Bad usage or input, or a file that could not be read or written (2).
    Usage,
    /// An invariant broke, an expectation failed, or a scenario did not
    /// reproduce (1).
    Violation,
    /// Stopped by Ctrl-C after printing what was found so far (130).
    Interrupted,
}

impl Status {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Violation => 1,
            Status::Usage => 2,
            Status::Inconclusive => 3,
            Status::Interrupted => 130,
        }
    }

    /// The status of two outcomes together: the graver one. A violation
    /// outranks a file that could not be written (the verdict is the
    /// headline; the write error is printed after it), and an interruption
    /// outranks everything.
    #[must_use]
    pub fn and(self, other: Status) -> Status {
        self.max(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graver_status_wins() {
        assert_eq!(Status::Ok.and(Status::Inconclusive), Status::Inconclusive);
        assert_eq!(Status::Inconclusive.and(Status::Usage), Status::Usage);
        assert_eq!(Status::Usage.and(Status::Violation), Status::Violation);
        assert_eq!(
            Status::Violation.and(Status::Interrupted),
            Status::Interrupted
        );
        let codes: Vec<i32> = [
            Status::Ok,
            Status::Violation,
            Status::Usage,
            Status::Inconclusive,
            Status::Interrupted,
        ]
        .map(Status::code)
        .to_vec();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }
}
