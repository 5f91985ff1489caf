//! Each mistake in `tests/ui/` must fail to compile with its message at the
//! user's tokens (`TRYBUILD=overwrite` rewrites the `.stderr` files); each file
//! in `tests/pass/` must compile.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
