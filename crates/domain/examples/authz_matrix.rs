//! Prints the role × action matrix that docs/authorization.md checks in.

fn main() {
    print!("{}", domain::authz::matrix_markdown());
}
