//! Prints the OpenAPI document that docs/openapi.json checks in:
//! `cargo run -q -p api --example openapi > docs/openapi.json`.

fn main() {
    print!("{}", api::openapi::document_json());
}
