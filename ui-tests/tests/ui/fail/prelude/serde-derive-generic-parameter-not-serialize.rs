use eventsource::prelude::*;

// The bounds are serde's own: `T: Serialize` for a parameter in a serialized field.
#[derive(Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
}

pub struct Opaque;

fn main() {
    let page = Page {
        items: vec![Opaque],
    };
    let _ = eventsource::serde_json::to_string(&page);
}
