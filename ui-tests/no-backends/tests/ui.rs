//! A projection mode whose feature is off in this build is one error at the mode's flag,
//! saying which feature to enable. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p ui-tests-no-backends` and review every change.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
