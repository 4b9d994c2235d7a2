//! Compile-time behaviour of the `eventsource` macros.
//!
//! `tests/ui/pass/*.rs` must compile and run; each file under `tests/ui/fail/` makes one
//! mistake and must fail with the error recorded in its `.stderr` file. Regenerate those
//! with `TRYBUILD=overwrite cargo test -p ui-tests --test ui` and review every change.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/**/*.rs");
}
