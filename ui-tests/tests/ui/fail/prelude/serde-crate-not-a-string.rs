use eventsource::prelude::*;

// `crate` takes the path of serde as a string, as serde's own attribute does.
#[derive(Serialize)]
#[serde(crate = eventsource::serde)]
pub struct Meters(pub f64);

fn main() {}
