//! Test support: checks a state machine against a transition table written out by hand, so that a
//! test states the expected transitions instead of re-deriving them from a copy of the code.

use std::fmt::Debug;

/// Asserts that `table` has exactly one row for every pair of `states` × `events`, and that `next`
/// answers every row's expectation.
#[track_caller]
pub(crate) fn assert_transitions<S, E, R>(
    states: &[S],
    events: &[E],
    table: &[(S, E, R)],
    next: impl Fn(S, E) -> R,
) where
    S: Copy + PartialEq + Debug,
    E: Copy + PartialEq + Debug,
    R: PartialEq + Debug,
{
    for &state in states {
        for &event in events {
            let rows = table.iter().filter(|(s, e, _)| *s == state && *e == event).count();
            assert_eq!(rows, 1, "the table must have exactly one row for {state:?} × {event:?}");
        }
    }
    assert_eq!(
        table.len(),
        states.len() * events.len(),
        "every row is a pair of the given states and events"
    );
    for (state, event, expected) in table {
        assert_eq!(&next(*state, *event), expected, "{state:?} × {event:?}");
    }
}
